import type { Readable } from 'node:stream';
import { readBool, readJson } from '../../db/column-types.js';
import type { Db } from '../../db/database.js';
import { AppError, fieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { actorRef, requirePermission, type TenantContext } from '../context.js';
import { jobCredentialOf } from './import-credential.js';
import { parseColumnMap } from './import-mapping.js';
import { DEFAULT_RECORD_LIMITS, readRecords, type ImportFormat, type RecordLimits } from './import-records.js';
import { headerError, headerProblems, type HeaderProblem } from './import-header.js';
import type { SyncScope } from './import-upsert.js';
import * as imports from './import.repository.js';
import type { ImportMode } from './import.table.js';
import type { ImportJobRow } from './import.repository.js';
import type { ImportJob } from './import.schemas.js';

const UPLOAD_BATCH = 1000;

export function toImportJob(row: ImportJobRow): ImportJob {
  return {
    // A started job waits in the queue between its turns (one chunk each, see ImportWorker): to its owner it is running.
    id: row.id,
    status: row.status === 'queued' && row.lastRow > 0 ? 'running' : row.status,
    format: row.format,
    mode: row.mode,
    scope: row.scope === null ? null : (JSON.parse(row.scope) as SyncScope),
    phase: row.phase,
    dryRun: readBool(row.dryRun),
    totalRows: row.totalRows,
    processed: row.processed,
    created: row.created,
    updated: row.updated,
    unchanged: row.unchanged,
    deactivated: row.deactivated,
    conflicts: row.conflicts,
    failed: row.failed,
    headerErrors: row.headerErrors === null ? null : (JSON.parse(row.headerErrors) as HeaderProblem[]),
    error: row.error,
    createdBy: row.createdBy,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    finishedAt: row.finishedAt === null ? null : toIso(row.finishedAt),
  };
}

/** Import jobs: the upload is stored row by row, then a worker feeds it to the create path. */
export class ImportService {
  constructor(
    private readonly db: Db,
    private readonly onQueued: () => void,
    /** Caps of one record and one CSV cell (ROSTER_IMPORT_MAX_RECORD_BYTES, ROSTER_IMPORT_MAX_FIELD_BYTES); `roster import` uses them too. */
    readonly recordLimits: RecordLimits = DEFAULT_RECORD_LIMITS,
  ) {}

  /**
   * Streams an upload into a new job (never holding the whole file, nor a record over the caps) and queues it.
   * A record over the caps is stored as a row error; the job goes on with the next record.
   * A CSV's header is checked once: unknown
   * columns and a missing identifier column fail the job with IMPORT_HEADER_INVALID, before any row.
   * The job keeps who submitted it (import-credential.ts), not a secret: the worker authenticates that
   * credential again before each chunk and stops the job once it is revoked or may no longer create users.
   * @param tokenHash for a user's session or personal token, the SHA-256 of the token presented.
   * @throws PERMISSION_DENIED (users:create; upsert and sync also users:update, sync users:set-active);
   *   VALIDATION_FAILED (bad map or scope, unreadable file); IMPORT_HEADER_INVALID; IMPORT_RECORD_TOO_LARGE
   *   (a header over the caps, or an unclosed quote past them: the file cannot be read on).
   */
  async submit(
    ctx: TenantContext,
    source: Readable,
    format: ImportFormat,
    map: string | undefined,
    dryRun = false,
    tokenHash?: string,
    options: { mode?: ImportMode; scope?: SyncScope } = {},
  ): Promise<ImportJob> {
    const mode = options.mode ?? 'create';
    requirePermission(ctx.principal, 'users:create');
    if (mode !== 'create') requirePermission(ctx.principal, 'users:update');
    if (mode === 'sync') requirePermission(ctx.principal, 'users:set-active');
    const scope = options.scope && Object.keys(options.scope).length > 0 ? options.scope : undefined;
    if (scope && mode !== 'sync')
      throw new AppError('VALIDATION_FAILED', {
        errors: [fieldError('/scopeGroup', 'FIELD_INVALID', 'A scope limits what a sync deactivates: use it with mode=sync')],
      });
    let columnMap: Map<string, string>;
    try {
      columnMap = parseColumnMap(map);
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/map', 'FIELD_INVALID', (error as Error).message)] });
    }
    const id = newId();
    const now = nowIso();
    const { principal } = ctx;
    // The job is created as 'failed' and only turned 'queued' once the upload is complete, so a broken upload never runs.
    await imports.insertJob(this.db, {
      tenantId: ctx.tenantId,
      id,
      status: 'failed',
      format,
      mode,
      scope: scope ? JSON.stringify(scope) : null,
      dryRun,
      columnMap: JSON.stringify([...columnMap]),
      principal: JSON.stringify(jobCredentialOf(principal, tokenHash)),
      totalRows: 0,
      processed: 0,
      created: 0,
      failed: 0,
      lastRow: 0,
      error: 'upload incomplete',
      createdBy: actorRef(principal),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    });
    let total = 0;
    let pending: Array<{ row: number; data: string }> = [];
    try {
      let headerChecked = false;
      for await (const record of readRecords(source, format, this.recordLimits)) {
        if (format === 'csv' && !headerChecked && record.value !== undefined) {
          headerChecked = true;
          const problems = headerProblems(columnsOf(record.value), columnMap, mode);
          if (problems.length > 0) {
            await this.db
              .updateTable('importJobs')
              .set({ headerErrors: JSON.stringify(problems) })
              .where('tenantId', '=', ctx.tenantId)
              .where('id', '=', id)
              .execute();
            throw headerError(problems);
          }
        }
        pending.push({
          row: record.row,
          data: JSON.stringify(
            record.readError !== undefined ? { readError: record.readError, readErrorCode: record.readErrorCode } : { value: record.value },
          ),
        });
        total = record.row;
        if (pending.length >= UPLOAD_BATCH) {
          await imports.insertRows(this.db, ctx.tenantId, id, pending);
          pending = [];
        }
      }
      await imports.insertRows(this.db, ctx.tenantId, id, pending);
    } catch (error) {
      const header = error instanceof AppError && error.code === 'IMPORT_HEADER_INVALID';
      await imports.failJob(
        this.db,
        ctx.tenantId,
        id,
        header ? `The header has problems: ${(error as Error).message}` : `The file could not be read: ${(error as Error).message}`,
      );
      // The answer names the failed job, whose `error` says the same.
      if (error instanceof AppError)
        throw new AppError(error.code, {
          detail: error.message,
          errors: error.errors,
          details: { ...error.details, importId: id },
          cause: error,
        });
      throw new AppError('VALIDATION_FAILED', {
        detail: `The file could not be read: ${(error as Error).message}`,
        details: { importId: id },
      });
    }
    await this.db.updateTable('importJobs').set({ error: null }).where('tenantId', '=', ctx.tenantId).where('id', '=', id).execute();
    await imports.markQueued(this.db, ctx.tenantId, id, total, nowIso());
    // Read before waking the worker, so the answer describes the job as queued, not a moment later.
    const job = await this.getImport(ctx, id);
    this.onQueued();
    return job;
  }

  /** @throws PERMISSION_DENIED; IMPORT_NOT_FOUND */
  async getImport(ctx: TenantContext, id: string): Promise<ImportJob> {
    requirePermission(ctx.principal, 'users:read');
    return toImportJob(await this.find(ctx.tenantId, id));
  }

  /** Failed rows in row order, a page at a time. @throws PERMISSION_DENIED; IMPORT_NOT_FOUND */
  async listErrors(ctx: TenantContext, id: string, after: number, limit: number) {
    requirePermission(ctx.principal, 'users:read');
    const job = await this.find(ctx.tenantId, id);
    const rows = await imports.listErrors(this.db, ctx.tenantId, job.id, after, limit + 1);
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? String(page.at(-1)?.row ?? '') : null };
  }

  private async find(tenantId: string, id: string): Promise<ImportJobRow> {
    const row = isUuid(id) ? await imports.findJob(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!row) throw new AppError('IMPORT_NOT_FOUND', { details: { id } });
    return row;
  }
}

/** The columns of a CSV file: the keys of its first record. */
function columnsOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

export function columnMapOf(row: ImportJobRow): Map<string, string> {
  return new Map(readJson<Array<[string, string]>>(row.columnMap));
}
