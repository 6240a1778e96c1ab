import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Idempotency keys are scoped per credential (the stored `key` is `<actor> <Idempotency-Key>`), and a stored
 * answer remembers the permissions its credential held (replayed only while it still holds them) and which
 * one-time secrets were left out of it. Rows stored before this have no actor in their key: no request
 * finds them again, and they expire within a day.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('permissions', 'text').execute();
  await db.schema.alterTable('idempotency_keys').addColumn('omitted_fields', 'text').execute();
}
