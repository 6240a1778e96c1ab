import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { AppError } from '../../errors/app-error.js';

export type ImportFormat = 'csv' | 'ndjson' | 'json';

/** One row of an import file: its 1-based number (CSV data rows count after the header) and its value or why it could not be read. */
export interface ImportRecord {
  row: number;
  value?: unknown;
  readError?: string;
  /** The error code of `readError` (VALIDATION_FAILED when absent). */
  readErrorCode?: 'IMPORT_RECORD_TOO_LARGE';
}

/**
 * Size caps per record, far below the upload cap: a record over them is never held in memory, it
 * becomes a row error and the file goes on at the next record.
 */
export interface RecordLimits {
  /** Bytes of one CSV record, NDJSON line or JSON array item. */
  maxRecordBytes: number;
  /** Bytes of one CSV cell. */
  maxFieldBytes: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = Object.freeze({ maxRecordBytes: 65_536, maxFieldBytes: 32_768 });

export function formatOf(fileName: string): ImportFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

type Overflow = 'record' | 'field';

function tooLargeMessage(kind: Overflow, limits: RecordLimits): string {
  return kind === 'field'
    ? `A cell of this row is larger than the ${limits.maxFieldBytes}-byte cell limit (ROSTER_IMPORT_MAX_FIELD_BYTES); the row was skipped`
    : `This row is larger than the ${limits.maxRecordBytes}-byte record limit (ROSTER_IMPORT_MAX_RECORD_BYTES); the row was skipped`;
}

function tooLarge(row: number, kind: Overflow, limits: RecordLimits): ImportRecord {
  return { row, readError: tooLargeMessage(kind, limits), readErrorCode: 'IMPORT_RECORD_TOO_LARGE' };
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === LF || c === CR || c === 0xef || c === 0xbb || c === 0xbf;
}

/**
 * Sits before the CSV or JSON parser and splits the bytes into records (quote- and string-aware)
 * without decoding them. Records within the caps pass through unchanged; at most one record's worth
 * (the cap) is held. A record over a cap is dropped byte by byte as it streams (nothing of it is
 * buffered) and replaced by a marker record that `readRecords` turns into a row error, so the parser
 * never sees it and the rows after it are read as usual.
 */
abstract class RecordGuard extends Transform {
  /** A marker no file can forge (random per read). */
  readonly marker = `roster-too-large-${randomBytes(12).toString('hex')}`;
  protected held: Buffer[] = [];
  protected recordBytes = 0;
  protected fieldBytes = 0;
  /** Set while a record over a cap is being skipped. */
  protected skipping: Overflow | undefined;
  /** Records that had content, the header included (CSV) — for messages. */
  protected records = 0;
  protected recordHasContent = false;
  private from = 0;

  constructor(protected readonly limits: RecordLimits) {
    super();
  }

  /**
   * Advances the format's state machine by one byte and says what the byte was: the end of a record
   * (it is not part of the record), the end of a field, or record content. `error` stops the file.
   */
  protected abstract step(c: number): 'record-end' | 'field-end' | 'content' | 'outside' | Error;
  /** The marker record, ending with `terminator` (the byte that ended the skipped record). */
  protected abstract markerBytes(kind: Overflow, terminator: number): string;
  /** Called at end of input while a record over a cap is being skipped: an error if the file cannot resume. */
  protected abstract unfinished(): Error | undefined;
  /** Called when a record over a cap starts being skipped: an error if this record cannot be skipped. */
  protected abstract cannotSkip(kind: Overflow): Error | undefined;

  /** Hands on this chunk's bytes from `from` to `end` (finished records). */
  private pushPending(chunk: Buffer, end: number): void {
    if (end > this.from) this.push(chunk.subarray(this.from, end));
    this.from = end;
  }

