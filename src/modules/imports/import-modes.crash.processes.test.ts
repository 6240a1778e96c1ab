import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, processStores, RosterProcesses } from '../../testing/roster-process.js';
import { until } from '../../testing/until.js';

type Job = Record<string, unknown> & { id: string; status: string; phase: string; processed: number; deactivated: number };
type User = { id: string; email: string; givenName?: string; active: boolean; version: number };

/** Users the tenant holds before the crashed import, and rows of the upsert that create new ones. */
const EXISTING = 1500;
const NEW = 1500;
/** The runner applies rows 500 at a time: the kill must fall after the first chunk and before the end. */
const CHUNK = 500;

// An upsert or sync killed with SIGKILL in its middle, resumed by the next process on the same store:
// every row and every deactivation is applied once (one event, one version step), never twice.
for (const store of processStores) {
  describe.skipIf(!store.available)(`${store.name}: import modes resumed after a crash`, { timeout: 1_800_000 }, () => {
    let port: number;
    let procs: RosterProcesses;
    let opened: Awaited<ReturnType<(typeof store)['open']>>;
    const current = () => procs.children.at(-1) as NonNullable<(typeof procs.children)[number]>;
    const restart = async () => {
      procs.start(port);
      await procs.ready(port);
    };

    beforeAll(async () => {
      port = await freePort();
      opened = await store.open('roster-import-crash-');
      procs = new RosterProcesses({ ...opened.env, ROSTER_IMPORT_STALE_SECONDS: '2' });
      await restart();
    }, 180_000);

    afterEach(async () => {
      const last = procs?.children.at(-1);
      if (last && (last.exitCode !== null || last.signalCode !== null)) await restart();
    });

    afterAll(async () => {
      await procs?.stopAll();
      await opened?.drop();
    });

    async function tenant(slug: string) {
      expect((await procs.api(port, slug)('POST', '/v1/tenants', { slug })).status).toBe(201);
      return procs.api(port, slug);
    }

    async function submit(slug: string, csv: string, mode: string): Promise<string> {
      const res = await fetch(`http://127.0.0.1:${port}/v1/imports?mode=${mode}`, {
        method: 'POST',
        body: csv,
        headers: { authorization: `Bearer ${procs.adminKey}`, 'x-roster-tenant': slug, 'content-type': 'text/csv' },
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    }

    async function job(call: ReturnType<typeof procs.api>, id: string): Promise<Job> {
      return (await call('GET', `/v1/imports/${id}`)).body as Job;
    }

    async function finished(call: ReturnType<typeof procs.api>, id: string): Promise<Job> {
      let last = {} as Job;
      await until(
        async () => ['completed', 'failed'].includes((last = await job(call, id)).status),
        `import ${id} to finish`,
        600_000,
        100,
      );
      return last;
    }

    async function users(call: ReturnType<typeof procs.api>): Promise<Map<string, User>> {
      const found = new Map<string, User>();
      for (let cursor: string | null = null; ;) {
        const page = (await call('GET', `/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
        for (const u of page.data as User[]) {
          expect(found.has(u.email)).toBe(false);
          found.set(u.email, u);
        }
        cursor = page.nextCursor as string | null;
        if (!cursor) return found;
      }
    }

    /** How many events of `type` each resource has. */
    async function eventsPerUser(call: ReturnType<typeof procs.api>, type: string): Promise<Map<string, number>> {
      const per = new Map<string, number>();
      for (let cursor: string | null = null; ;) {
        const page = (await call('GET', `/v1/events?type=${type}&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).body;
        for (const e of page.data as Array<{ resource: { id: string } }>) per.set(e.resource.id, (per.get(e.resource.id) ?? 0) + 1);
        cursor = page.nextCursor as string | null;
        if (!cursor) return per;
      }
    }

    /** Kills the process once `past` holds for the running job; fails if the job ended first (then the file must grow). */
    async function killWhen(call: ReturnType<typeof procs.api>, id: string, past: (j: Job) => boolean, what: string): Promise<Job> {
      let seen = {} as Job;
      let ended = false;
      await until(
        async () => {
          seen = await job(call, id);
          ended = seen.status === 'completed' || seen.status === 'failed';
          return ended || past(seen);
        },
        what,
        300_000,
        20,
      );
      if (ended) throw new Error(`the job ended before the kill (make the file bigger): ${JSON.stringify(seen)}`);
      await procs.stop(current(), 'SIGKILL');
      return seen;
    }

    async function seed(slug: string) {
      const call = await tenant(slug);
      const rows = ['externalId,email,givenName', ...Array.from({ length: EXISTING }, (_, i) => `e${i},u${i}@acme.com,Ann`)];
      expect(await finished(call, await submit(slug, rows.join('\n'), 'create'))).toMatchObject({
        status: 'completed',
        created: EXISTING,
        failed: 0,
      });
      return call;
    }

    it('should resume an upsert killed after its first chunk and apply each row once', async () => {
      const slug = 'upsert-crash';
      let call = await seed(slug);
      const before = await users(call);
      expect(before.size).toBe(EXISTING);

      // Every existing user gets a new givenName; NEW rows create users.
      const rows = ['externalId,email,givenName'];
      for (let i = 0; i < EXISTING + NEW; i++) rows.push(`e${i},u${i}@acme.com,Bea`);
      const id = await submit(slug, rows.join('\n'), 'upsert');
      const atKill = await killWhen(call, id, (j) => j.processed >= CHUNK, 'the upsert to pass its first chunk');
      expect(atKill.processed).toBeLessThan(EXISTING + NEW);

      await restart();
      call = procs.api(port, slug);
      const done = await finished(call, id);
      expect(done).toMatchObject({
        status: 'completed',
        processed: EXISTING + NEW,
        created: NEW,
        updated: EXISTING,
        unchanged: 0,
        conflicts: 0,
        failed: 0,
      });

      const after = await users(call);
      expect(after.size).toBe(EXISTING + NEW);
      const updated = await eventsPerUser(call, 'user.updated');
      const created = await eventsPerUser(call, 'user.created');
      for (let i = 0; i < EXISTING + NEW; i++) {
        const user = after.get(`u${i}@acme.com`) as User;
        expect(user, `u${i}`).toBeDefined();
        expect(user.givenName).toBe('Bea');
        if (i < EXISTING) {
          const old = before.get(`u${i}@acme.com`) as User;
          expect(user.id).toBe(old.id);
          expect(user.version, `version of u${i}`).toBe(old.version + 1);
          expect(updated.get(user.id) ?? 0, `user.updated events of u${i}`).toBe(1);
        } else {
          expect(updated.get(user.id) ?? 0, `user.updated events of new u${i}`).toBe(0);
        }
        expect(created.get(user.id) ?? 0, `user.created events of u${i}`).toBe(1);
      }
      expect([...updated.values()].reduce((a, b) => a + b, 0)).toBe(EXISTING);
      expect(created.size).toBe(EXISTING + NEW);
    });

    it('should resume a sync killed in its deactivations and deactivate each missing user once', async () => {
      const slug = 'sync-crash';
      let call = await seed(slug);
      const before = await users(call);

      // The file names the first KEPT users (unchanged); every other user of the tenant goes.
      const KEPT = 100;
      const rows = ['externalId,email,givenName', ...Array.from({ length: KEPT }, (_, i) => `e${i},u${i}@acme.com,Ann`)];
      const id = await submit(slug, rows.join('\n'), 'sync');
      const atKill = await killWhen(call, id, (j) => j.phase === 'deactivate' || j.deactivated > 0, 'the sync to reach its deactivations');
      expect(atKill.deactivated).toBeLessThan(EXISTING - KEPT);

      await restart();
      call = procs.api(port, slug);
      const done = await finished(call, id);
      expect(done).toMatchObject({
        status: 'completed',
        processed: KEPT,
        created: 0,
        updated: 0,
        unchanged: KEPT,
        deactivated: EXISTING - KEPT,
        conflicts: 0,
        failed: 0,
      });

      const after = await users(call);
      expect(after.size).toBe(EXISTING);
      const deactivated = await eventsPerUser(call, 'user.deactivated');
      const updated = await eventsPerUser(call, 'user.updated');
      for (let i = 0; i < EXISTING; i++) {
        const user = after.get(`u${i}@acme.com`) as User;
        const old = before.get(`u${i}@acme.com`) as User;
        if (i < KEPT) {
          expect(user.active).toBe(true);
          expect(user.version).toBe(old.version);
          expect(deactivated.get(user.id) ?? 0).toBe(0);
        } else {
          expect(user.active, `u${i} active`).toBe(false);
          expect(user.version, `version of u${i}`).toBe(old.version + 1);
          expect(deactivated.get(user.id) ?? 0, `user.deactivated events of u${i}`).toBe(1);
          expect(updated.get(user.id) ?? 0, `user.updated events of u${i}`).toBeLessThanOrEqual(1);
        }
      }
      expect(deactivated.size).toBe(EXISTING - KEPT);
    });
  });
}
