import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
import { nowIso } from '../../lib/time.js';
import type { RowError } from './import-runner.js';
import type { ImportJobTable } from './import.table.js';
import type { Insertable, Selectable } from 'kysely';

export type ImportJobRow = Selectable<ImportJobTable>;

export async function insertJob(db: Executor, row: Insertable<ImportJobTable>): Promise<void> {
  await db.insertInto('importJobs').values(row).execute();
}

export function findJob(db: Executor, tenantId: string, id: string): Promise<ImportJobRow | undefined> {
  return db.selectFrom('importJobs').selectAll().where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertRows(db: Executor, tenantId: string, jobId: string, rows: Array<{ row: number; data: string }>): Promise<void> {
  if (rows.length > 0)
    await db
      .insertInto('importRows')
      .values(rows.map((r) => ({ tenantId, jobId, ...r })))
      .execute();
}

export function rowsAfter(
  db: Executor,
  tenantId: string,
  jobId: string,
  afterRow: number,
  limit: number,
): Promise<Array<{ row: number; data: string }>> {
  return db
    .selectFrom('importRows')
    .select(['row', 'data'])
    .where('tenantId', '=', tenantId)
    .where('jobId', '=', jobId)
    .where('row', '>', afterRow)
    .orderBy('row')
    .limit(limit)
    .execute();
}

export async function markQueued(db: Executor, tenantId: string, id: string, totalRows: number, now: string): Promise<void> {
  await db
    .updateTable('importJobs')
    .set({ status: 'queued', totalRows, updatedAt: now })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/**
 * Takes a job for this process: a queued one, or a running one whose process stopped beating.
 * The conditional update makes the claim exclusive between processes.
 */
export async function claimJob(
  db: Executor,
  job: Pick<ImportJobRow, 'tenantId' | 'id' | 'status' | 'updatedAt'>,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('importJobs')
    .set({ status: 'running', updatedAt: now })
    .where('tenantId', '=', job.tenantId)
    .where('id', '=', job.id)
    .where('status', '=', job.status)
    .where('updatedAt', '=', job.updatedAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Jobs waiting for a worker: queued ones (new, or between two turns), and running ones not updated since `staleBefore`. */
function runnable(db: Executor, staleBefore: string) {
  return db
    .selectFrom('importJobs')
    .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('updatedAt', '<', staleBefore)])]));
}

/**
 * The job whose turn it is: tenants take turns, one chunk each. The tenant served longest ago (the
 * latest `updatedAt` among its runnable jobs is the oldest: a job's chunk stamps it) goes first, and
 * within a tenant its oldest job. So one tenant's huge import delays another tenant's job by about one
 * chunk, not by the whole import.
 */
