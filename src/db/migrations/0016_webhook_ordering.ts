import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Webhook ordering per resource and the event type in the delivery log.
 *
 * - `events.sequence`: per tenant and resource (`resource_type`, `resource_id`), 1, 2, 3 … in the
 *   order the changes committed; the next number of each resource is kept in `resource_sequences`
 *   (an upsert in the writing transaction, so two writers of one user take turns on its row).
 *   Existing events are numbered in id (time) order.
 * - `webhook_deliveries.event_type`, `resource_type`, `resource_id`, `sequence`: copied from the event
 *   at fan-out. The worker sends a delivery only when no delivery of a lower sequence for the same
 *   webhook and resource is still pending (index `webhook_deliveries_order_idx`), so a retried
 *   `user.created` never arrives after `user.deleted`. The delivery log shows `event_type` even after
 *   the event itself has been purged by the retention period.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('events')
    .addColumn('sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update events set sequence = numbered.n
    from (select tenant_id, id, row_number() over (partition by tenant_id, resource_type, resource_id order by id) as n from events) as numbered
    where events.tenant_id = numbered.tenant_id and events.id = numbered.id`.execute(db);

  await db.schema
    .createTable('resource_sequences')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('last_sequence', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_sequences_pkey', ['tenant_id', 'resource_type', 'resource_id'])
    .execute();
  await sql`insert into resource_sequences (tenant_id, resource_type, resource_id, last_sequence)
    select tenant_id, resource_type, resource_id, max(sequence) from events group by tenant_id, resource_type, resource_id`.execute(db);

  for (const column of ['event_type', 'resource_type', 'resource_id'])
    await db.schema.alterTable('webhook_deliveries').addColumn(column, 'text').execute();
  await db.schema.alterTable('webhook_deliveries').addColumn('sequence', 'integer').execute();
  await sql`update webhook_deliveries set event_type = e.type, resource_type = e.resource_type, resource_id = e.resource_id, sequence = e.sequence
    from events as e
    where e.tenant_id = webhook_deliveries.tenant_id and e.id = webhook_deliveries.event_id`.execute(db);

  // The worker's ordering check: the pending deliveries of one webhook and resource, by sequence.
  await db.schema
    .createIndex('webhook_deliveries_order_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'resource_id', 'tenant_id', 'sequence'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}
