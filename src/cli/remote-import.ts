import fs from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { stringify } from 'csv-stringify/sync';
import { formatOf, type ImportFormat } from '../modules/imports/import-records.js';
import { CliUsageError, EXIT, note, safeText } from './cli-output.js';
import { safeCell, write } from './export-format.js';
import type { RemoteClient } from './remote-client.js';

export interface RemoteImportOptions {
  format?: ImportFormat;
  map?: string;
  dryRun?: boolean;
  /** Passed through as `mode` (create, upsert, sync); the server decides what it accepts. */
  mode?: string;
  /** Write every failed row to this CSV file. */
  errors?: string;
  /** How many failed rows to show (and put in the --json output). */
  showErrors: number;
}

/** A job as GET /v1/imports/:id answers it; fields beyond these (new counts, a mode) are kept and shown. */
export interface RemoteJob {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  dryRun?: boolean;
  totalRows?: number;
  processed?: number;
  failed?: number;
  error?: string | null;
  [field: string]: unknown;
}

export interface RemoteRowError {
  row: number;
  code: string;
  field?: string | null;
  message: string;
  value?: string | null;
  duplicateOf?: number | null;
}

const CONTENT_TYPES: Partial<Record<ImportFormat, string>> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };
const NOT_COUNTS = new Set(['totalRows', 'processed']);

/**
 * The counts a job reports, in its own order: every integer field (created, failed, and whatever a
 * mode adds, such as updated or deactivated), also those one object deep (`{summary: {updated: 3}}`).
 */
export function jobCounts(job: RemoteJob): Array<[string, number]> {
  const counts: Array<[string, number]> = [];
  for (const [name, value] of Object.entries(job)) {
    if (NOT_COUNTS.has(name)) continue;
    if (Number.isInteger(value)) counts.push([name, value as number]);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      for (const [inner, v] of Object.entries(value)) if (Number.isInteger(v)) counts.push([inner, v as number]);
  }
  return counts;
}

function progressLine(job: RemoteJob): string {
  const total = job.totalRows ?? 0;
  const processed = job.processed ?? 0;
  const percent = total > 0 ? `  ${Math.floor((processed / total) * 100)}%` : '';
  const counts = jobCounts(job)
    .map(([name, n]) => `${n.toLocaleString('en')} ${name}`)
    .join('  ');
  return `${job.status}  ${processed.toLocaleString('en')}/${total.toLocaleString('en')} rows  ${counts}${percent}`;
}

/** Progress on stderr: one line redrawn on a terminal, a line every 2 s (and on change of status) otherwise. */
function progressReporter() {
  let lastLine = 0;
  let lastStatus = '';
  return (job: RemoteJob, final = false) => {
    const now = Date.now();
    if (!final && !process.stderr.isTTY && now - lastLine < 2000 && job.status === lastStatus) return;
    lastLine = now;
    lastStatus = job.status;
    const line = progressLine(job);
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(100)}${final ? '\n' : ''}` : `${line}\n`);
  };
}

function errorLine(e: RemoteRowError): string {
  const parts = [`row ${e.row}`, e.code, e.field ?? '', e.message];
  if (e.value !== undefined && e.value !== null) parts.push(`value ${JSON.stringify(e.value)}`);
  if (e.duplicateOf !== undefined && e.duplicateOf !== null) parts.push(`repeats row ${e.duplicateOf}`);
  return `  ${parts
    .filter(Boolean)
    .map((p) => safeText(p))
    .join('  ')}`;
}

/**
 * `roster import` against a server: uploads the file to POST /v1/imports (streamed), follows the job
 * on stderr until it ends, then fetches its first failed rows (all of them into --errors).
 */
export async function remoteImport(
  client: RemoteClient,
  file: string,
  options: RemoteImportOptions,
): Promise<{ job: RemoteJob; errors: RemoteRowError[]; exitCode: number }> {
  const format = options.format ?? formatOf(file);
  if (!format) throw new CliUsageError('cannot tell the format from the file name; pass --format csv|ndjson');
  const contentType = CONTENT_TYPES[format];
  if (!contentType) throw new CliUsageError('a server takes CSV or NDJSON uploads: write the JSON array as NDJSON (one object a line)');

  const upload = Readable.toWeb(fs.createReadStream(file)) as unknown as WebReadableStream<Uint8Array>;
  const submitted = await client.request<RemoteJob>('POST', '/imports', {
    query: { map: options.map, dryRun: options.dryRun ? true : undefined, mode: options.mode },
    upload: { stream: upload as unknown as ReadableStream<Uint8Array>, contentType },
    timeoutMs: null,
  });
  let job = submitted.body;
  note(`Import ${safeText(job.id)} ${job.dryRun ? '(dry run) ' : ''}accepted by ${client.origin}`);
  const report = progressReporter();
  let wait = 200;
  while (job.status === 'queued' || job.status === 'running') {
    report(job);
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 1000);
    job = (await client.request<RemoteJob>('GET', `/imports/${encodeURIComponent(job.id)}`)).body;
  }
  report(job, true);

  const shown: RemoteRowError[] = [];
  const errorsOut = options.errors ? fs.createWriteStream(options.errors) : undefined;
  if (errorsOut) await write(errorsOut, 'row,code,field,message,value,duplicateOf\n');
  let after: string | undefined;
  if ((job.failed ?? 0) > 0 && (options.showErrors > 0 || errorsOut)) {
    do {
      const page = (
        await client.request<{ data: RemoteRowError[]; nextCursor: string | null }>(
          'GET',
          `/imports/${encodeURIComponent(job.id)}/errors`,
          {
            query: { limit: errorsOut ? 1000 : Math.min(options.showErrors, 1000), after },
          },
        )
      ).body;
      for (const e of page.data) if (shown.length < options.showErrors) shown.push(e);
      if (errorsOut && page.data.length > 0)
        await write(
          errorsOut,
          stringify(page.data.map((e) => [e.row, e.code, e.field ?? '', e.message, e.value ?? '', e.duplicateOf ?? ''].map(safeCell))),
        );
      after = page.nextCursor ?? undefined;
    } while (after !== undefined && errorsOut);
  }
  if (errorsOut) {
    errorsOut.end();
    await once(errorsOut, 'finish');
  }

  const failedRows = (job.failed ?? 0) > 0;
  return { job, errors: shown, exitCode: job.status === 'failed' || failedRows ? EXIT.partial : EXIT.ok };
}

/** The human summary: the counts, the job's own error if it stopped, then the first failed rows. */
export function importSummary(job: RemoteJob, errors: RemoteRowError[]): string {
  const counts = jobCounts(job)
    .map(([name, n]) => `${n.toLocaleString('en')} ${name}`)
    .join(', ');
  const lines = [
    `${job.dryRun ? 'Dry run' : 'Import'} ${job.status}: ${(job.processed ?? 0).toLocaleString('en')} rows processed${counts ? `: ${counts}` : ''}`,
  ];
  if (job.status === 'failed' && job.error) lines.push(`The job stopped: ${safeText(job.error)}`);
  if (errors.length > 0) {
    lines.push(`First ${errors.length} failed row${errors.length === 1 ? '' : 's'}:`);
    lines.push(...errors.map(errorLine));
    if ((job.failed ?? 0) > errors.length)
      lines.push(`  … ${(job.failed ?? 0) - errors.length} more (write them all with --errors <file>)`);
  }
  return lines.join('\n');
}
