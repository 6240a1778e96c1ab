import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/**
 * Webhook fan-out moves out of the writing transaction: an event is recorded with
 * `pending_fanout`, and the webhook worker turns it into deliveries later. A create then writes the
 * same rows whatever the number of webhooks. Events recorded before this migration were fanned out already.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .alterTable('events')
    .addColumn('pending_fanout', t.boolean, (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createIndex('events_pending_fanout_idx')
    .on('events')
    .columns(['id'])
    .where(sql.ref('pending_fanout'), '=', sql.lit(true))
    .execute();
}
