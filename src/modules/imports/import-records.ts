import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import StreamArray from 'stream-json/streamers/StreamArray.js';

export type ImportFormat = 'csv' | 'ndjson' | 'json';

/** One row of an import file: its 1-based number (CSV data rows count after the header) and its value or why it could not be read. */
export interface ImportRecord {
  row: number;
  value?: unknown;
  readError?: string;
}

export function formatOf(fileName: string): ImportFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

/**
 * Streams the records of a CSV (with a header row), NDJSON or JSON-array source one at a time,
 * so memory stays flat whatever the size. A malformed NDJSON line becomes a record with `readError`
 * and the import goes on; a malformed CSV or JSON file stops the stream with an error.
 */
export async function* readRecords(source: Readable, format: ImportFormat): AsyncGenerator<ImportRecord> {
  if (format === 'csv') {
    let row = 0;
    const parser = source.pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }));
    for await (const record of parser as AsyncIterable<Record<string, string>>) yield { row: ++row, value: record };
    return;
  }
  if (format === 'json') {
    const stream = source.pipe(StreamArray.withParser());
    for await (const item of stream as AsyncIterable<{ key: number; value: unknown }>) yield { row: item.key + 1, value: item.value };
    return;
  }
  let row = 0;
  for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
    row += 1;
    if (line.trim() === '') continue;
    try {
      yield { row, value: JSON.parse(line) as unknown };
    } catch {
      yield { row, readError: 'Not a JSON object on this line' };
    }
  }
}
