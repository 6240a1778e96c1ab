import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * `/metrics` counts failed webhook deliveries at every scrape: a partial index keeps that count to the
 * failed rows, however many delivered rows the table holds.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('webhook_deliveries_failed_idx')
    .on('webhook_deliveries')
    .columns(['tenant_id', 'updated_at'])
    .where(sql.ref('status'), '=', 'failed')
    .execute();
}
