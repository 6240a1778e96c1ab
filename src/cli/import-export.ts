import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Core } from '../app.js';
import { spreadsheetSafe } from '../lib/csv-safe.js';
import type { TenantContext } from '../modules/context.js';
import { parseColumnMap } from '../modules/imports/import-mapping.js';
import { formatOf, readRecords, type ImportFormat } from '../modules/imports/import-records.js';
import { runImport, type ImportProgress, type RowError } from '../modules/imports/import-runner.js';
import type { User } from '../modules/users/user.schemas.js';

export interface ImportCommandOptions {
  format?: ImportFormat;
  map?: string;
  dryRun?: boolean;
  errors?: string;
  batchSize: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Progress on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
function progressReporter(totalBytes: number, readBytes: () => number) {
  const started = Date.now();
  let lastLine = 0;
  return (progress: ImportProgress, final = false) => {
    const now = Date.now();
    if (!final && !process.stderr.isTTY && now - lastLine < 2000) return;
    lastLine = now;
    const seconds = (now - started) / 1000;
    const rate = progress.processed / Math.max(seconds, 0.001);
    const fraction = totalBytes > 0 ? readBytes() / totalBytes : 0;
    const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : Number.NaN;
    const line = `${progress.processed.toLocaleString('en')} rows  ${progress.created.toLocaleString('en')} ok  ${progress.failed.toLocaleString('en')} failed  ${Math.round(rate).toLocaleString('en')} rows/s  ${Math.round(fraction * 100)}%  ETA ${final ? '0:00' : duration(eta)}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(100)}${final ? '\n' : ''}` : `${line}\n`);
  };
}

async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/**
 * `roster import`: streams a CSV/NDJSON/JSON file through the same create path as the API, in
 * batches, with progress and an optional error report. Memory stays flat whatever the file size.
 */
export async function importFile(core: Core, ctx: TenantContext, file: string, options: ImportCommandOptions): Promise<ImportProgress> {
  const format = options.format ?? formatOf(file);
  if (!format) throw new Error('cannot tell the format from the file name; pass --format csv|ndjson|json');
  const totalBytes = fs.statSync(file).size;
  const source = fs.createReadStream(file);
  let readBytes = 0;
  source.on('data', (chunk) => (readBytes += chunk.length));
  const report = progressReporter(totalBytes, () => readBytes);
  const errorsOut = options.errors ? fs.createWriteStream(options.errors) : undefined;
  if (errorsOut) await write(errorsOut, 'row,code,field,message\n');

  const progress = await runImport(core.users, ctx, readRecords(source, format, core.imports.recordLimits), {
    format,
    columnMap: parseColumnMap(options.map),
    batchSize: options.batchSize,
    ...(options.dryRun ? { dryRun: true } : {}),
    onBatch: async (current, errors: RowError[]) => {
      if (errorsOut && errors.length > 0)
        await write(errorsOut, stringify(errors.map((e) => [e.row, e.code, e.field ?? '', e.message].map(safeCell))));
      report(current);
    },
  });
  report(progress, true);
  if (errorsOut) {
    errorsOut.end();
    await once(errorsOut, 'finish');
  }
  return progress;
}

// Booleans as true/false, which `roster import` reads back (csv-stringify would write 1 and '').
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

const CSV_COLUMNS = [
  'id',
  'seq',
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'nickname',
  'phone',
  'locale',
  'timezone',
  'position',
  'arrivalDate',
  'departureDate',
  'dateOfBirth',
  'cityOfBirth',
  'countryOfBirth',
  'active',
  'emailVerified',
  'requirePasswordChange',
  'externalId',
  'userType',
  'pictureUrl',
  'roles',
  'groups',
  'address',
  'attributes',
  'createdAt',
  'updatedAt',
] as const;

/** Text cells pass the CSV-injection rule (csv-safe.ts): a formula-like value is written with a leading `'`, which import drops again. */
function safeCell(value: unknown): unknown {
  return typeof value === 'string' ? spreadsheetSafe(value) : value;
}

function csvCells(user: User): unknown[] {
  return CSV_COLUMNS.map((column) => safeCell(csvValue(user, column)));
}

function csvValue(user: User, column: (typeof CSV_COLUMNS)[number]): unknown {
  if (column === 'roles') return user.roles.join(';');
  if (column === 'groups') return user.groups.map((g) => `${g.type}:${g.code}`).join(';');
  if (column === 'address') return user.address ? JSON.stringify(user.address) : '';
  if (column === 'attributes') return Object.keys(user.attributes).length > 0 ? JSON.stringify(user.attributes) : '';
  return user[column] ?? '';
}

/** `roster export`: every live user, a page at a time, as CSV (importable again) or NDJSON. */
export async function exportUsers(core: Core, ctx: TenantContext, format: 'csv' | 'ndjson', out: Writable): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  if (format === 'csv') await write(out, stringify([CSV_COLUMNS as unknown as string[]], CSV_OPTIONS));
  do {
    const page = await core.users.listUsers(ctx, { limit: 200, ...(cursor ? { cursor } : {}) });
    const text =
      format === 'csv' ? stringify(page.data.map(csvCells), CSV_OPTIONS) : page.data.map((u) => `${JSON.stringify(u)}\n`).join('');
    if (text) await write(out, text);
    count += page.data.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}
