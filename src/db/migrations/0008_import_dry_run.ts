import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/** Import jobs can be dry runs: every row is checked as for a real import, and nothing is created. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .alterTable('import_jobs')
    .addColumn('dry_run', t.boolean, (c) => c.notNull().defaultTo(false))
    .execute();
}
