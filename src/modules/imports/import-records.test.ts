import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { readRecords, type ImportFormat, type ImportRecord, type RecordLimits } from './import-records.js';

const limits: RecordLimits = { maxRecordBytes: 4096, maxFieldBytes: 1024 };

/** The text as a stream of `size`-byte chunks, so records and caps straddle chunk boundaries. */
function chunked(text: string | Buffer, size: number): Readable {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function read(text: string, format: ImportFormat, size = 97): Promise<ImportRecord[]> {
  const out: ImportRecord[] = [];
  for await (const record of readRecords(chunked(text, size), format, limits)) out.push(record);
  return out;
}

async function failure(text: string, format: ImportFormat, size = 97): Promise<AppError> {
  try {
    await read(text, format, size);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('the file was read without an error');
}

const tooLarge = (row: number, cap: number) => ({
  row,
  readErrorCode: 'IMPORT_RECORD_TOO_LARGE',
  readError: expect.stringContaining(`${cap}-byte`) as unknown,
});

describe('readRecords size caps', () => {
  it('should turn a CSV row over a cap into a row error and read the rows around it unchanged', async () => {
    for (const size of [1, 7, 97, 65_536]) {
      const csv = [
        'email,bio',
        'a@x.com,"quoted, with ""quotes"" and\nnewline"',
        `b@x.com,"${'x,\n"" '.repeat(400)}"`, // one quoted cell of 2400 bytes over the 1024-byte cell cap, with commas, newlines and quotes in it
        'c@x.com,plain',
        `d@x.com,${Array.from({ length: 9 }, () => 'y'.repeat(500)).join(',')}`, // 4.5 KB row of small cells: over the record cap only
        'e@x.com,last',
        `f@x.com,${'z'.repeat(5000)}`, // last row, over the cap, no final newline
      ].join('\r\n');
      const records = await read(csv, 'csv', size);
      expect(records, `chunks of ${size}`).toEqual([
        { row: 1, value: { email: 'a@x.com', bio: 'quoted, with "quotes" and\nnewline' } },
        tooLarge(2, 1024),
        { row: 3, value: { email: 'c@x.com', bio: 'plain' } },
        tooLarge(4, 4096),
        { row: 5, value: { email: 'e@x.com', bio: 'last' } },
        tooLarge(6, 1024),
      ]);
    }
  });

  it('should stop a CSV file whose header is over a cap, or whose quote never closes past it', async () => {
    const header = await failure(`email,${'h'.repeat(2000)}\nx@y.com,1\n`, 'csv');
    expect([header.code, header.message]).toEqual(['IMPORT_RECORD_TOO_LARGE', expect.stringContaining('header row')]);
    const unclosed = await failure(`email,bio\na@x.com,ok\nb@x.com,"${'never closed\n'.repeat(2000)}`, 'csv', 4096);
    expect(unclosed.code).toBe('IMPORT_RECORD_TOO_LARGE');
    expect(unclosed.message).toMatch(/Row 2 .*never closed.*1024-byte cell limit/);
  });

  it('should turn an NDJSON line over the cap into a row error, whatever its shape, and go on', async () => {
    for (const size of [1, 97, 65_536]) {
      const lines = [
        '{"email":"a@x.com"}',
        `{"email":"b@x.com","bio":"${'é'.repeat(3000)}"}`, // 6 KB of two-byte characters
        '',
        '{"email":"c@x.com"}\r',
        `[${'1,'.repeat(3000)}1]`, // not even an object: still only its size is looked at
        '{"email":"d@x.com"}',
        ' '.repeat(5000), // blank but over the cap
        `{"email":"e@x.com","bio":"${'q'.repeat(5000)}"}`, // last line, no final newline
      ];
      expect(await read(lines.join('\n'), 'ndjson', size), `chunks of ${size}`).toEqual([
        { row: 1, value: { email: 'a@x.com' } },
        tooLarge(2, 4096),
        { row: 4, value: { email: 'c@x.com' } },
        tooLarge(5, 4096),
        { row: 6, value: { email: 'd@x.com' } },
        tooLarge(7, 4096),
        tooLarge(8, 4096),
      ]);
    }
  });

  it('should keep NDJSON lines under the cap, multi-byte characters across chunks included', async () => {
    const bio = 'ü€𝄞'.repeat(300); // 2700 bytes
    expect(await read(`{"bio":"${bio}"}\n{"n":1}`, 'ndjson', 5)).toEqual([
      { row: 1, value: { bio } },
      { row: 2, value: { n: 1 } },
    ]);
  });

  it('should turn a JSON array item over the cap into a row error and read the others', async () => {
    const items = [
      { email: 'a@x.com', tags: ['[', ']', '{', ','] },
      { email: 'b@x.com', bio: 'w\\"'.repeat(2000) },
      { email: 'c@x.com' },
      { nested: [[['x'.repeat(5000)]]] },
    ];
    expect(await read(JSON.stringify(items, null, 1), 'json', 13)).toEqual([
      { row: 1, value: items[0] },
      tooLarge(2, 4096),
      { row: 3, value: items[2] },
      tooLarge(4, 4096),
    ]);
  });

  it('should refuse a JSON file that is not one array before parsing it, and an item that never ends', async () => {
    const single = await failure(`{"bio":"${'x'.repeat(10_000)}"}`, 'json');
    expect([single.code, single.message]).toEqual(['VALIDATION_FAILED', expect.stringContaining('array')]);
    const endless = await failure(`[{"email":"a@x.com"},"${'x'.repeat(10_000)}`, 'json');
    expect([endless.code, endless.message]).toEqual(['IMPORT_RECORD_TOO_LARGE', expect.stringContaining('Item 2')]);
  });

  it('should pass an error of the source on', async () => {
    const source = new Readable({ read() {} });
    source.push('email\na@x.com\n');
    setImmediate(() => source.destroy(new AppError('PAYLOAD_TOO_LARGE')));
    const records: ImportRecord[] = [];
    await expect(
      (async () => {
        for await (const record of readRecords(source, 'csv', limits)) records.push(record);
      })(),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
