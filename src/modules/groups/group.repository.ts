import type { Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors/app-error.js';
import type { GroupRow, GroupTable, NewGroupRow } from './group.table.js';
import type { Updateable } from 'kysely';

const columns = ['id', 'seq', 'type', 'code', 'name', 'description', 'isDefault', 'createdAt', 'updatedAt', 'tenantId'] as const;

function mapConflict(error: unknown): never {
  if (isUniqueViolation(error)) throw new AppError('GROUP_CODE_TAKEN');
  throw error;
}

/** @throws GROUP_CODE_TAKEN */
export async function insert(db: Executor, row: NewGroupRow): Promise<void> {
  await db.insertInto('groups').values(row).execute().catch(mapConflict);
}

/** @throws GROUP_CODE_TAKEN */
export async function update(db: Executor, tenantId: string, id: string, changes: Updateable<GroupTable>): Promise<void> {
  await db.updateTable('groups').set(changes).where('tenantId', '=', tenantId).where('id', '=', id).execute().catch(mapConflict);
}

export async function remove(db: Executor, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('groups').where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

export function findById(db: Executor, tenantId: string, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').select(columns).where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function list(db: Executor, tenantId: string, type?: string): Promise<GroupRow[]> {
  let query = db.selectFrom('groups').select(columns).where('tenantId', '=', tenantId);
  if (type !== undefined) query = query.where('type', '=', type);
  return query.orderBy('type').orderBy('code').execute();
}

/** Groups matching any of the ids, `type:code` pairs or `type#number` pairs, in one query. */
export function findByRefs(
  db: Executor,
  tenantId: string,
  ids: string[],
  typeCodes: Array<{ type: string; code: string }>,
  typeSeqs: Array<{ type: string; seq: number }> = [],
): Promise<GroupRow[]> {
  if (ids.length === 0 && typeCodes.length === 0 && typeSeqs.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('groups')
    .select(columns)
    .where('tenantId', '=', tenantId)
    .where((eb) =>
      eb.or([
        ...(ids.length > 0 ? [eb('id', 'in', ids)] : []),
        ...typeCodes.map((tc) => eb.and([eb('type', '=', tc.type), eb('code', '=', tc.code)])),
        ...typeSeqs.map((ts) => eb.and([eb('type', '=', ts.type), eb('seq', '=', ts.seq)])),
      ]),
    )
    .execute();
}

export function listDefaults(db: Executor, tenantId: string): Promise<GroupRow[]> {
  return db.selectFrom('groups').select(columns).where('tenantId', '=', tenantId).where('isDefault', '=', true).execute();
}

export async function listByUsers(db: Executor, tenantId: string, userIds: string[]): Promise<Map<string, GroupRow[]>> {
  const result = new Map<string, GroupRow[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('userGroups')
    .innerJoin('groups', (j) => j.onRef('groups.tenantId', '=', 'userGroups.tenantId').onRef('groups.id', '=', 'userGroups.groupId'))
    .select(['userGroups.userId', ...columns.map((c) => `groups.${c}` as const)])
    .where('userGroups.tenantId', '=', tenantId)
    .where('userGroups.userId', 'in', userIds)
    .orderBy('groups.type')
    .orderBy('groups.code')
    .execute();
  for (const row of rows) result.get(row.userId)?.push(row);
  return result;
}

export async function replaceUserGroups(db: Executor, tenantId: string, userId: string, groupIds: string[]): Promise<void> {
  await db.deleteFrom('userGroups').where('tenantId', '=', tenantId).where('userId', '=', userId).execute();
  await addMembers(
    db,
    tenantId,
    groupIds.map((groupId) => ({ userId, groupId })),
  );
}

export async function addMembers(db: Executor, tenantId: string, pairs: Array<{ userId: string; groupId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db
    .insertInto('userGroups')
    .values(pairs.map((p) => ({ tenantId, ...p })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Live members of a group, in creation order. */
export function listMembers(
  db: Executor,
  tenantId: string,
  groupId: string,
): Promise<Array<{ id: string; username: string | null; email: string | null; displayName: string | null }>> {
  return db
    .selectFrom('userGroups')
    .innerJoin('users', (j) => j.onRef('users.tenantId', '=', 'userGroups.tenantId').onRef('users.id', '=', 'userGroups.userId'))
    .select(['users.id', 'users.username', 'users.email', 'users.displayName'])
    .where('userGroups.tenantId', '=', tenantId)
    .where('userGroups.groupId', '=', groupId)
    .where('users.deletedAt', 'is', null)
    .orderBy('users.id')
    .execute();
}

/** Removes these users from the group, or every member when `userIds` is 'all'. */
export async function removeMembers(db: Executor, tenantId: string, groupId: string, userIds: string[] | 'all'): Promise<void> {
  if (userIds !== 'all' && userIds.length === 0) return;
  let query = db.deleteFrom('userGroups').where('tenantId', '=', tenantId).where('groupId', '=', groupId);
  if (userIds !== 'all') query = query.where('userId', 'in', userIds);
  await query.execute();
}