  /** The held start of the record that just ended (from earlier chunks) may go on now. */
  private releaseHeld(): void {
    for (const part of this.held) this.push(part);
    this.held = [];
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.from = 0;
    // Bytes before `complete` belong to finished records (or are between them) and may be handed on.
    let complete = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      const kind = this.step(c);
      if (kind instanceof Error) {
        done(kind);
        return;
      }
      if (this.skipping !== undefined) {
        if (kind === 'record-end') {
          this.push(this.markerBytes(this.skipping, c));
          this.skipping = undefined;
          this.endRecord();
          complete = i + 1;
          this.from = i + 1;
        }
        continue;
      }
      if (kind === 'record-end' || kind === 'outside') {
        if (kind === 'record-end') this.endRecord();
        if (this.held.length > 0) this.releaseHeld();
        complete = i + 1;
        continue;
      }
      this.recordBytes += 1;
      if (kind === 'field-end') this.fieldBytes = 0;
      else {
        this.fieldBytes += 1;
        if (!isSpace(c)) this.recordHasContent = true;
      }
      const over: Overflow | undefined =
        this.fieldBytes > this.limits.maxFieldBytes ? 'field' : this.recordBytes > this.limits.maxRecordBytes ? 'record' : undefined;
      if (over !== undefined) {
        const error = this.cannotSkip(over);
        if (error) {
          done(error);
          return;
        }
        // Hand on the finished records, drop this one's bytes so far (held and in this chunk), and skip the rest of it.
        this.pushPending(chunk, complete);
        this.held = [];
        this.skipping = over;
        this.from = i + 1;
      }
    }
    if (this.skipping === undefined) {
      this.pushPending(chunk, complete);
      if (this.from < chunk.length) this.held.push(chunk.subarray(this.from));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.skipping !== undefined) {
      const error = this.unfinished();
      if (error) {
        done(error);
        return;
      }
      this.push(this.markerBytes(this.skipping, LF));
    } else {
      this.releaseHeld();
    }
    done();
  }

  private endRecord(): void {
    if (this.recordHasContent || this.skipping !== undefined) this.records += 1;
    this.recordHasContent = false;
    this.recordBytes = 0;
    this.fieldBytes = 0;
  }
}

/** CSV as csv-parse reads it with the default options: `"` quotes (doubled inside), `,` between cells, CR or LF between records. */
class CsvGuard extends RecordGuard {
  private quoting = false;

  protected step(c: number) {
    if (c === QUOTE) {
      this.quoting = !this.quoting;
      return 'content' as const;
    }
    if (this.quoting) return 'content' as const;
    if (c === LF || c === CR) return 'record-end' as const;
    return c === COMMA ? ('field-end' as const) : ('content' as const);
  }

  protected markerBytes(kind: Overflow, terminator: number): string {
    return `${this.marker}-${kind}${String.fromCharCode(terminator)}`;
  }

  protected cannotSkip(kind: Overflow): Error | undefined {
    if (this.records > 0) return undefined;
    return new AppError('IMPORT_RECORD_TOO_LARGE', {
      detail:
        kind === 'field'
          ? `A cell of the header row is larger than the ${this.limits.maxFieldBytes}-byte cell limit (ROSTER_IMPORT_MAX_FIELD_BYTES)`
          : `The header row is larger than the ${this.limits.maxRecordBytes}-byte record limit (ROSTER_IMPORT_MAX_RECORD_BYTES)`,
    });
  }

  protected unfinished(): Error | undefined {
    if (!this.quoting) return undefined;
    const limit =
      this.skipping === 'field'
        ? `${this.limits.maxFieldBytes}-byte cell limit (ROSTER_IMPORT_MAX_FIELD_BYTES)`
        : `${this.limits.maxRecordBytes}-byte record limit (ROSTER_IMPORT_MAX_RECORD_BYTES)`;
    return new AppError('IMPORT_RECORD_TOO_LARGE', {
      detail: `Row ${this.records} opens a quoted cell that is never closed: it runs over the ${limit} to the end of the file, so no later row can be read`,
    });
  }
}

/**
 * A JSON array: each item (whatever its nesting) is a record. Outside the array only whitespace
 * is allowed, so a file that is one huge value is refused without being parsed.
 */
class JsonArrayGuard extends RecordGuard {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private arrayClosed = false;

