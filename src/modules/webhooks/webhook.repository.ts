import { sql, type ExpressionBuilder, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { DB } from '../../db/database.js';
import type { Executor } from '../../db/database.js';
import type { WebhookAttemptTable, WebhookDeliveryTable, WebhookTable } from './webhook.table.js';

export type WebhookRow = Selectable<WebhookTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;

export async function insert(db: Executor, row: Insertable<WebhookTable>): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export function findById(db: Executor, tenantId: string, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function list(db: Executor, tenantId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('tenantId', '=', tenantId).orderBy('createdAt').execute();
}

export function listActive(db: Executor, tenantId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('tenantId', '=', tenantId).where('active', '=', true).execute();
}

export async function update(db: Executor, tenantId: string, id: string, changes: Updateable<WebhookTable>): Promise<void> {
  await db.updateTable('webhooks').set(changes).where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

export async function remove(db: Executor, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('webhooks').where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

export async function insertDeliveries(db: Executor, rows: Array<Insertable<WebhookDeliveryTable>>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('webhookDeliveries')
      .values(rows.slice(i, i + 500))
      .execute();
}

/**
 * Due deliveries in turns across tenants: each tenant's earliest due delivery is turn 1, its second
 * turn 2, and so on (row_number per tenant). Taking them by turn, then due time, gives every tenant with
 * due deliveries a place in a claim before any tenant gets its second: one tenant's flood of events
 * cannot starve another tenant's deliveries. Reads every due row's index entry once per claim.
 */
function dueInTurns(db: Executor, now: string) {
  return db
    .selectFrom('webhookDeliveries')
    .select((eb) => [
      'id',
      'nextAttemptAt',
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy('tenantId').orderBy('nextAttemptAt').orderBy('id'))
        .as('turn'),
    ])
    .where('status', '=', 'pending')
    .where('nextAttemptAt', '<=', now)
    .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]))
    .where((eb) => eb.not(eb.exists(earlierPending(eb))));
}

/**
 * The per-resource order: what holds a delivery back. A delivery waits while the same webhook has a
 * pending delivery (due, retrying or being sent) of an earlier event of the same resource, or while an
 * earlier event of that resource has not been fanned out yet (another worker may be fanning it out
 * right now). A delivered or dead-lettered (failed) delivery releases the order. Deliveries of other
 * resources or other webhooks are never held, so one failing receiver or user blocks nothing else.
 * Deliveries made before migration 0016 (no resource, no sequence) are never held.
 */
function earlierPending(eb: ExpressionBuilder<DB, 'webhookDeliveries'>) {
  const earlierDelivery = eb
    .selectFrom('webhookDeliveries as earlier')
    .select(sql.lit(1).as('held'))
    .whereRef('earlier.tenantId', '=', 'webhookDeliveries.tenantId')
    .whereRef('earlier.webhookId', '=', 'webhookDeliveries.webhookId')
    .whereRef('earlier.resourceId', '=', 'webhookDeliveries.resourceId')
    .where('earlier.status', '=', 'pending')
    .whereRef('earlier.sequence', '<', 'webhookDeliveries.sequence')
    .whereRef('earlier.resourceType', '=', 'webhookDeliveries.resourceType');
  const earlierEvent = eb
    .selectFrom('events')
    .select(sql.lit(1).as('held'))
    .whereRef('events.resourceId', '=', 'webhookDeliveries.resourceId')
    .whereRef('events.tenantId', '=', 'webhookDeliveries.tenantId')
    .whereRef('events.resourceType', '=', 'webhookDeliveries.resourceType')
    .where('events.pendingFanout', '=', sql.lit(true))
    .whereRef('events.sequence', '<', 'webhookDeliveries.sequence');
  return earlierDelivery.unionAll(earlierEvent);
}

/**
 * Claims up to `limit` due deliveries for this worker until `lockUntil`, tenants taking turns (see
 * dueInTurns). On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers
 * never take the same delivery; the conditional update is the same guard on SQLite, whose writers are
 * serialised anyway.
 */
