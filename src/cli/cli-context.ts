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

/** @param options.sqliteWriter how a SQLite store is written, over ROSTER_SQLITE_WRITER (`roster import` takes the writer thread) */
export async function withCore<T>(fn: (core: Core) => Promise<T>, options: { sqliteWriter?: 'thread' | 'inline' } = {}): Promise<T> {
  const config = loadConfig();
  const core = await createCore({ config, database: databaseFromConfig(config, options.sqliteWriter) });
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
