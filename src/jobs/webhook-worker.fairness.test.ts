import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../lib/ids.js';
import * as webhooks from '../modules/webhooks/webhook.repository.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: webhook claims take turns across tenants`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      // The claims are made by the test, one round at a time.
      await t.core.webhookWorker.stop();
    });
    afterAll(async () => t?.close());

    /** A tenant with a webhook and `count` due deliveries, the first due at `from` and one a millisecond apart. */
    async function tenantWithDue(count: number, from: number): Promise<string> {
      const { key, tenantId } = await t.tenantWithKey();
      const hook = await t.request(key, {
        method: 'POST',
        url: '/v1/webhooks',
        payload: { url: 'http://127.0.0.1:9/never-called', eventTypes: ['user.created'] },
      });
      expect(hook.statusCode).toBe(201);
      const at = (ms: number) => new Date(ms).toISOString();
      await webhooks.insertDeliveries(
        t.core.database.db,
        Array.from({ length: count }, (_, i) => ({
          tenantId,
          id: newId(),
          webhookId: hook.json().id as string,
          eventId: newId(),
          status: 'pending' as const,
          attempts: 0,
          nextAttemptAt: at(from + i),
          lockedUntil: null,
          lastStatusCode: null,
          lastError: null,
          createdAt: at(from),
          updatedAt: at(from),
          deliveredAt: null,
        })),
      );
      return tenantId;
    }

    const claim = (limit: number) => {
      const now = Date.now();
      return t.core.database.db
        .transaction()
        .execute((trx) =>
          webhooks.claimDue(trx, t.core.database.dialect, new Date(now).toISOString(), new Date(now + 60_000).toISOString(), limit),
        );
    };
    const countBy = (rows: Array<{ tenantId: string }>, tenantId: string) => rows.filter((r) => r.tenantId === tenantId).length;

    it("should claim a quiet tenant's delivery in the first round although another tenant has thousands due before it", async () => {
      const base = Date.now() - 3_600_000;
      const flood = await tenantWithDue(3000, base);
      const quiet = await tenantWithDue(1, base + 10_000);
      const round = await claim(100);
      expect(round).toHaveLength(100);
      expect(countBy(round, quiet)).toBe(1);
      expect(countBy(round, flood)).toBe(99);
      // The flood keeps its own order: its earliest due first.
      const floodDue = round.filter((r) => r.tenantId === flood).map((r) => new Date(r.nextAttemptAt as string | Date).getTime());
      expect(floodDue).toEqual([...floodDue].sort((a, b) => a - b));
      // Nothing of the flood left for this test's later rounds.
      await t.core.database.db.deleteFrom('webhookDeliveries').where('tenantId', 'in', [flood, quiet]).execute();
    });

    it('should share a small claim evenly among tenants with due deliveries, round after round', async () => {
      const base = Date.now() - 1_800_000;
      const a = await tenantWithDue(1500, base);
      const c = await tenantWithDue(300, base + 5_000);
      const b = await tenantWithDue(2, base + 9_000);
      const first = await claim(10);
      expect(countBy(first, b)).toBe(2);
      expect(countBy(first, c)).toBeGreaterThanOrEqual(4);
      expect(countBy(first, a)).toBeGreaterThanOrEqual(4);
      const second = await claim(10);
      expect(countBy(second, b)).toBe(0);
      expect(countBy(second, a)).toBe(5);
      expect(countBy(second, c)).toBe(5);
      // No delivery is claimed twice.
      expect(new Set([...first, ...second].map((r) => r.id)).size).toBe(20);
    });
  });
}
