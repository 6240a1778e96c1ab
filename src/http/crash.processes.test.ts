import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';
import { freePort, processStores, RosterProcesses } from '../testing/roster-process.js';
import { until } from '../testing/until.js';

/** `npm run soak`: many more kills, at spread-out moments. */
const KILLS: Array<readonly [number, number]> =
  process.env.SOAK === '1'
    ? Array.from({ length: 20 }, (_, i) => [i + 1, 200 + i * 250] as const)
    : [
        [1, 400],
        [2, 1500],
        [3, 3000],
      ];

const stores = processStores;

// A server killed with SIGKILL in the middle of writes, then started again on the same store.
for (const store of stores) {
  describe.skipIf(!store.available)(`${store.name}: crashes`, { timeout: 1_800_000 }, () => {
    let port: number;
    let procs: RosterProcesses;
    let opened: Awaited<ReturnType<(typeof store)['open']>>;
    const call = () => procs.api(port, 'crash');
    const emailsLike = async (prefix: string) => {
      const found: string[] = [];
      for (let cursor: string | null = null; ;) {
        const page = (await call()('GET', `/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
        found.push(...(page.data as Array<{ email: string }>).map((u) => u.email).filter((e) => e.startsWith(prefix)));
        cursor = page.nextCursor as string | null;
        if (!cursor) return found;
      }
    };
    const restart = async () => {
      procs.start(port);
      await procs.ready(port);
    };

    beforeAll(async () => {
      port = await freePort();
      opened = await store.open('roster-crash-');
      // Real argon2 cost, so a batch with passwords takes long enough to be killed in the middle.
      procs = new RosterProcesses({
        ...opened.env,
        ROSTER_ARGON2_MEMORY_KIB: '19456',
        ROSTER_ARGON2_TIME_COST: '2',
        ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
        ROSTER_WEBHOOK_RETRY_SCHEDULE: '200ms,400ms,800ms,1s,1s,1s,1s,1s',
        ROSTER_IMPORT_STALE_SECONDS: '2',
      });
      await restart();
      expect((await call()('POST', '/v1/tenants', { slug: 'crash' })).status).toBe(201);
    }, 180_000);

    // A test that failed before its restart must not take the next tests down with it.
    afterEach(async () => {
      const last = procs?.children.at(-1);
      if (last && (last.exitCode !== null || last.signalCode !== null)) await restart();
    });

    afterAll(async () => {
      await procs?.stopAll();
      await opened?.drop();
    });

    it('should leave an atomic batch whole or absent after a SIGKILL in its middle', async () => {
      for (const [round, delayMs] of KILLS) {
        const users = Array.from({ length: 400 }, (_, i) => ({
          email: `atomic${round}-${i}@acme.com`,
          password: 'correct horse battery staple',
        }));
        const pending = call()('POST', '/v1/users/batch', { mode: 'atomic', users }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, delayMs));
        await procs.stop(procs.children.at(-1) as NonNullable<(typeof procs.children)[number]>, 'SIGKILL');
        const answer = await pending;
        await restart();
        const stored = await emailsLike(`atomic${round}-`);
        // All or nothing, and when the client was told "created", all.
        expect([0, 400]).toContain(stored.length);
        if (answer?.status === 200) expect(stored).toHaveLength(400);
      }
    });

    it('should keep every acknowledged user of partial batches after a SIGKILL', async () => {
      const acknowledged: string[] = [];
      let senderDone = false;
      const sender = (async () => {
        for (let b = 0; b < 40; b++) {
          const users = Array.from({ length: 25 }, (_, i) => ({
            email: `partial-${b}-${i}@acme.com`,
            password: 'correct horse battery staple',
          }));
          const res = await call()('POST', '/v1/users/batch', { users }).catch(() => undefined);
          if (!res) return;
          for (const item of res.body.results as Array<{ status: string; user?: { email: string } }>)
            if (item.status === 'created' && item.user) acknowledged.push(item.user.email);
        }
      })().finally(() => {
        senderDone = true;
      });
      // Kill once the server has acknowledged some batches (the event this test needs), however slow the
      // machine, so the kill falls in the middle of the later ones.
      await until(() => acknowledged.length >= 50 || senderDone, 'acknowledged batches', 300_000);
      await procs.stop(procs.children.at(-1) as NonNullable<(typeof procs.children)[number]>, 'SIGKILL');
      await sender;
      expect(acknowledged.length).toBeGreaterThan(0);
      await restart();
      const stored = await emailsLike('partial-');
      for (const email of acknowledged) expect(stored).toContain(email);
      expect(new Set(stored).size).toBe(stored.length);
    });

    const current = () => procs.children.at(-1) as NonNullable<(typeof procs.children)[number]>;

    it('should resume an import killed half-way and create each row once', async () => {
      const rows = 6000;
      const body = Array.from({ length: rows }, (_, i) => JSON.stringify({ email: `imp-${i}@acme.com` })).join('\n');
      const submitted = await fetch(`http://127.0.0.1:${port}/v1/imports`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${procs.adminKey}`, 'x-roster-tenant': 'crash', 'content-type': 'application/x-ndjson' },
      });
      expect(submitted.status).toBe(202);
      const id = ((await submitted.json()) as { id: string }).id;
      let before = 0;
      await until(
        async () => (before = (await call()('GET', `/v1/imports/${id}`)).body.processed as number) > 0,
        'the import to start',
        60_000,
      );
      await procs.stop(current(), 'SIGKILL');
      expect(before).toBeLessThan(rows);
      await restart();
      await until(async () => (await call()('GET', `/v1/imports/${id}`)).body.status === 'completed', 'the import to complete', 120_000);
      expect((await call()('GET', `/v1/imports/${id}`)).body).toMatchObject({ processed: rows, created: rows, failed: 0 });
      const stored = await emailsLike('imp-');
      expect(stored).toHaveLength(rows);
      expect(new Set(stored).size).toBe(rows);
    });

    it('should deliver an event committed before a SIGKILL once the server is back', async () => {
      let up = false;
      const receiver = await startReceiver(() => (up ? 200 : 503));
      try {
        expect((await call()('POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['user.created'] })).status).toBe(201);
        expect((await call()('POST', '/v1/users', { email: 'hooked@acme.com' })).status).toBe(201);
        await receiver.waitFor((r) => r.length >= 1, 60_000);
        await procs.stop(current(), 'SIGKILL');
        up = true;
        await restart();
        await receiver.waitFor((r) => r.some((x) => x.body.includes('hooked@acme.com')) && r.length >= 2, 60_000);
        const events = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
        expect(events.size).toBe(1);
      } finally {
        await receiver.close();
      }
    });
  });
}
