import type { Executor } from '../../db/database.js';
import type { ApiKeyRow, NewApiKeyRow } from './api-key.table.js';

const columns = ['id', 'tenantId', 'name', 'role', 'roleId', 'prefix', 'secretHash', 'createdAt', 'createdBy', 'revokedAt'] as const;
const qualified = columns.map((c) => `apiKeys.${c}` as const);

/** A key with the current name of its role (null for platform keys and keys whose role was deleted). */
export type ApiKeyWithRoleName = ApiKeyRow & { currentRoleName: string | null };

export async function insert(db: Executor, row: NewApiKeyRow): Promise<ApiKeyRow> {
  return db.insertInto('apiKeys').values(row).returning(columns).executeTakeFirstOrThrow();
}

export function findByPrefix(db: Executor, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('apiKeys').select(columns).where('prefix', '=', prefix).executeTakeFirst();
}

/**
 * The key with its role's stored columns (null for platform keys and deleted roles): authentication in one query.
 * The role is joined by id, never by name.
 */
export function findByPrefixWithRole(db: Executor, prefix: string) {
  return db
    .selectFrom('apiKeys')
    .leftJoin('roles', (j) => j.onRef('roles.tenantId', '=', 'apiKeys.tenantId').onRef('roles.id', '=', 'apiKeys.roleId'))
    .select([...qualified, 'roles.name as roleName', 'roles.builtin as roleBuiltin', 'roles.permissions as rolePermissions'])
    .where('apiKeys.prefix', '=', prefix)
    .executeTakeFirst();
}

/** Keys of a tenant (or platform keys when `tenantId` is null), each with its role's current name. */
function withRoleName(db: Executor, tenantId: string | null) {
  return db
    .selectFrom('apiKeys')
    .leftJoin('roles', (j) => j.onRef('roles.tenantId', '=', 'apiKeys.tenantId').onRef('roles.id', '=', 'apiKeys.roleId'))
    .select([...qualified, 'roles.name as currentRoleName'])
    .where((eb) => (tenantId === null ? eb('apiKeys.tenantId', 'is', null) : eb('apiKeys.tenantId', '=', tenantId)));
}

export function findById(db: Executor, tenantId: string | null, id: string): Promise<ApiKeyWithRoleName | undefined> {
  return withRoleName(db, tenantId).where('apiKeys.id', '=', id).executeTakeFirst();
}

export function findActiveByName(db: Executor, tenantId: string | null, name: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('apiKeys')
    .select(columns)
    .where('name', '=', name)
    .where('revokedAt', 'is', null)
    .where((eb) => (tenantId === null ? eb('tenantId', 'is', null) : eb('tenantId', '=', tenantId)))
    .executeTakeFirst();
}

export function list(db: Executor, tenantId: string | null): Promise<ApiKeyWithRoleName[]> {
  return withRoleName(db, tenantId).orderBy('apiKeys.createdAt').execute();
}

/** Renames a key or gives it another role (name and id together: the key holds the role by id). */
export async function update(db: Executor, id: string, patch: { name: string; role: string; roleId: string | null }): Promise<void> {
  await db.updateTable('apiKeys').set(patch).where('id', '=', id).execute();
}

export async function revoke(db: Executor, id: string, revokedAt: string): Promise<void> {
  await db.updateTable('apiKeys').set({ revokedAt }).where('id', '=', id).where('revokedAt', 'is', null).execute();
}

export async function countAll(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('apiKeys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
