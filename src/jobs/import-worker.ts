import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { readBool, readJson } from '../db/column-types.js';
import type { Db, Dialect, Executor } from '../db/database.js';
import { nowIso } from '../lib/time.js';
import type { TenantContext } from '../modules/context.js';
import { jobPrincipal, type JobCredential } from '../modules/imports/import-credential.js';
import type { ImportRecord } from '../modules/imports/import-records.js';
import * as imports from '../modules/imports/import.repository.js';
import type { ImportJobRow } from '../modules/imports/import.repository.js';
import { runImport, type ImportProgress, type RowError } from '../modules/imports/import-runner.js';
import { runDeactivateTurn, runUpsertTurn } from '../modules/imports/import-upsert.js';
import { BackgroundWorker } from './background-worker.js';
import { columnMapOf, toImportJob } from '../modules/imports/import.service.js';
import { actorOf, recordEvents } from '../modules/events/event.service.js';
import type { ImportFormat } from '../modules/imports/import-records.js';
import type { UserService } from '../modules/users/user.service.js';

const PAGE = 500;

class Stopping extends Error {}

/** The job's credential was revoked, ended or lost users:create: the job fails with this reason. */
class CredentialEnded extends Error {}

/** onBatch hands over running totals; the job's counters take the difference since the last batch. */
function makeBatchRecorder(db: Db, job: ImportJobRow) {
  let before: ImportProgress = { processed: 0, created: 0, failed: 0 };
  return async (total: ImportProgress, errors: RowError[], lastRow: number) => {
    const delta = {
      processed: total.processed - before.processed,
      created: total.created - before.created,
      failed: total.failed - before.failed,
    };
    before = { ...total };
    await imports.recordChunk(db, job.tenantId, job.id, delta, lastRow, errors, nowIso());
  };
}

/**
 * Runs queued import jobs in the background. A chunk's users, the job's counters and its resume
 * point are committed together, so a job killed at any moment resumes where it stopped and never
 * creates a row twice. Several processes may run workers on one database: claims are exclusive.
 * A job runs one chunk per turn and then goes back to the queue, where tenants take turns
 * (findNextRunnable): one tenant's huge import cannot hold another tenant's small one for hours.
 * A job acts with its submitter's credential as it stands now: authenticated again before each turn
 * (and once more inside each chunk's transaction, so a chunk that races a revocation is rolled back),
 * with the permissions it holds now. Once the credential is revoked, ended or may no longer create
 * users, the job fails with a reason and creates nothing more ("keys can be revoked: at once").
 */
