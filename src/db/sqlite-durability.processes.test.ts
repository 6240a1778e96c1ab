import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, processStores, RosterProcesses } from '../testing/roster-process.js';

const sqlite = processStores.find((s) => s.name === 'sqlite')!;
/** Creates acknowledged before the kill; the kill comes while CONCURRENCY more are in flight. */
const ACKNOWLEDGED_BEFORE_KILL = 300;
const CONCURRENCY = 32;
/**
 * Batches of BATCH_SIZE acknowledged before the kill, one more in flight: each writes about 500 WAL pages, so
 * checkpoints (on the server's checkpoint thread inline, on the writer thread otherwise) run while it dies.
 */
const BATCHES_BEFORE_KILL = 4;
const BATCH_SIZE = 500;

// A server on a SQLite file, killed with SIGKILL while concurrent creates and a batch are in flight, then
// started again on the same folder: every create it answered 2xx is there, once. Both ways of writing: the writer thread
// (the default) and one connection on the main thread.
for (const mode of ['thread', 'inline'] as const) {
  describe(`sqlite (${mode} writer): acknowledged creates survive SIGKILL`, { timeout: 300_000 }, () => {
    let port: number;
    let procs: RosterProcesses;
    let opened: Awaited<ReturnType<(typeof sqlite)['open']>>;
    const call = () => procs.api(port, 'durable');

    beforeAll(async () => {
      port = await freePort();
      opened = await sqlite.open('roster-durability-');
      procs = new RosterProcesses({ ...opened.env, ROSTER_SQLITE_WRITER: mode });
      procs.start(port);
      await procs.ready(port);
      expect((await call()('POST', '/v1/tenants', { slug: 'durable' })).status).toBe(201);
    }, 180_000);

    afterAll(async () => {
      await procs?.stopAll();
      await opened?.drop();
    });

    it('should keep every user whose create was acknowledged before the kill, exactly once', async () => {
      const server = procs.children.at(-1)!;
      const acknowledged = new Map<string, string>(); // email -> id
      let next = 0;
      let killed = false;
      let reachedKill!: () => void;
      const killPoint = new Promise<void>((resolve) => (reachedKill = resolve));
      let singles = 0;
      let batches = 0;
      const atKillPoint = () => {
        if (singles >= ACKNOWLEDGED_BEFORE_KILL && batches >= BATCHES_BEFORE_KILL) reachedKill();
      };
      const client = async () => {
        while (!killed) {
          const email = `durable-${next++}@example.com`;
          try {
            const response = await call()('POST', '/v1/users', { email });
            if (response.status >= 200 && response.status < 300) {
              acknowledged.set(email, response.body.id as string);
              singles++;
              atKillPoint();
            }
          } catch {
            // the connection died with the server: this create was never acknowledged
          }
        }
      };
      const batcher = async () => {
        for (let batch = 0; !killed; batch++) {
          const users = Array.from({ length: BATCH_SIZE }, (_, i) => ({ email: `durable-batch-${batch}-${i}@example.com` }));
          try {
            const response = await call()('POST', '/v1/users/batch', { users, mode: 'atomic' });
            if (response.status !== 200) continue;
            for (const result of response.body.results as Array<{ status: string; user?: { id: string; email: string } }>)
              if (result.status === 'created' && result.user) acknowledged.set(result.user.email, result.user.id);
            batches++;
            atKillPoint();
          } catch {
            // the connection died with the server: this batch was never acknowledged
          }
        }
      };
      const clients = [...Array.from({ length: CONCURRENCY }, client), batcher()];
      await killPoint;
      // Requests are in flight right now (every client loops): the kill lands in the middle of batches.
      killed = true;
      await procs.stop(server, 'SIGKILL');
      await Promise.all(clients);
      expect(acknowledged.size).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL + BATCHES_BEFORE_KILL * BATCH_SIZE);

      procs.start(port);
      await procs.ready(port);
      const stored = new Map<string, string[]>(); // email -> ids
      for (let cursor: string | null = null; ;) {
        const page = (await call()('GET', `/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
        for (const user of page.data as Array<{ id: string; email: string }>)
          stored.set(user.email, [...(stored.get(user.email) ?? []), user.id]);
        cursor = page.nextCursor as string | null;
        if (!cursor) break;
      }
      const missing = [...acknowledged.keys()].filter((email) => !stored.has(email));
      expect(missing).toEqual([]);
      for (const [email, id] of acknowledged) expect(stored.get(email)).toEqual([id]);
    });
  });
}
