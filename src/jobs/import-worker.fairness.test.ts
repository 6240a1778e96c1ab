import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: import jobs take turns across tenants`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    async function submit(key: string, prefix: string, rows: number): Promise<string> {
      const body = Array.from({ length: rows }, (_, i) =>
        JSON.stringify({ email: `${prefix}${i}@example.com`, givenName: `${prefix} ${i}` }),
      ).join('\n');
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: body,
      });
      expect(res.statusCode).toBe(202);
      return res.json().id as string;
    }

    /** Waits for the job to finish; its finishedAt in ms. */
    async function finishedAt(key: string, id: string): Promise<number> {
      for (let i = 0; i < 1200; i++) {
        const job = (await t.request(key, { method: 'GET', url: `/v1/imports/${id}` })).json();
        if (job.status === 'failed') throw new Error(`import ${id} failed`);
        if (job.status === 'completed') return Date.parse(job.finishedAt);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('import did not finish');
    }

    /** Queues the jobs with the worker stopped, so they all wait together, then lets it run. */
    async function queuedTogether<T>(submitAll: () => Promise<T>): Promise<T> {
      await t.core.importWorker.stop();
      try {
        return await submitAll();
      } finally {
        t.core.importWorker.start();
      }
    }

    it('should finish a later 1-row import while an earlier 2000-row import of another tenant still has rows left', async () => {
      const a = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const [bigId, smallId] = await queuedTogether(async () => [await submit(a.key, 'big', 2000), await submit(b.key, 'small', 1)]);
      const [big, small] = await Promise.all([finishedAt(a.key, bigId), finishedAt(b.key, smallId)]);
      expect(small).toBeLessThan(big);
      const job = (await t.request(a.key, { method: 'GET', url: `/v1/imports/${bigId}` })).json();
      expect(job).toMatchObject({ status: 'completed', processed: 2000, created: 2000 });
    });

    it('should rotate between tenants, not jobs: a tenant with two queued imports does not get two turns for one', async () => {
      const a = await t.tenantWithKey();
      const c = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const [a1, a2, c1, b1] = await queuedTogether(async () => [
        await submit(a.key, 'first', 1500),
        await submit(a.key, 'second', 1000),
        await submit(c.key, 'other', 1200),
        await submit(b.key, 'one', 2),
      ]);
      const [doneA1, doneA2, doneC1, doneB1] = await Promise.all([
        finishedAt(a.key, a1),
        finishedAt(a.key, a2),
        finishedAt(c.key, c1),
        finishedAt(b.key, b1),
      ]);
      // Turns: A1, C1, B1 (done), A1, C1, A1 (done), C1 (done), A2, A2 (done).
      expect(doneB1).toBeLessThan(doneA1);
      expect(doneB1).toBeLessThan(doneC1);
      expect(doneC1).toBeLessThan(doneA2);
    });

    it('should show a job waiting between its turns as running, with its progress', async () => {
      const a = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const [bigId, smallId] = await queuedTogether(async () => [await submit(a.key, 'shown', 1500), await submit(b.key, 'tiny', 1)]);
      await finishedAt(b.key, smallId);
      const job = (await t.request(a.key, { method: 'GET', url: `/v1/imports/${bigId}` })).json();
      expect(['running', 'completed']).toContain(job.status);
      expect(job.processed).toBeGreaterThanOrEqual(500);
      await finishedAt(a.key, bigId);
    });
  });
}
