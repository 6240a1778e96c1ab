import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../cli/cli-context.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testStores } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';
import type { TenantContext } from '../context.js';
import type { ImportRecord } from './import-records.js';
import { runImport, type ImportProgress, type RowError } from './import-runner.js';

/**
 * runImport validates a batch while the one before it writes (`roster import` on SQLite's writer thread).
 * What a user sees must not change: every row reported once, in order, duplicates of any earlier row failed
 * (a row of the batch still being written included), progress counted batch after batch, and nothing
 * written any more once the import has failed.
 */

const BATCH = 100;
const emailOf = (row: number) => `row${row}@example.com`;
/** Rows 150 and 260 repeat a row of an earlier batch (260: of the batch just before), 449 the row before it. */
const REPEATS: Record<number, number> = { 150: 20, 260: 180, 449: 448 };

async function* records(count: number, failAfter?: number): AsyncGenerator<ImportRecord> {
  for (let row = 1; row <= count; row++) {
    if (row === failAfter) throw new Error('the file could not be read any further');
    const source = REPEATS[row] ?? row;
    yield { row, value: { email: row === source ? emailOf(row) : emailOf(source).toUpperCase(), givenName: `Row ${row}` } };
  }
}

for (const { label, dialect } of testStores) {
  describe.skipIf(!dialect.available)(`${label}: an import's batches in flight`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    // The CLI's context (cli-context.ts) on a new tenant: every path's rules, with the store's own rights.
    const contextOf = async (): Promise<TenantContext> => tenantContext(t.core, (await t.tenantWithKey()).tenantId);
    const emails = async (tenantId: string) =>
      (await t.core.database.db.selectFrom('users').select('email').where('tenantId', '=', tenantId).execute()).map((u) =>
        String(u.email).toLowerCase(),
      );

    it('should fail every repeat of an earlier row and report batches in order', async () => {
      const ctx = await contextOf();
      const reports: Array<{ progress: ImportProgress; lastRow: number }> = [];
      const errors: RowError[] = [];
      const progress = await runImport(t.core.users, ctx, records(450), {
        format: 'csv',
        columnMap: new Map(),
        batchSize: BATCH,
        onBatch: (current, batchErrors, lastRow) => {
          reports.push({ progress: { ...current }, lastRow });
          errors.push(...batchErrors);
        },
      });
      expect(progress).toEqual({ processed: 450, created: 447, failed: 3 });
      expect(reports.map((r) => [r.lastRow, r.progress.processed])).toEqual([
        [100, 100],
        [200, 200],
        [300, 300],
        [400, 400],
        [450, 450],
      ]);
      expect(errors.map((e) => [e.row, e.code, e.field, e.duplicateOf])).toEqual([
        [150, 'EMAIL_TAKEN', 'email', null],
        [260, 'EMAIL_TAKEN', 'email', null],
        [449, 'EMAIL_TAKEN', 'email', 448],
      ]);
      const stored = await emails(ctx.tenantId);
      expect(stored).toHaveLength(447);
      expect(new Set(stored).size).toBe(447);
      // User numbers (reserved ahead in blocks on SQLite) are unique and follow the rows' order.
      const numbers = (await t.core.database.db.selectFrom('users').select(['email', 'seq']).where('tenantId', '=', ctx.tenantId).execute())
        .map((u) => ({ row: Number(/^row(\d+)@/.exec(String(u.email).toLowerCase())?.[1]), seq: Number(u.seq) }))
        .sort((a, b) => a.row - b.row)
        .map((u) => u.seq);
      const unordered = numbers.flatMap((seq, i) => (i > 0 && seq <= (numbers[i - 1] as number) ? [[i, numbers[i - 1], seq]] : []));
      expect(unordered).toEqual([]);
    });

    it('should write a batch while the report of the one before it is still held, and report it after that one', async () => {
      const ctx = await contextOf();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const reported: number[] = [];
      const running = runImport(t.core.users, ctx, records(450), {
        format: 'csv',
        columnMap: new Map(),
        batchSize: BATCH,
        onBatch: async (_current, _errors, lastRow) => {
          if (lastRow === 100) await held;
          reported.push(lastRow);
        },
      });
      // Rows 1-200 but row 150 (a repeat): the second batch is written while the first one's report waits.
      await until(async () => (await emails(ctx.tenantId)).length >= 199, 'the second batch to be written', 30_000);
      expect(reported).toEqual([]);
      release();
      expect(await running).toEqual({ processed: 450, created: 447, failed: 3 });
      expect(reported).toEqual([100, 200, 300, 400, 450]);
    });

    it('should stop writing before it reports a failure of the file', async () => {
      const ctx = await contextOf();
      const failure = await runImport(t.core.users, ctx, records(450, 251), {
        format: 'csv',
        columnMap: new Map(),
        batchSize: BATCH,
      }).catch((e: unknown) => e);
      expect((failure as Error).message).toBe('the file could not be read any further');
      // The two whole batches before the failure (row 150 repeats row 20), both finished when it was reported;
      // rows 201-250 never written.
      expect(await emails(ctx.tenantId)).toHaveLength(199);
    });
  });
}
