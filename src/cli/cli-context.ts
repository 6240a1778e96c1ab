import { createCore, databaseFromConfig, type Core } from '../app.js';
import { loadConfig } from '../config/config.js';
import type { Principal, TenantContext } from '../modules/context.js';
import { platformPermissions, PLATFORM_ADMIN_ROLE } from '../modules/roles/permissions.js';

/** The CLI runs with the database's own rights: a platform principal recorded as `cli`. */
export const cliPrincipal: Principal = {
  kind: 'cli',
  id: 'cli',
  tenantId: null,
  role: PLATFORM_ADMIN_ROLE,
  permissions: new Set(platformPermissions),
};

/** @param sqlite how a SQLite store is written (`roster import` takes the writer thread and a longer checkpoint interval) */
export async function withCore<T>(fn: (core: Core) => Promise<T>, sqlite: Parameters<typeof databaseFromConfig>[1] = {}): Promise<T> {
  const config = loadConfig();
  const core = await createCore({ config, database: databaseFromConfig(config, sqlite) });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

export async function tenantContext(core: Core, tenantRef: string): Promise<TenantContext> {
  const tenant = await core.tenants.getTenant(tenantRef);
  return { tenantId: tenant.id, principal: cliPrincipal, requestId: 'cli' };
}
