import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
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
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('webhookDeliveries').values(rows.slice(i, i + 500)).execute();
}

/**
 * Claims up to `limit` due deliveries for this worker until `lockUntil`. On PostgreSQL the rows are
 * picked with FOR UPDATE SKIP LOCKED, so concurrent workers never take the same delivery; the
 * conditional update is the same guard on SQLite, whose writers are serialised anyway.
 */
export async function claimDue(db: Executor, dialect: 'sqlite' | 'postgres', now: string, lockUntil: string, limit: number): Promise<DeliveryRow[]> {
  let due = db
    .selectFrom('webhookDeliveries')
    .select(['tenantId', 'id'])
    .where('status', '=', 'pending')
    .where('nextAttemptAt', '<=', now)
    .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]))
    .orderBy('nextAttemptAt')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const candidates = await due.execute();
  const claimed: DeliveryRow[] = [];
  for (const c of candidates) {
    const row = await db
      .updateTable('webhookDeliveries')
      .set({ lockedUntil: lockUntil })
      .where('tenantId', '=', c.tenantId)
      .where('id', '=', c.id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]))
      .returningAll()
      .executeTakeFirst();
    if (row) claimed.push(row);
  }
  return claimed;
}

export async function recordAttempt(db: Executor, row: Insertable<WebhookAttemptTable>): Promise<void> {
  await db.insertInto('webhookAttempts').values(row).execute();
}

export async function updateDelivery(db: Executor, tenantId: string, id: string, changes: Updateable<WebhookDeliveryTable>): Promise<void> {
  await db.updateTable('webhookDeliveries').set(changes).where('tenantId', '=', tenantId).where('id', '=', id).execute();
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
  return db.selectFrom('webhookAttempts').selectAll().where('tenantId', '=', tenantId).where('deliveryId', 'in', deliveryIds).orderBy('attempt').execute();
}

/** Deliveries of this webhook that failed for good since `since`, and whether any succeeded since. */
export async function recentOutcome(db: Executor, tenantId: string, webhookId: string, since: string): Promise<{ failed: number; delivered: number }> {
  const rows = await db
    .selectFrom('webhookDeliveries')
    .select(['status', sql<number>`count(*)`.as('n')])
    .where('tenantId', '=', tenantId)
    .where('webhookId', '=', webhookId)
    .where('updatedAt', '>=', since)
    .where('status', 'in', ['failed', 'delivered'])
    .groupBy('status')
    .execute();
  return { failed: Number(rows.find((r) => r.status === 'failed')?.n ?? 0), delivered: Number(rows.find((r) => r.status === 'delivered')?.n ?? 0) };
}
