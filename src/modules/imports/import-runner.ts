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

function rowErrors(row: number, error: AppError): RowError[] {
  if (error.errors.length === 0) return [{ row, code: error.code, field: null, message: error.message }];
  return error.errors.map((e) => ({ row, code: e.code, field: e.path.slice(1).replaceAll('/', '.') || null, message: e.message }));
}

/** A record as a create body, or the row's error: a forbidden member name, text no store can keep, or the create schema's field errors. */
function toCreateInput(value: unknown, options: RunImportOptions, carryCreatedAt: boolean): CreateUserInput | AppError {
  try {
    const input =
      options.format === 'csv'
        ? csvRecordToInput(value as Record<string, string>, options.columnMap, { carryCreatedAt })
        : jsonRecordToInput(value, options.columnMap);
    const hostile = inputFieldError(input);
    if (hostile) return new AppError('VALIDATION_FAILED', { errors: [hostile] });
    const errors = validateRow(input);
    return errors ? new AppError('VALIDATION_FAILED', { errors }) : (input as CreateUserInput);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
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
  let batch: Array<{ row: number; item: CreateUserInput | AppError }> = [];

  const flush = async () => {
    if (batch.length === 0) return;
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
          errors.push(...rowErrors((current[o.index] as { row: number }).row, o.error));
        }
      }
      return { delta, errors };
    };
    const onChunk = options.onChunk;
    const outcomes = await users.createUsers(
      ctx,
      current.map((c) => c.item),
      {
        mode: 'partial',
        returnUsers: false,
        // Imports are background work that waits its turn; the 503 admission is for request floods.
        background: true,
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
    const { delta, errors } = tally(outcomes);
    progress.processed += delta.processed;
    progress.created += delta.created;
    progress.failed += delta.failed;
    await options.onBatch?.(progress, errors, lastRow);
    await yieldToEventLoop();
  };

  for await (const record of records) {
    if (options.resumeAfterRow !== undefined && record.row <= options.resumeAfterRow) continue;
    let item: CreateUserInput | AppError;
    if (record.readError !== undefined) {
      item = new AppError(record.readErrorCode ?? 'VALIDATION_FAILED', { detail: record.readError });
    } else {
      // A caller who may carry creation dates over (users:import) gets an export's createdAt column kept.
      item = toCreateInput(record.value, options, ctx.principal.permissions.has('users:import'));
    }
    batch.push({ row: record.row, item });
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  return progress;
}