export async function claimDue(
  db: Executor,
  dialect: 'sqlite' | 'postgres',
  now: string,
  lockUntil: string,
  limit: number,
): Promise<DeliveryRow[]> {
  if (dialect === 'sqlite') {
    // One statement that writes first (see claimPendingFanout): the row ids due, locked in one UPDATE.
    const ranked = dueInTurns(db, now).select(sql<number>`rowid`.as('rowNumber'));
    const turns = db
      .selectFrom(ranked.as('due'))
      .select('due.rowNumber')
      .orderBy('due.turn')
      .orderBy('due.nextAttemptAt')
      .orderBy('due.id')
      .limit(limit);
    return db
      .updateTable('webhookDeliveries')
      .set({ lockedUntil: lockUntil })
      .where(sql.ref('rowid'), 'in', turns)
      .returningAll()
      .execute();
  }
  const turns = db
    .selectFrom(dueInTurns(db, now).as('due'))
    .select('due.id')
    .orderBy('due.turn')
    .orderBy('due.nextAttemptAt')
    .orderBy('due.id')
    .limit(limit);
  // Ids are UUIDv7, unique across tenants. The window runs in the subquery; the outer rows are locked (SKIP LOCKED).
  const candidates = await db
    .selectFrom('webhookDeliveries')
    .select(['tenantId', 'id'])
    .where('id', 'in', turns)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]))
    .forUpdate()
    .skipLocked()
    .execute();
  // One UPDATE per tenant, re-checking that each row is still free: on PostgreSQL the rows are locked
  // (SKIP LOCKED); on SQLite the transaction holds the only writer.
  const claimed: DeliveryRow[] = [];
  for (const tenantId of new Set(candidates.map((c) => c.tenantId))) {
    const ids = candidates.filter((c) => c.tenantId === tenantId).map((c) => c.id);
    claimed.push(
      ...(await db
        .updateTable('webhookDeliveries')
        .set({ lockedUntil: lockUntil })
        .where('tenantId', '=', tenantId)
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]))
        .returningAll()
        .execute()),
    );
  }
  return claimed;
}

export async function recordAttempts(db: Executor, rows: Array<Insertable<WebhookAttemptTable>>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('webhookAttempts')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** Applies the same changes to several deliveries of a tenant in one statement. */
export async function updateDeliveries(
  db: Executor,
  tenantId: string,
  ids: string[],
  changes: Updateable<WebhookDeliveryTable>,
): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('webhookDeliveries').set(changes).where('tenantId', '=', tenantId).where('id', 'in', ids).execute();
}

export function findByIds(db: Executor, tenantId: string, ids: string[]): Promise<WebhookRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('webhooks').selectAll().where('tenantId', '=', tenantId).where('id', 'in', ids).execute();
}

export function findDelivery(db: Executor, tenantId: string, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhookDeliveries').selectAll().where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export function listDeliveries(db: Executor, tenantId: string, webhookId: string, limit: number, before?: string): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhookDeliveries').selectAll().where('tenantId', '=', tenantId).where('webhookId', '=', webhookId);
  if (before !== undefined) query = query.where('id', '<', before);
  return query.orderBy('id', 'desc').limit(limit).execute();
}

export function attemptsOf(db: Executor, tenantId: string, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('webhookAttempts')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('deliveryId', 'in', deliveryIds)
    .orderBy('attempt')
    .execute();
}

/** Deliveries of this webhook that failed for good since `since`, and whether any succeeded since. */
export async function recentOutcome(
  db: Executor,
  tenantId: string,
  webhookId: string,
  since: string,
): Promise<{ failed: number; delivered: number }> {
  const rows = await db
    .selectFrom('webhookDeliveries')
    .select(['status', sql<number>`count(*)`.as('n')])
    .where('tenantId', '=', tenantId)
    .where('webhookId', '=', webhookId)
    .where('updatedAt', '>=', since)
    .where('status', 'in', ['failed', 'delivered'])
    .groupBy('status')
    .execute();
  return {
    failed: Number(rows.find((r) => r.status === 'failed')?.n ?? 0),
    delivered: Number(rows.find((r) => r.status === 'delivered')?.n ?? 0),
  };
}
