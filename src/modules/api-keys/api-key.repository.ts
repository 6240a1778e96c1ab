import type { Executor } from '../../db/database.js';
import type { ApiKeyRow, NewApiKeyRow } from './api-key.table.js';

const columns = ['id', 'tenantId', 'name', 'role', 'prefix', 'secretHash', 'createdAt', 'createdBy', 'revokedAt'] as const;

export async function insert(db: Executor, row: NewApiKeyRow): Promise<ApiKeyRow> {
  return db.insertInto('apiKeys').values(row).returning(columns).executeTakeFirstOrThrow();
}

export function findByPrefix(db: Executor, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('apiKeys').select(columns).where('prefix', '=', prefix).executeTakeFirst();
}

/** The key with its role's stored columns (null for platform keys and unknown roles): authentication in one query. */
export function findByPrefixWithRole(db: Executor, prefix: string) {
  return db
    .selectFrom('apiKeys')
    .leftJoin('roles', (j) => j.onRef('roles.tenantId', '=', 'apiKeys.tenantId').onRef('roles.name', '=', 'apiKeys.role'))
    .select([...columns.map((c) => `apiKeys.${c}` as const), 'roles.name as roleName', 'roles.builtin as roleBuiltin', 'roles.permissions as rolePermissions'])
    .where('apiKeys.prefix', '=', prefix)
    .executeTakeFirst();
}

export function findById(db: Executor, tenantId: string | null, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('apiKeys')
    .select(columns)
    .where('id', '=', id)
    .where((eb) => (tenantId === null ? eb('tenantId', 'is', null) : eb('tenantId', '=', tenantId)))
    .executeTakeFirst();
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

export function list(db: Executor, tenantId: string | null): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('apiKeys')
    .select(columns)
    .where((eb) => (tenantId === null ? eb('tenantId', 'is', null) : eb('tenantId', '=', tenantId)))
    .orderBy('createdAt')
    .execute();
}

export async function revoke(db: Executor, id: string, revokedAt: string): Promise<void> {
  await db.updateTable('apiKeys').set({ revokedAt }).where('id', '=', id).where('revokedAt', 'is', null).execute();
}

export async function countAll(db: Executor): Promise<number> {
  const row = await db.selectFrom('apiKeys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
