import { readBool, readJson } from '../../db/column-types.js';
import type { Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors/app-error.js';
import { tenantPermissions } from './permissions.js';
import type { NewRoleRow, RoleRow } from './role.table.js';

export interface RoleRecord {
  id: string;
  name: string;
  displayName: string | null;
  description: string;
  permissions: string[];
  builtin: boolean;
  createdAt: string | Date;
}

const columns = ['id', 'name', 'displayName', 'description', 'permissions', 'builtin', 'createdAt'] as const;

/** A stored role's permissions. The built-in admin always holds every tenant permission, including ones added after the tenant was created. */
export function permissionsOfRow(row: Pick<RoleRow, 'name' | 'builtin' | 'permissions'>): string[] {
  return readBool(row.builtin) && row.name === 'admin' ? [...tenantPermissions] : readJson<string[]>(row.permissions);
}

function toRecord(row: Pick<RoleRow, (typeof columns)[number]>): RoleRecord {
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    permissions: permissionsOfRow(row),
    builtin: readBool(row.builtin),
    createdAt: row.createdAt,
  };
}

/** @throws ROLE_NAME_TAKEN */
export async function insertMany(db: Executor, rows: NewRoleRow[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await db.insertInto('roles').values(rows).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('ROLE_NAME_TAKEN');
    throw error;
  }
}

export async function list(db: Executor, tenantId: string): Promise<RoleRecord[]> {
  return (await db.selectFrom('roles').select(columns).where('tenantId', '=', tenantId).orderBy('name').execute()).map(toRecord);
}

export async function findById(db: Executor, tenantId: string, id: string): Promise<RoleRecord | undefined> {
  const row = await db.selectFrom('roles').select(columns).where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findByNames(db: Executor, tenantId: string, names: string[]): Promise<RoleRecord[]> {
  if (names.length === 0) return [];
  const rows = await db.selectFrom('roles').select(columns).where('tenantId', '=', tenantId).where('name', 'in', names).execute();
  return rows.map(toRecord);
}

/** @throws ROLE_NAME_TAKEN */
export async function update(
  db: Executor,
  tenantId: string,
  id: string,
  changes: { name: string; displayName: string | null; description: string; permissions: string },
): Promise<void> {
  try {
    await db.updateTable('roles').set(changes).where('tenantId', '=', tenantId).where('id', '=', id).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('ROLE_NAME_TAKEN');
    throw error;
  }
}

export async function remove(db: Executor, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('roles').where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

/** Roles of each given user, in one query. */
export async function listByUsers(db: Executor, tenantId: string, userIds: string[]): Promise<Map<string, RoleRecord[]>> {
  const result = new Map<string, RoleRecord[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('userRoles')
    .innerJoin('roles', (j) => j.onRef('roles.tenantId', '=', 'userRoles.tenantId').onRef('roles.id', '=', 'userRoles.roleId'))
    .select([
      'userRoles.userId',
      'roles.id',
      'roles.name',
      'roles.displayName',
      'roles.description',
      'roles.permissions',
      'roles.builtin',
      'roles.createdAt',
    ])
    .where('userRoles.tenantId', '=', tenantId)
    .where('userRoles.userId', 'in', userIds)
    .orderBy('roles.name')
    .execute();
  for (const row of rows) result.get(row.userId)?.push(toRecord(row));
  return result;
}

export async function replaceUserRoles(db: Executor, tenantId: string, userId: string, roleIds: string[]): Promise<void> {
  await db.deleteFrom('userRoles').where('tenantId', '=', tenantId).where('userId', '=', userId).execute();
  await assignMany(
    db,
    tenantId,
    roleIds.map((roleId) => ({ userId, roleId })),
  );
}

export async function assignMany(db: Executor, tenantId: string, pairs: Array<{ userId: string; roleId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db
    .insertInto('userRoles')
    .values(pairs.map((p) => ({ tenantId, userId: p.userId, roleId: p.roleId })))
    .execute();
}
