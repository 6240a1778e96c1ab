import type { Executor } from '../../db/database.js';
import type { EventTable } from './event.table.js';
import { sql, type Insertable, type Selectable } from 'kysely';

export type EventRow = Selectable<EventTable>;

export async function insertMany(db: Executor, rows: Array<Insertable<EventTable>>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('events')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** What fan-out needs of an event: who receives it, and its place in its resource's order. */
export type FanoutEvent = Pick<EventRow, 'tenantId' | 'id' | 'type' | 'occurredAt' | 'resourceType' | 'resourceId' | 'sequence'>;
const fanoutColumns = ['tenantId', 'id', 'type', 'occurredAt', 'resourceType', 'resourceId', 'sequence'] as const;

/**
 * Claims events awaiting fan-out, oldest first, and marks them done in the caller's transaction; on
 * PostgreSQL rows another process holds are skipped, so each event is fanned out by one process.
 * On SQLite it is one UPDATE … RETURNING: a transaction that began by reading could not take the
 * write lock while another process writes, so a separate worker process would starve under load.
 */
export async function claimPendingFanout(db: Executor, dialect: 'sqlite' | 'postgres', limit: number): Promise<FanoutEvent[]> {
  // A literal `true`, so SQLite can use the partial index on pending events.
  const pendingQuery = db.selectFrom('events').where('pendingFanout', '=', sql.lit(true)).orderBy('id').limit(limit);
  if (dialect === 'sqlite') {
    return db
      .updateTable('events')
      .set({ pendingFanout: false })
      .where(sql.ref('rowid'), 'in', pendingQuery.select(sql<number>`rowid`.as('rowid')))
      .returning(fanoutColumns)
      .execute();
  }
  const pending = await pendingQuery.select(fanoutColumns).forUpdate().skipLocked().execute();
  for (const tenantId of new Set(pending.map((e) => e.tenantId))) {
    const ids = pending.filter((e) => e.tenantId === tenantId).map((e) => e.id);
    await db.updateTable('events').set({ pendingFanout: false }).where('tenantId', '=', tenantId).where('id', 'in', ids).execute();
  }
  return pending;
}

export interface EventFilter {
  type?: string | undefined;
  actorId?: string | undefined;
  resourceId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** The cursor: the last id of the previous page. */
  afterId?: string | undefined;
  /** Newest first (ids are time-ordered, so the primary key serves both orders). */
  newestFirst?: boolean;
  limit: number;
}

export function list(db: Executor, tenantId: string, filter: EventFilter): Promise<EventRow[]> {
  let query = db.selectFrom('events').selectAll().where('tenantId', '=', tenantId);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.actorId !== undefined) query = query.where('actorId', '=', filter.actorId);
  if (filter.resourceId !== undefined) query = query.where('resourceId', '=', filter.resourceId);
  if (filter.since !== undefined) query = query.where('occurredAt', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('occurredAt', '<', filter.until);
  if (filter.afterId !== undefined) query = query.where('id', filter.newestFirst ? '<' : '>', filter.afterId);
  return query
    .orderBy('id', filter.newestFirst ? 'desc' : 'asc')
    .limit(filter.limit)
    .execute();
}

export function findByIds(db: Executor, tenantId: string, ids: string[]): Promise<EventRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('events').selectAll().where('tenantId', '=', tenantId).where('id', 'in', ids).execute();
}

export async function deleteOlderThan(db: Executor, before: string): Promise<void> {
  await db.deleteFrom('events').where('occurredAt', '<', before).execute();
}
