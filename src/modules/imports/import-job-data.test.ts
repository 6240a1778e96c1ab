import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../lib/ids.js';
import { nowIso } from '../../lib/time.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';
import * as imports from './import.repository.js';
import type { ImportJob } from './import.schemas.js';

/**
 * A job's stored rows and references are dropped once it ends, a page per statement (never one statement
 * holding the write lock for a whole upload), and what a process that died half-way left behind is
 * dropped when an import worker starts.
 */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: what an import stores, once it ends`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const stored = async (table: 'importRows' | 'importJobRefs', jobId: string) =>
      Number(
        (
          await t.core.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('jobId', '=', jobId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('should drop every stored row of a completed job, over several pages', { timeout: 600_000 }, async () => {
      const { key } = await t.tenantWithKey();
      const rows = 4_500; // more than two pages of 2,000
      const body = ['email', ...Array.from({ length: rows }, (_, i) => `drop${i}@example.com`)].join('\n');
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: body });
      expect(res.statusCode, res.body).toBe(202);
      const { id } = res.json<ImportJob>();
      const job = await t.waitForImport(key, id);
      expect(job).toMatchObject({ status: 'completed', created: rows });
      await until(async () => (await stored('importRows', id)) === 0, `the rows of ${id} to be dropped`, 60_000);
    });

    it(
      "should drop exactly one job's rows and references, page by page, even where the statistics say the tables are empty",
      { timeout: 60_000 },
      async () => {
        const { tenantId } = await t.tenantWithKey();
        const other = await t.tenantWithKey();
        const db = t.core.database.db;
        // Statistics taken while the job tables were empty, as on a server whose imports drop their data: a
        // plan chosen on them once read the page's subquery for every row (25 s a page of 2,000 references,
        // 170 s for this test: the bound is a hang guard, about 100 times what the drop takes).
        if (dialect.name === 'postgres') await sql`analyze import_rows, import_job_refs`.execute(db);
        const dropped = newId();
        const kept = newId();
        const refsOf = (tenant: string, jobId: string, n: number) =>
          Array.from({ length: n }, (_, i) => ({
            tenantId: tenant,
            jobId,
            ref: `k:e:user${i}@example.com`,
            row: i + 1,
            outcome: 'created',
          }));
        // 4,000 rows: exactly two pages; 30,001 references: a page and one more beyond 15 full ones.
        await imports.insertRows(
          db,
          tenantId,
          dropped,
          Array.from({ length: 4_000 }, (_, i) => ({ row: i + 1, data: '{}' })),
        );
        await imports.insertRows(
          db,
          tenantId,
          kept,
          Array.from({ length: 10 }, (_, i) => ({ row: i + 1, data: '{}' })),
        );
        const droppedRefs = refsOf(tenantId, dropped, 30_001);
        for (let i = 0; i < droppedRefs.length; i += 1_000)
          await db
            .insertInto('importJobRefs')
            .values(droppedRefs.slice(i, i + 1_000))
            .execute();
        await db
          .insertInto('importJobRefs')
          .values(refsOf(tenantId, kept, 10))
          .execute();
        // The same job id and references under another tenant are another job.
        await db
          .insertInto('importJobRefs')
          .values(refsOf(other.tenantId, dropped, 10))
          .execute();

        await imports.dropJobData(db, tenantId, dropped);

        expect(await stored('importRows', dropped)).toBe(0);
        expect(await stored('importJobRefs', dropped)).toBe(10); // the other tenant's
        expect(await stored('importRows', kept)).toBe(10);
        expect(await stored('importJobRefs', kept)).toBe(10);
      },
    );

    it("should drop, when a worker starts, the rows and references a finished job's process left behind, and only those", async () => {
      const { tenantId } = await t.tenantWithKey();
      const db = t.core.database.db;
      const now = nowIso();
      const finished = newId();
      const failed = newId();
      const running = newId();
      // An upload in progress is stored as a failed job without an end ('upload incomplete') until its last
      // row is in: a worker starting meanwhile must not take it for a finished one.
      const uploading = newId();
      for (const [id, status, finishedAt, error] of [
        [finished, 'completed', now, null],
        [failed, 'failed', now, 'The file could not be read'],
        [running, 'running', null, null],
        [uploading, 'failed', null, 'upload incomplete'],
      ] as const) {
        await imports.insertJob(db, {
          tenantId,
          id,
          status,
          format: 'csv',
          dryRun: false,
          columnMap: '{}',
          principal: '{}',
          scope: null,
          totalRows: 2_500,
          processed: 0,
          created: 0,
          failed: 0,
          headerErrors: null,
          lastRow: 0,
          error,
          createdBy: 'test',
          createdAt: now,
          updatedAt: now,
          finishedAt,
        });
        await imports.insertRows(
          db,
          tenantId,
          id,
          Array.from({ length: 2_500 }, (_, i) => ({ row: i + 1, data: '{}' })),
        );
        await db
          .insertInto('importJobRefs')
          .values(Array.from({ length: 300 }, (_, i) => ({ tenantId, jobId: id, ref: `ref-${i}`, row: i + 1, outcome: 'created' })))
          .execute();
      }

      await imports.dropFinishedJobsData(db);

      for (const ended of [finished, failed]) {
        expect(await stored('importRows', ended)).toBe(0);
        expect(await stored('importJobRefs', ended)).toBe(0);
      }
      // A job still running keeps what it reads; an upload still going keeps what it stored so far.
      for (const going of [running, uploading]) {
        expect(await stored('importRows', going)).toBe(2_500);
        expect(await stored('importJobRefs', going)).toBe(300);
      }
    });
  });
}
