import { fieldError, type FieldError } from '../../errors/app-error.js';
import type { Executor } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { nowIso } from '../../lib/time.js';
import { builtinRoles } from './permissions.js';
import * as roles from './role.repository.js';
import type { RoleRecord } from './role.repository.js';

export type { RoleRecord } from './role.repository.js';

/** Creates the built-in roles of a new tenant, inside the caller's transaction. */
export async function createBuiltinRoles(db: Executor, tenantId: string): Promise<void> {
  const createdAt = nowIso();
  await roles.insertMany(
    db,
    builtinRoles.map((r) => ({
      tenantId,
      id: newId(),
      name: r.name,
      description: r.description,
      permissions: JSON.stringify(r.permissions),
      builtin: true,
      createdAt,
    })),
  );
}

/**
 * Resolves role names to roles of the tenant. Unknown names become ROLE_UNKNOWN field errors at
 * `path/<index>` so one response can report them beside every other field error.
 */
export async function resolveRoles(
  db: Executor,
  tenantId: string,
  names: string[],
  path: string,
): Promise<{ roles: RoleRecord[]; errors: FieldError[] }> {
  const unique = [...new Set(names)];
  const found = await roles.findByNames(db, tenantId, unique);
  const byName = new Map(found.map((r) => [r.name, r]));
  const errors = names.flatMap((name, i) => (byName.has(name) ? [] : [fieldError(`${path}/${i}`, 'ROLE_UNKNOWN', `No role named "${name}"`)]));
  return { roles: unique.flatMap((n) => byName.get(n) ?? []), errors };
}

export async function permissionsOfRole(db: Executor, tenantId: string, name: string): Promise<string[] | undefined> {
  const [role] = await roles.findByNames(db, tenantId, [name]);
  return role?.permissions;
}

export const assignRoles = roles.assignMany;
export const replaceUserRoles = roles.replaceUserRoles;
export const roleNamesByUser = roles.listNamesByUser;
