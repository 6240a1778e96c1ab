import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
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
  if (rows.length > 0) await db.insertInto('importRows').values(rows.map((r) => ({ tenantId, jobId, ...r }))).execute();
}

export function rowsAfter(db: Executor, tenantId: string, jobId: string, afterRow: number, limit: number): Promise<Array<{ row: number; data: string }>> {
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
  await db.updateTable('importJobs').set({ status: 'queued', totalRows, updatedAt: now }).where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

/**
 * Takes a job for this process: a queued one, or a running one whose process stopped beating.
 * The conditional update makes the claim exclusive between processes.
 */
export async function claimJob(db: Executor, job: Pick<ImportJobRow, 'tenantId' | 'id' | 'status' | 'updatedAt'>, now: string): Promise<boolean> {
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

/** Jobs waiting for a worker: queued ones, and running ones not updated since `staleBefore`. */
export function findRunnable(db: Executor, staleBefore: string, limit: number): Promise<ImportJobRow[]> {
  return db
    .selectFrom('importJobs')
    .selectAll()
    .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('updatedAt', '<', staleBefore)])]))
    .orderBy('createdAt')
    .limit(limit)
    .execute();
}

/** Records a committed chunk in its own transaction: counters, resume point, heartbeat, errors. */
export async function recordChunk(db: Executor, tenantId: string, jobId: string, delta: { processed: number; created: number; failed: number }, lastRow: number, errors: RowError[], now: string): Promise<void> {
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
  const perRow = new Map<number, number>();
  const rows = errors.map((e) => {
    const n = (perRow.get(e.row) ?? 0) + 1;
    perRow.set(e.row, n);
    return { tenantId, jobId, row: e.row, n, code: e.code, field: e.field, message: e.message };
  });
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('importErrors').values(rows.slice(i, i + 500)).execute();
}

export async function finishJob(db: Executor, tenantId: string, id: string, status: 'completed' | 'failed', error: string | null, now: string): Promise<void> {
  await db.updateTable('importJobs').set({ status, error, updatedAt: now, finishedAt: now }).where('tenantId', '=', tenantId).where('id', '=', id).execute();
  await db.deleteFrom('importRows').where('tenantId', '=', tenantId).where('jobId', '=', id).execute();
}

export function listErrors(db: Executor, tenantId: string, jobId: string, afterRow: number, limit: number) {
  return db
    .selectFrom('importErrors')
    .select(['row', 'code', 'field', 'message'])
    .where('tenantId', '=', tenantId)
    .where('jobId', '=', jobId)
    .where('row', '>', afterRow)
    .orderBy('row')
    .orderBy('n')
    .limit(limit)
    .execute();
}
