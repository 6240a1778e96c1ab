import { readJson } from '../../db/column-types.js';
import type { Executor } from '../../db/database.js';
import type { NewRoleRow } from './role.table.js';

export interface RoleRecord {
  id: string;
  name: string;
  permissions: string[];
}

export async function insertMany(db: Executor, rows: NewRoleRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('roles').values(rows).execute();
}

export async function findByNames(db: Executor, tenantId: string, names: string[]): Promise<RoleRecord[]> {
  if (names.length === 0) return [];
  const rows = await db
    .selectFrom('roles')
    .select(['id', 'name', 'permissions'])
    .where('tenantId', '=', tenantId)
    .where('name', 'in', names)
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, permissions: readJson<string[]>(r.permissions) }));
}

/** Role names of each given user, in one query. */
export async function listNamesByUser(db: Executor, tenantId: string, userIds: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('userRoles')
    .innerJoin('roles', (j) => j.onRef('roles.tenantId', '=', 'userRoles.tenantId').onRef('roles.id', '=', 'userRoles.roleId'))
    .select(['userRoles.userId', 'roles.name'])
    .where('userRoles.tenantId', '=', tenantId)
    .where('userRoles.userId', 'in', userIds)
    .orderBy('roles.name')
    .execute();
  for (const row of rows) result.get(row.userId)?.push(row.name);
  return result;
}

export async function replaceUserRoles(db: Executor, tenantId: string, userId: string, roleIds: string[]): Promise<void> {
  await db.deleteFrom('userRoles').where('tenantId', '=', tenantId).where('userId', '=', userId).execute();
  await assignMany(db, tenantId, roleIds.map((roleId) => ({ userId, roleId })));
}

export async function assignMany(db: Executor, tenantId: string, pairs: Array<{ userId: string; roleId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db
    .insertInto('userRoles')
    .values(pairs.map((p) => ({ tenantId, userId: p.userId, roleId: p.roleId })))
    .execute();
}