  protected step(c: number) {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
      return 'content' as const;
    }
    if (this.depth === 0) {
      if (isSpace(c)) return 'outside' as const;
      if (c === 0x5b && !this.arrayClosed) {
        this.depth = 1;
        return 'outside' as const;
      }
      return new AppError('VALIDATION_FAILED', { detail: 'A JSON import must be one array of users' });
    }
    if (c === QUOTE) this.inString = true;
    else if (c === 0x5b || c === 0x7b) this.depth += 1;
    else if (c === 0x5d || c === 0x7d) {
      this.depth -= 1;
      if (this.depth === 0) {
        this.arrayClosed = true;
        return 'record-end' as const;
      }
    } else if (c === COMMA && this.depth === 1) return 'record-end' as const;
    return 'content' as const;
  }

  protected markerBytes(kind: Overflow, terminator: number): string {
    return `"${this.marker}-${kind}"${String.fromCharCode(terminator)}`;
  }

  protected cannotSkip(): Error | undefined {
    return undefined;
  }

  protected unfinished(): Error | undefined {
    return new AppError('IMPORT_RECORD_TOO_LARGE', {
      detail: `Item ${this.records + 1} runs over the ${this.limits.maxRecordBytes}-byte record limit (ROSTER_IMPORT_MAX_RECORD_BYTES) to the end of the file, which is not a complete JSON array`,
    });
  }
}

/**
 * NDJSON lines, each at most `maxRecordBytes`: a longer line is dropped chunk by chunk as it streams
 * (never joined) up to its newline, and reported as a row error.
 */
async function* readLines(source: AsyncIterable<Buffer | string>, limits: RecordLimits): AsyncGenerator<ImportRecord> {
  let row = 0;
  let parts: Buffer[] = [];
  let length = 0;
  let over = false;
  const endLine = (): ImportRecord | undefined => {
    row += 1;
    if (over) {
      over = false;
      return tooLarge(row, 'record', limits);
    }
    const line = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length)).toString('utf8');
    parts = [];
    length = 0;
    if (line.trim() === '') return undefined;
    try {
      return { row, value: JSON.parse(line) as unknown };
    } catch {
      return { row, readError: 'Not a JSON object on this line' };
    }
  };
  const take = (piece: Buffer) => {
    if (over || piece.length === 0) return;
    length += piece.length;
    if (length > limits.maxRecordBytes) {
      over = true;
      parts = [];
      length = 0;
    } else {
      parts.push(piece);
    }
  };
  for await (const data of source) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    let start = 0;
    for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
      take(chunk.subarray(start, nl));
      start = nl + 1;
      const record = endLine();
      if (record) yield record;
    }
    take(chunk.subarray(start));
  }
  if (over || length > 0) {
    const record = endLine();
    if (record) yield record;
  }
}

/**
 * Streams the records of a CSV (with a header row), NDJSON or JSON-array source one at a time,
 * so memory stays flat whatever the size, and no record over `limits` is ever held: it becomes a
 * record with `readError` (IMPORT_RECORD_TOO_LARGE) and the rows after it are read. A malformed
 * NDJSON line becomes a record with `readError` and the import goes on; a malformed CSV or JSON
 * file stops the stream with an error.
 */
export async function* readRecords(
  source: Readable,
  format: ImportFormat,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): AsyncGenerator<ImportRecord> {
  if (format === 'ndjson') {
    yield* readLines(source as AsyncIterable<Buffer | string>, limits);
    return;
  }
  const guard = format === 'csv' ? new CsvGuard(limits) : new JsonArrayGuard(limits);
  // pipeline: an error of any stage (the upload cap, the guard, the parser) ends the iteration with that error,
  // even one raised before reading started; and an early end of the iteration tears every stage down.
  const done = () => undefined;
  const markerKind = (value: unknown): Overflow | undefined =>
    typeof value === 'string' && value.startsWith(guard.marker) ? (value.endsWith('-field') ? 'field' : 'record') : undefined;
  if (format === 'csv') {
    let row = 0;
    // max_record_size backs the guard up: no record over the cap reaches a string.
    const parser = pipeline(
      source,
      guard,
      parseCsv({
        columns: true,
        bom: true,
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
        max_record_size: limits.maxRecordBytes,
      }),
      done,
    );
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      row += 1;
      const kind = markerKind(Object.values(record)[0]);
      yield kind ? tooLarge(row, kind, limits) : { row, value: record };
    }
    return;
  }
  const stream = pipeline(source, guard, StreamArray.withParser(), done);
  for await (const item of stream as AsyncIterable<{ key: number; value: unknown }>) {
    const kind = markerKind(item.value);
    yield kind ? tooLarge(item.key + 1, 'record', limits) : { row: item.key + 1, value: item.value };
  }
}
