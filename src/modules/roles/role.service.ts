import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, type FieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { requirePermission, type TenantContext } from '../context.js';
import { recordFor } from '../events/event.service.js';
import { builtinRoles } from './permissions.js';
import { findRoleName } from '../../rules/role-name.js';
import { readJson } from '../../db/column-types.js';
import { defaultPolicies } from '../settings/settings.defaults.js';
import { findById as findTenantById } from '../tenants/tenant.repository.js';
import { assertCallerCovers, assertCanGrant } from './privilege-guard.js';
import * as roles from './role.repository.js';
import type { RoleRecord } from './role.repository.js';
import type { CreateRoleInput, PatchRoleInput, Role } from './role.schemas.js';

export type { RoleRecord } from './role.repository.js';
export { assertCallerCovers, assertCanGrant, assertCallerCoversUsers } from './privilege-guard.js';

function toRoleResponse(record: RoleRecord): Role {
  return {
    id: record.id,
    name: record.name,
    displayName: record.displayName,
    description: record.description,
    permissions: record.permissions,
    builtin: record.builtin,
    createdAt: toIso(record.createdAt),
  };
}

/**
 * A role the tenant's `users.defaultRoles` names keeps its name: deleted or renamed, every create
 * without `roles` (native, batch, import, SCIM, contracts) would fail on a role that no longer exists.
 * @throws ROLE_IS_DEFAULT
 */
async function assertNotDefaultRole(db: Executor, tenantId: string, name: string, action: 'deleted' | 'renamed'): Promise<void> {
  const tenant = await findTenantById(db, tenantId);
  const stored = readJson<{ users?: { defaultRoles?: string[] } } | null>(tenant?.settings ?? null);
  const defaults = stored?.users?.defaultRoles ?? defaultPolicies.users.defaultRoles;
  if (defaults.includes(name))
    throw new AppError('ROLE_IS_DEFAULT', {
      detail: `Role "${name}" is listed in the tenant setting users.defaultRoles and cannot be ${action}; remove it there first (PATCH /v1/settings)`,
      details: { role: name, setting: 'users.defaultRoles' },
    });
}

/**
 * A display name as stored: trimmed; null clears it.
 * @throws VALIDATION_FAILED when it is blank or holds control characters.
 */
function checkedDisplayName(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  // eslint-disable-next-line no-control-regex -- the control characters are what is refused
  if (trimmed === '' || /[\u0000-\u001f\u007f-\u009f]/.test(trimmed))
    throw new AppError('VALIDATION_FAILED', {
      errors: [fieldError('/displayName', 'FIELD_INVALID', 'A display name is not blank and holds no control characters')],
    });
  return trimmed;
}

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
  return matchRoles(await loadRoles(db, tenantId, names), names, path);
}

/** The roles of the tenant with any of these names, by name: one query for a whole batch. */
export async function loadRoles(db: Executor, tenantId: string, names: Iterable<string>): Promise<Map<string, RoleRecord>> {
  const found = await roles.findByNames(db, tenantId, [...new Set(names)]);
  return new Map(found.map((r) => [r.name, r]));
}

/**
 * loadRoles for role names a contract received as free text (Rocket.Chat, Certification, Pulse): each
 * name sent is mapped to the role it names by name or display name without case, or by its slug
 * (rules/role-name.ts). Names no role matches are left out, so matchRoles reports them as ROLE_UNKNOWN.
 */
export async function loadRolesByFreeText(db: Executor, tenantId: string, names: Iterable<string>): Promise<Map<string, RoleRecord>> {
  const all = await roles.list(db, tenantId);
  const found = new Map<string, RoleRecord>();
  for (const sent of new Set(names)) {
    const name = findRoleName(sent, all);
    const role = name === undefined ? undefined : all.find((r) => r.name === name);
    if (role) found.set(sent, role);
  }
  return found;
}

/** Picks one item's roles out of loaded ones; unknown names become ROLE_UNKNOWN at `path/<index>`. */
export function matchRoles(byName: Map<string, RoleRecord>, names: string[], path: string): { roles: RoleRecord[]; errors: FieldError[] } {
  const errors = names.flatMap((name, i) =>
    byName.has(name) ? [] : [fieldError(`${path}/${i}`, 'ROLE_UNKNOWN', `No role named "${name}"`)],
  );
  return { roles: [...new Set(names)].flatMap((n) => byName.get(n) ?? []), errors };
}

export async function permissionsOfRole(db: Executor, tenantId: string, name: string): Promise<string[] | undefined> {
  const [role] = await roles.findByNames(db, tenantId, [name]);
  return role?.permissions;
}

export const assignRoles = roles.assignMany;
export const roleById = roles.findById;
export const replaceUserRoles = roles.replaceUserRoles;
export const rolesByUser = roles.listByUsers;
export const permissionsOfRow = roles.permissionsOfRow;

