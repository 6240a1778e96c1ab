import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Core } from '../app.js';
import type { TenantContext } from '../modules/context.js';
import { parseColumnMap } from '../modules/imports/import-mapping.js';
import { formatOf, readRecords, type ImportFormat } from '../modules/imports/import-records.js';
import { runImport, type ImportProgress, type RowError } from '../modules/imports/import-runner.js';
import { exportPages, safeCell, write } from './export-format.js';

export interface ImportCommandOptions {
  format?: ImportFormat;
  map?: string;
  dryRun?: boolean;
  errors?: string;
  batchSize: number;
}

export function duration(seconds: number): string {
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

/** `roster export` on the local store: every live user of the tenant, as CSV (importable again) or NDJSON. */
export async function exportUsers(core: Core, ctx: TenantContext, format: 'csv' | 'ndjson', out: Writable): Promise<number> {
  return exportPages((cursor) => core.users.listUsers(ctx, { limit: 200, ...(cursor ? { cursor } : {}) }), format, out);
}
