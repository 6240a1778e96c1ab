import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/** Idempotency keys of POST requests, and import jobs with their rows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('content_type', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['tenant_id', 'key'])
    .execute();
}
