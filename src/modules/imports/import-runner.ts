import type { Executor } from '../../db/database.js';
import { AppError } from '../../errors/app-error.js';
import { compileBodyValidator } from '../../lib/json-schema.js';
import { inputFieldError } from '../../lib/safe-input.js';
import type { TenantContext } from '../context.js';
import { CHUNK_SIZE, yieldToEventLoop, type ItemOutcome } from '../users/user-create.js';
import { CreateUserSchema, type CreateUserInput } from '../users/user.schemas.js';
import type { UserService } from '../users/user.service.js';
import { csvRecordToInput, jsonRecordToInput, type ColumnMap } from './import-mapping.js';
import type { ImportFormat, ImportRecord } from './import-records.js';

const validateRow = compileBodyValidator(CreateUserSchema);

/** One failed row, as reports and `GET /v1/imports/:id/errors` give it. */
export interface RowError {
  row: number;
  code: string;
  field: string | null;
  message: string;
  /** The value that failed, truncated to VALUE_CHARS; never a password or a password hash. */
  value: string | null;
  /** For an in-file duplicate: the earlier row it repeats. */
  duplicateOf: number | null;
}

export interface ImportProgress {
  processed: number;
  created: number;
  failed: number;
}

export interface RunImportOptions {
  format: ImportFormat;
  columnMap: ColumnMap;
  batchSize: number;
  dryRun?: boolean;
  /** Rows at or below this number were done by an earlier run (a resumed job): they are skipped. */
  resumeAfterRow?: number;
  onBatch?: (progress: ImportProgress, errors: RowError[], lastRow: number) => Promise<void> | void;
  /** Runs in each chunk's transaction (a job records its progress there: exactly-once). */
  onChunk?: (trx: Executor, progress: ImportProgress, errors: RowError[], lastRow: number) => Promise<void>;
}

const VALUE_CHARS = 100;
/** Records read between two breaks for the event loop (see readAndFlush). */
const YIELD_EVERY_RECORDS = 50;
/** Fields whose value is a secret: a row error never repeats it. */
const SECRET_FIELDS = new Set(['password', 'passwordHash']);

/** The value at a dotted field of a row, as text for an error report: truncated, and null for a secret or a missing value. */
export function failedValue(input: unknown, field: string | null): string | null {
  if (field === null || typeof input !== 'object' || input === null) return null;
  const path = field.split('.');
  if (path.some((p) => SECRET_FIELDS.has(p))) return null;
  let value: unknown = input;
  for (const p of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, p)) return null;
    value = (value as Record<string, unknown>)[p];
  }
  if (value === undefined || value === null) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return storable(text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text);
}

// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text no store can keep (a NUL, an unpaired surrogate: what TEXT_INVALID refuses) shown as U+FFFD. */
function storable(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** A row's errors, each with the value that failed when the row could be read. */
export function rowErrors(row: number, error: AppError, input?: unknown): RowError[] {
  if (error.errors.length === 0) return [{ row, code: error.code, field: null, message: error.message, value: null, duplicateOf: null }];
  return error.errors.map((e) => {
    const field = e.path.slice(1).replaceAll('/', '.') || null;
    return { row, code: e.code, field, message: e.message, value: failedValue(input, field), duplicateOf: null };
  });
}

/** A record as a create body, or the row's error: a forbidden member name, text no store can keep, or the create schema's field errors. */
export function toCreateInput(
  value: unknown,
  format: ImportFormat,
  columnMap: ColumnMap,
  carryCreatedAt: boolean,
): { input?: unknown; error?: AppError } {
  let input: unknown;
  try {
    input =
      format === 'csv'
        ? csvRecordToInput(value as Record<string, string>, columnMap, { carryCreatedAt })
        : jsonRecordToInput(value, columnMap);
    const hostile = inputFieldError(input);
    if (hostile) return { input, error: new AppError('VALIDATION_FAILED', { errors: [hostile] }) };
    const errors = validateRow(input);
    return errors ? { input, error: new AppError('VALIDATION_FAILED', { errors }) } : { input };
  } catch (error) {
    if (error instanceof AppError) return { input: input ?? value, error };
    throw error;
  }
}

/** A batch on its way: when its rows are written (or it failed), and when it has been reported after the ones before it. */
interface InFlight {
  written: Promise<void>;
  reported: Promise<void>;
}

const TAKEN_FIELDS: Record<string, string> = { EMAIL_TAKEN: 'email', USERNAME_TAKEN: 'username', EXTERNAL_ID_TAKEN: 'externalId' };

/** Names of batches, unique in the process (CreateOptions.pipeline): the writer thread is shared by every import. */
let nextBatchToken = 1;

/** For an identifier the batch itself already used: the earlier row of the batch with the same value (compared case-insensitively). */
function duplicateOf(batch: Array<{ row: number; input?: unknown }>, index: number, field: string): number | null {
  const key = (input: unknown) => {
    const v = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
    return typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  };
  const own = key(batch[index]?.input);
  if (own === undefined) return null;
  for (let i = 0; i < index; i++) if (key(batch[i]?.input) === own) return (batch[i] as { row: number }).row;
  return null;
}

/**
 * Feeds records to the one create path in batches (partial mode): every row meets the same rules as
 * POST /v1/users. Used by `roster import` and by import jobs.
 */
export async function runImport(
  users: UserService,
  ctx: TenantContext,
  records: AsyncIterable<ImportRecord>,
  options: RunImportOptions,
): Promise<ImportProgress> {
  // With onChunk each batch must be one transaction, so a batch's last row is a safe resume point.
  if (options.onChunk && options.batchSize > CHUNK_SIZE) throw new Error(`batchSize must be at most ${CHUNK_SIZE} with onChunk`);
  const progress: ImportProgress = { processed: 0, created: 0, failed: 0 };
  let batch: Array<{ row: number; item: CreateUserInput | AppError; input?: unknown }> = [];
  // Two batches in flight: one is validated (on this thread) while the one before it writes (on SQLite's
  // writer thread, or in PostgreSQL). Each writes only once the one before it has written (`written`: its
  // rows built meanwhile), and is reported only after the one before it was (`reported`). A job's turn is
  // one batch (its resume point is a batch's last row), so jobs never overlap.
  const settledBatch: InFlight = { written: Promise.resolve(), reported: Promise.resolve() };
  let previous = settledBatch;
  let beforePrevious = settledBatch;
  // Batches without job progress are named for SQLite's writer thread, each to run right after the one before it.
  const pipelined = !options.onChunk && !options.dryRun;
  let previousToken: number | undefined;

  const flush = (after: InFlight): InFlight => {
    if (batch.length === 0) return after;
    const current = batch;
    batch = [];
    const lastRow = current.at(-1)?.row ?? 0;
    const tally = (outcomes: ItemOutcome[]) => {
      const errors: RowError[] = [];
      const delta: ImportProgress = { processed: outcomes.length, created: 0, failed: 0 };
      for (const o of outcomes) {
        if (o.status === 'created' || o.status === 'valid') delta.created += 1;
        else if (o.error) {
          delta.failed += 1;
          const item = current[o.index] as { row: number; input?: unknown };
          for (const e of rowErrors(item.row, o.error, item.input)) {
            const field = TAKEN_FIELDS[e.code];
            errors.push(field === undefined ? e : { ...e, duplicateOf: duplicateOf(current, o.index, field) });
          }
        }
      }
      return { delta, errors };
    };
    const onChunk = options.onChunk;
    const token = pipelined ? nextBatchToken++ : undefined;
    const pipeline = token !== undefined ? { token, ...(previousToken !== undefined ? { after: previousToken } : {}) } : undefined;
    previousToken = token;
    const created = users.createUsers(
      ctx,
      current.map((c) => c.item),
      {
        mode: 'partial',
        returnUsers: false,
        // Imports are background work that waits its turn; the 503 admission is for request floods.
        background: true,
        writeAfter: after.written,
        ...(pipeline ? { pipeline } : {}),
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(onChunk
          ? {
              onChunk: async (trx: Executor, chunk: ItemOutcome[]) => {
                const { delta, errors } = tally(chunk);
                await onChunk(trx, delta, errors, lastRow);
              },
            }
          : {}),
      },
    );
    const reported = (async () => {
      const outcomes = await created;
      await after.reported;
      const { delta, errors } = tally(outcomes);
      progress.processed += delta.processed;
      progress.created += delta.created;
      progress.failed += delta.failed;
      await options.onBatch?.(progress, errors, lastRow);
      await yieldToEventLoop();
    })();
    const written = created.then(() => undefined);
    // Awaited by the next batch or at the end; a rejection surfaces there, never as unhandled.
    written.catch(() => undefined);
    reported.catch(() => undefined);
    return { written, reported };
  };

  try {
    await readAndFlush();
  } catch (error) {
    // Nothing goes on writing after the caller hears of the failure.
    await Promise.allSettled([beforePrevious.reported, previous.reported]);
    throw error;
  }
  return progress;

  async function readAndFlush() {
    let sinceYield = 0;
    for await (const record of records) {
      // A stream's piece holds hundreds of records, read without a macrotask break: the writer's answers to the
      // batch in flight would wait for all of them.
      if (++sinceYield >= YIELD_EVERY_RECORDS) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      if (options.resumeAfterRow !== undefined && record.row <= options.resumeAfterRow) continue;
      if (record.readError !== undefined) {
        batch.push({ row: record.row, item: new AppError(record.readErrorCode ?? 'VALIDATION_FAILED', { detail: record.readError }) });
      } else {
        // A caller who may carry creation dates over (users:import) gets an export's createdAt column kept.
        const { input, error } = toCreateInput(
          record.value,
          options.format,
          options.columnMap,
          ctx.principal.permissions.has('users:import'),
        );
        batch.push({ row: record.row, item: error ?? (input as CreateUserInput), input });
      }
      if (batch.length >= options.batchSize) {
        await beforePrevious.reported;
        beforePrevious = previous;
        previous = flush(previous);
      }
    }
    await flush(previous).reported;
  }
}
