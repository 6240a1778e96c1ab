import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Imports that sync, not only create (issue 24): a job has a `mode` (create, upsert, sync), a sync
 * `scope`, counters for every outcome, its header problems, and the phase a sync is in. Each row error
 * may carry the value that failed and the row an in-file duplicate repeats.
 *
 * `import_job_refs` is the job's ledger: one row per user the job matched, created or deactivated
 * (`u:<id>`) and per match key its rows carried (`k:e:<email>`, `k:u:<username>`, `k:x:<externalId>`),
 * with the row that did it. It is written in the transaction that applies the row, so a resumed job
 * knows what it already did, finds in-file duplicates across chunks, and a sync knows which users the
 * file contains. It is deleted with the job's rows when the job ends.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('import_jobs')
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('create'))
    .execute();
  await db.schema.alterTable('import_jobs').addColumn('scope', 'text').execute();
  await db.schema
    .alterTable('import_jobs')
    .addColumn('phase', 'text', (c) => c.notNull().defaultTo('rows'))
    .execute();
  for (const column of ['updated', 'unchanged', 'deactivated', 'conflicts'])
    await db.schema
      .alterTable('import_jobs')
      .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  await db.schema.alterTable('import_jobs').addColumn('header_errors', 'text').execute();
  await db.schema.alterTable('import_errors').addColumn('value', 'text').execute();
  await db.schema.alterTable('import_errors').addColumn('duplicate_of', 'integer').execute();
  await db.schema
    .createTable('import_job_refs')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('row', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_job_refs_pkey', ['tenant_id', 'job_id', 'ref'])
    .execute();
}