/** Custom roles of a tenant (`/v1/roles`). */
export class RoleService {
  constructor(
    private readonly db: Db,
    /** Called after a role's permissions or name changed, so cached credentials holding it are re-read. */
    private readonly onRoleChanged: () => void = () => undefined,
  ) {}

  /** @throws PERMISSION_DENIED; VALIDATION_FAILED (a blank display name); ROLE_NAME_TAKEN */
  async createRole(ctx: TenantContext, input: CreateRoleInput): Promise<Role> {
    requirePermission(ctx.principal, 'roles:manage');
    assertCanGrant(ctx.principal, input.permissions, `role "${input.name}"`);
    const record = {
      id: newId(),
      name: input.name,
      displayName: checkedDisplayName(input.displayName) ?? null,
      description: input.description ?? '',
      permissions: [...input.permissions],
      builtin: false,
      createdAt: nowIso(),
    };
    await this.db.transaction().execute(async (trx) => {
      await roles.insertMany(trx, [{ tenantId: ctx.tenantId, ...record, permissions: JSON.stringify(record.permissions) }]);
      await recordFor(trx, ctx, [{ type: 'role.created', resourceType: 'role', resourceId: record.id, data: toRoleResponse(record) }]);
    });
    return toRoleResponse(record);
  }

  /** @throws PERMISSION_DENIED */
  async listRoles(ctx: TenantContext): Promise<Role[]> {
    requirePermission(ctx.principal, 'users:read');
    return (await roles.list(this.db, ctx.tenantId)).map(toRoleResponse);
  }

  /** @throws PERMISSION_DENIED; ROLE_NOT_FOUND */
  async getRole(ctx: TenantContext, id: string): Promise<Role> {
    requirePermission(ctx.principal, 'users:read');
    return toRoleResponse(await this.find(ctx.tenantId, id));
  }

  /** @throws PERMISSION_DENIED; ROLE_NOT_FOUND; ROLE_BUILTIN; ROLE_NAME_TAKEN; ROLE_IS_DEFAULT (a rename) */
  async updateRole(ctx: TenantContext, id: string, patch: PatchRoleInput): Promise<Role> {
    requirePermission(ctx.principal, 'roles:manage');
    const current = await this.find(ctx.tenantId, id);
    if (current.builtin) throw new AppError('ROLE_BUILTIN');
    // Changing a role (its permissions, and its name or description too) changes what its holders may do, or
    // which role they are known by: the caller must hold every permission the role holds now and will hold.
    assertCallerCovers(ctx.principal, current.permissions, `Changing role "${current.name}"`);
    if (patch.permissions) assertCanGrant(ctx.principal, patch.permissions, `role "${current.name}"`);
    const displayName = checkedDisplayName(patch.displayName);
    const next = {
      ...current,
      ...patch,
      displayName: displayName === undefined ? current.displayName : displayName,
      permissions: patch.permissions ? [...patch.permissions] : current.permissions,
    };
    await this.db.transaction().execute(async (trx) => {
      if (next.name !== current.name) await assertNotDefaultRole(trx, ctx.tenantId, current.name, 'renamed');
      await roles.update(trx, ctx.tenantId, current.id, {
        name: next.name,
        displayName: next.displayName,
        description: next.description,
        permissions: JSON.stringify(next.permissions),
      });
      await recordFor(trx, ctx, [{ type: 'role.updated', resourceType: 'role', resourceId: current.id, data: toRoleResponse(next) }]);
    });
    this.onRoleChanged();
    return toRoleResponse(next);
  }

  /**
   * Deleting a role takes it from every user and key that had it.
   * @throws PERMISSION_DENIED; ROLE_NOT_FOUND; ROLE_BUILTIN; ROLE_IS_DEFAULT
   */
  async deleteRole(ctx: TenantContext, id: string): Promise<void> {
    requirePermission(ctx.principal, 'roles:manage');
    const current = await this.find(ctx.tenantId, id);
    if (current.builtin) throw new AppError('ROLE_BUILTIN');
    assertCallerCovers(ctx.principal, current.permissions, `Deleting role "${current.name}"`);
    await this.db.transaction().execute(async (trx) => {
      await assertNotDefaultRole(trx, ctx.tenantId, current.name, 'deleted');
      await roles.remove(trx, ctx.tenantId, current.id);
      await recordFor(trx, ctx, [{ type: 'role.deleted', resourceType: 'role', resourceId: current.id, data: toRoleResponse(current) }]);
    });
    this.onRoleChanged();
  }

  private async find(tenantId: string, id: string): Promise<RoleRecord> {
    const record = isUuid(id) ? await roles.findById(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!record) throw new AppError('ROLE_NOT_FOUND', { details: { id } });
    return record;
  }
}