export class ImportWorker extends BackgroundWorker {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly users: UserService,
    log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
    /** A running job not updated for this long belongs to a process that died: another may take it over. */
    private readonly staleMs = 30_000,
    pollMs = 2000,
    /** Called after a drain that found no runnable job (the import thread leaves when idle). */
    private readonly onIdle?: () => void,
  ) {
    super(log, pollMs, 'import worker');
  }

  #leftoversDropped = false;

  protected async drain(): Promise<void> {
    if (!this.#leftoversDropped) {
      await imports.dropFinishedJobsData(this.db);
      this.#leftoversDropped = true;
    }
    for (;;) {
      if (this.stopping) return;
      const job = await imports.findNextRunnable(this.db, new Date(Date.now() - this.staleMs).toISOString());
      if (!job) return this.onIdle?.();
      if (await imports.claimJob(this.db, job, nowIso())) await this.run(job);
    }
  }

  /** One turn's rows (a chunk) after the job's resume point; `turn.more` tells whether rows are left after them. */
  private async *records(job: ImportJobRow, turn: { more: boolean }): AsyncGenerator<ImportRecord> {
    if (this.stopping) throw new Stopping();
    const rows = await imports.rowsAfter(this.db, job.tenantId, job.id, job.lastRow, PAGE + 1);
    turn.more = rows.length > PAGE;
    for (const { row, data } of rows.slice(0, PAGE)) yield { row, ...(JSON.parse(data) as { value?: unknown; readError?: string }) };
  }

  private async run(job: ImportJobRow): Promise<void> {
    const credential = readJson<JobCredential>(job.principal);
    const auth = await jobPrincipal(this.db, job.tenantId, credential);
    if (!auth.ok) return this.stopForCredential(job, auth.reason);
    const { principal } = auth;
    const ctx: TenantContext = { tenantId: job.tenantId, principal, requestId: `import:${job.id}` };
    const turn = { more: false };
    // Inside the chunk's transaction, after its users are written: a revocation committed meanwhile rolls the chunk back.
    const stillAllowed = async (trx: Executor) => {
      const again = await jobPrincipal(trx, job.tenantId, credential);
      if (!again.ok) throw new CredentialEnded(again.reason);
    };
    try {
      // Upsert and sync jobs take their turn in import-upsert.ts; create jobs feed the create path.
      const more =
        job.mode === 'create'
          ? await this.createTurn(job, ctx, stillAllowed, turn).then(() => turn.more)
          : await this.syncTurn(job, ctx, stillAllowed);
      if (more) {
        await imports.requeueJob(this.db, job.tenantId, job.id, nowIso());
        return;
      }
      await this.db.transaction().execute(async (trx) => {
        await imports.finishJob(trx, job.tenantId, job.id, 'completed', null, nowIso());
        const finished = await imports.findJob(trx, job.tenantId, job.id);
        if (finished)
          await recordEvents(trx, job.tenantId, actorOf(principal, ctx.requestId), [
            { type: 'import.completed', resourceType: 'import', resourceId: job.id, data: toImportJob(finished) },
          ]);
      });
      this.log.info({ importId: job.id }, 'import completed');
      await imports.dropJobData(this.db, job.tenantId, job.id);
    } catch (error) {
      if (error instanceof CredentialEnded) return this.stopForCredential(job, error.message);
      if (error instanceof Stopping) {
        await this.db
          .updateTable('importJobs')
          .set({ status: 'queued', updatedAt: nowIso() })
          .where('tenantId', '=', job.tenantId)
          .where('id', '=', job.id)
          .execute();
        return;
      }
      this.log.error({ err: error, importId: job.id }, 'import failed');
      await imports.failJob(this.db, job.tenantId, job.id, 'The import stopped on an internal error; see the server log');
    }
  }

  /** One turn of a create job: a chunk of rows through the create path, recorded with each chunk's transaction. */
  private async createTurn(
    job: ImportJobRow,
    ctx: TenantContext,
    stillAllowed: (trx: Executor) => Promise<void>,
    turn: { more: boolean },
  ): Promise<void> {
    await runImport(this.users, ctx, this.records(job, turn), {
      format: job.format as ImportFormat,
      columnMap: columnMapOf(job),
      batchSize: PAGE,
      // A dry run creates nothing, so its progress is simply recorded after each batch.
      ...(readBool(job.dryRun)
        ? { dryRun: true, onBatch: makeBatchRecorder(this.db, job) }
        : {
            onChunk: async (trx: Executor, delta: ImportProgress, errors: RowError[], lastRow: number) => {
              await stillAllowed(trx);
              await imports.recordChunk(trx, job.tenantId, job.id, delta, lastRow, errors, nowIso());
            },
          }),
    });
  }

  /**
   * One turn of an upsert or sync job: a chunk of rows, or, once every row is applied, a page of a
   * sync's deactivations. Says whether the job has more to do.
   */
  private async syncTurn(job: ImportJobRow, ctx: TenantContext, stillAllowed: (trx: Executor) => Promise<void>): Promise<boolean> {
    if (this.stopping) throw new Stopping();
    const env = { db: this.db, users: this.users, stillAllowed };
    if (job.phase === 'rows') {
      const rows = await imports.rowsAfter(this.db, job.tenantId, job.id, job.lastRow, PAGE + 1);
      const records: ImportRecord[] = rows
        .slice(0, PAGE)
        .map(({ row, data }) => ({ row, ...(JSON.parse(data) as { value?: unknown; readError?: string }) }));
      await runUpsertTurn(env, ctx, job, records, { columnMap: columnMapOf(job), batchSize: PAGE });
      if (rows.length > PAGE) return true;
      if (job.mode !== 'sync') return false;
      await this.db
        .updateTable('importJobs')
        .set({ phase: 'deactivate', updatedAt: nowIso() })
        .where('tenantId', '=', job.tenantId)
        .where('id', '=', job.id)
        .execute();
      return true;
    }
    await this.ledgerStatistics(job);
    return runDeactivateTurn(env, ctx, job, PAGE);
  }

  /** Sync jobs whose ledger statistics this process took (ledgerStatistics). */
  #ledgersAnalyzed = new Set<string>();

  /**
   * The deactivations look up every user in scope in the job's ledger. On PostgreSQL, with statistics taken
   * while the ledger was empty (jobs drop theirs when they end), the planner read the whole ledger once per
   * user: 58 s a page of 20,000 users. Statistics taken once the ledger holds every named user give it its
   * true size (a sample, well under a second), once per job in each process that runs its deactivations (a
   * job resumed elsewhere takes them again). Without them the deactivations are slower, not wrong: a failure
   * is logged and the job goes on.
   */
  private async ledgerStatistics(job: ImportJobRow): Promise<void> {
    if (this.dialect !== 'postgres' || this.#ledgersAnalyzed.has(job.id)) return;
    this.#ledgersAnalyzed.add(job.id);
    try {
      await sql`analyze import_job_refs`.execute(this.db);
    } catch (error) {
      this.log.warn({ err: error, importId: job.id }, 'the import ledger could not be analyzed; deactivations may be slow');
    }
  }

  private async stopForCredential(job: ImportJobRow, reason: string): Promise<void> {
    this.log.warn({ importId: job.id, tenantId: job.tenantId }, reason);
    await imports.failJob(this.db, job.tenantId, job.id, reason);
  }
}