export async function findNextRunnable(db: Executor, staleBefore: string): Promise<ImportJobRow | undefined> {
  const tenant = await runnable(db, staleBefore)
    .select((eb) => ['tenantId', eb.fn.max('updatedAt').as('servedAt')])
    .groupBy('tenantId')
    .orderBy('servedAt')
    .orderBy('tenantId')
    .limit(1)
    .executeTakeFirst();
  if (!tenant) return undefined;
  return runnable(db, staleBefore)
    .selectAll()
    .where('tenantId', '=', tenant.tenantId)
    .orderBy('createdAt')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Gives a job back to the queue after its turn (one chunk), its resume point recorded: it waits for its next turn. */
export async function requeueJob(db: Executor, tenantId: string, id: string, now: string): Promise<void> {
  await db
    .updateTable('importJobs')
    .set({ status: 'queued', updatedAt: now })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}

/** Records a committed chunk in its own transaction: counters, resume point, heartbeat, errors. */
export async function recordChunk(
  db: Executor,
  tenantId: string,
  jobId: string,
  delta: { processed: number; created: number; failed: number },
  lastRow: number,
  errors: RowError[],
  now: string,
): Promise<void> {
  await db
    .updateTable('importJobs')
    .set({
      processed: sql`processed + ${delta.processed}`,
      created: sql`created + ${delta.created}`,
      failed: sql`failed + ${delta.failed}`,
      lastRow,
      updatedAt: now,
    })
    .where('tenantId', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
  await insertErrors(db, tenantId, jobId, errors);
}

/**
 * Stores row errors, numbered per row. Rows of the file are each handled once; row 0 (a sync's
 * deactivations, not a row of the file) gathers errors over several turns, so its numbers go on
 * from the last one stored.
 */
export async function insertErrors(db: Executor, tenantId: string, jobId: string, errors: RowError[]): Promise<void> {
  if (errors.length === 0) return;
  const perRow = new Map<number, number>();
  if (errors.some((e) => e.row === 0)) {
    const last = await db
      .selectFrom('importErrors')
      .select((eb) => eb.fn.max('n').as('n'))
      .where('tenantId', '=', tenantId)
      .where('jobId', '=', jobId)
      .where('row', '=', 0)
      .executeTakeFirst();
    perRow.set(0, Number(last?.n ?? 0));
  }
  const rows = errors.map((e) => {
    const n = (perRow.get(e.row) ?? 0) + 1;
    perRow.set(e.row, n);
    return {
      tenantId,
      jobId,
      row: e.row,
      n,
      code: e.code,
      field: e.field,
      message: e.message,
      value: e.value ?? null,
      duplicateOf: e.duplicateOf ?? null,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('importErrors')
      .values(rows.slice(i, i + 500))
      .execute();
}

export async function finishJob(
  db: Executor,
  tenantId: string,
  id: string,
  status: 'completed' | 'failed',
  error: string | null,
  now: string,
): Promise<void> {
  await db
    .updateTable('importJobs')
    .set({ status, error, updatedAt: now, finishedAt: now })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/** Rows per statement of dropJobData: each is a short transaction of its own. */
const DROP_PAGE = 2000;

/**
 * Drops a finished job's stored rows and references, a page per statement (each its own transaction), after
 * the job is marked finished (finishJob). One statement for a million rows held SQLite's write lock for
 * seconds, and a server write queued behind it held up the reads sharing its connection (a 1.7-2.7 s read
 * at the end of every 1,000,000-row import). A process that dies half-way leaves rows of a finished job,
 * which dropFinishedJobsData removes when an import worker starts.
 *
 * A page is a key range: the page's last key is read first (an index lookup), then the rows up to it are
 * deleted (an index range scan). The earlier `key IN (SELECT key … LIMIT n)` depended on the planner: on
 * PostgreSQL, with statistics taken while the table was empty (job tables usually are), it chose a nested
 * loop that read the subquery once per row, 25 s per page of 2,000 and minutes at the end of a 10,000-row
 * upsert (`import-job-data.test.ts` runs the drop against such statistics).
 */
export async function dropJobData(db: Executor, tenantId: string, jobId: string): Promise<void> {
  for (const table of ['importRows', 'importJobRefs'] as const) {
    const key = table === 'importRows' ? 'row' : 'ref';
    // A column chosen at run time cannot be typed by Kysely: `key as 'row'` stands for either.
    const column = key as 'row';
    // Each page starts after the last one's last key: the index entries of deleted rows stay until a
    // vacuum, and starting from the first key again would step over all of them on every page.
    let after: unknown;
    for (;;) {
      let last = db.selectFrom(table).select(column).where('tenantId', '=', tenantId).where('jobId', '=', jobId);
      if (after !== undefined) last = last.where(column, '>', after as never);
      const bound = await last
        .orderBy(column)
        .offset(DROP_PAGE - 1)
        .limit(1)
        .executeTakeFirst();
      let page = db.deleteFrom(table).where('tenantId', '=', tenantId).where('jobId', '=', jobId);
      if (after !== undefined) page = page.where(column, '>', after as never);
      // Fewer than a page left: the rest goes in this statement.
      const boundKey = bound === undefined ? undefined : (bound as Record<string, unknown>)[key];
      if (boundKey !== undefined) page = page.where(column, '<=', boundKey as never);
      await page.execute();
      if (boundKey === undefined) break;
      after = boundKey;
    }
  }
}

/** Marks a job failed with `error`, then drops what it stored (dropJobData): every way a job fails outside a transaction. */
export async function failJob(db: Executor, tenantId: string, id: string, error: string): Promise<void> {
  await finishJob(db, tenantId, id, 'failed', error, nowIso());
  await dropJobData(db, tenantId, id);
}

/**
 * Drops what dropJobData left of finished jobs when its process died (run when an import worker starts).
 * Finished means ended by finishJob (`finishedAt` set): an upload in progress is also stored as `failed`
 * ('upload incomplete') until its last row is in, and its rows are the job's input.
 */
export async function dropFinishedJobsData(db: Executor): Promise<void> {
  const finished = await db
    .selectFrom('importJobs')
    .select(['tenantId', 'id'])
    .where('status', 'in', ['completed', 'failed'])
    .where('finishedAt', 'is not', null)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('importRows')
            .select('row')
            .whereRef('importRows.tenantId', '=', 'importJobs.tenantId')
            .whereRef('importRows.jobId', '=', 'importJobs.id'),
        ),
        eb.exists(
          eb
            .selectFrom('importJobRefs')
            .select('ref')
            .whereRef('importJobRefs.tenantId', '=', 'importJobs.tenantId')
            .whereRef('importJobRefs.jobId', '=', 'importJobs.id'),
        ),
      ]),
    )
    .execute();
  for (const job of finished) await dropJobData(db, job.tenantId, job.id);
}

export function listErrors(db: Executor, tenantId: string, jobId: string, afterRow: number, limit: number) {
  return db
    .selectFrom('importErrors')
    .select(['row', 'code', 'field', 'message', 'value', 'duplicateOf'])
    .where('tenantId', '=', tenantId)
    .where('jobId', '=', jobId)
    .where('row', '>', afterRow)
    .orderBy('row')
    .orderBy('n')
    .limit(limit)
    .execute();
}
