import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, processStores } from '../testing/roster-process.js';
import { until } from '../testing/until.js';

/**
 * `roster serve` runs import jobs on a thread of its own (ROSTER_IMPORT_THREAD, the default): started
 * when a job is queued, gone once idle, started again for the next job, its users counted in the server's
 * /metrics, and a SIGTERM in the middle of a job ends the process cleanly with the job given back to the
 * queue, so that the next start finishes it with each row created once.
 */
const root = path.resolve(import.meta.dirname, '../..');
const adminKey = `rst_${randomBytes(32).toString('hex')}`;
const metricsToken = randomBytes(16).toString('hex');

interface Server {
  child: ChildProcess;
  port: number;
  lines: Array<Record<string, unknown>>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'info', ROSTER_ADMIN_KEY: adminKey, ROSTER_METRICS_TOKEN: metricsToken },
  });
  const lines: Array<Record<string, unknown>> = [];
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // the banner and other plain lines
      }
    }
  });
  const server = { child, port, lines };
  await until(
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    'the server to be ready',
    120_000,
  );
  return server;
}

function client(server: Server) {
  return async (method: string, url: string, body?: string, contentType = 'application/json') => {
    const res = await fetch(`http://127.0.0.1:${server.port}${url}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'x-roster-tenant': 'threads', 'content-type': contentType },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
}

const ndjson = (prefix: string, rows: number) =>
  Array.from({ length: rows }, (_, i) => JSON.stringify({ email: `${prefix}${i}@example.com`, givenName: `Row ${i}` })).join('\n');

type Api = ReturnType<typeof client>;

/** The job as GET /v1/imports/:id gives it once `done` holds for it. */
async function jobWhen(api: Api, id: string, done: (job: Record<string, unknown>) => boolean, what: string, timeoutMs: number) {
  let job: Record<string, unknown> = {};
  await until(
    async () => {
      job = (await api('GET', `/v1/imports/${id}`)).body;
      return done(job);
    },
    what,
    timeoutMs,
  );
  return job;
}

const ended = (job: Record<string, unknown>) => job.status === 'completed' || job.status === 'failed';

const logged = (server: Server, msg: string) => server.lines.filter((l) => l.msg === msg);

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

for (const store of processStores) {
  describe.skipIf(!store.available)(`${store.name}: import jobs on the server's import thread`, () => {
    const stores: Array<{ drop(): Promise<void> }> = [];
    const servers: Server[] = [];
    afterAll(async () => {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? exited(s.child) : undefined)));
      for (const s of stores) await s.drop();
    });

    /** A fresh store with a server on it and the test's tenant; `restart` starts another server on the same store. */
    const freshServer = async () => {
      const opened = await store.open('roster-import-thread-');
      stores.push(opened);
      const start = async () => {
        const server = await startServer(opened.env);
        servers.push(server);
        return { server, api: client(server) };
      };
      const first = await start();
      expect((await first.api('POST', '/v1/tenants', JSON.stringify({ slug: 'threads' }))).status).toBe(201);
      return { ...first, restart: start };
    };
    /** Uploads `rows` generated users as an import job; its id. */
    const submitImport = async (api: Api, prefix: string, rows: number) => {
      const submitted = await api('POST', '/v1/imports', ndjson(prefix, rows), 'application/x-ndjson');
      expect(submitted.status).toBe(202);
      return submitted.body.id as string;
    };

    it(
      'should run each job on a thread that leaves when idle and comes back for the next, counting its users in /metrics',
      { timeout: 600_000 },
      async () => {
        const { server, api } = await freshServer();

        for (const [round, rows] of [
          ['a', 1200],
          ['b', 700],
        ] as const) {
          const leftBefore = logged(server, 'the import thread is leaving').length;
          const id = await submitImport(api, round, rows);
          const job = await jobWhen(api, id, ended, `import ${round} to end`, 180_000);
          expect([job.status, job.created, job.failed]).toEqual(['completed', rows, 0]);
          // It ran on the thread (its log lines carry thread: imports), which then leaves by itself.
          expect(logged(server, 'import completed').filter((l) => l.importId === id && l.thread === 'imports')).toHaveLength(1);
          await until(async () => logged(server, 'the import thread is leaving').length > leftBefore, 'the idle thread to leave', 60_000);
        }
        expect(logged(server, 'the import thread started')).toHaveLength(2);
        expect(logged(server, 'the import thread is leaving').map((l) => l.reason)).toEqual(['idle', 'idle']);

        const users = await api('GET', '/v1/users?limit=1&count=true');
        expect(users.body.total).toBe(1900);
        const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toMatch(/^roster_users_created_total 1900$/m);
      },
    );

    it(
      'should create and update every user sent to the API while an import writes beside it, and every row of the import',
      { timeout: 600_000 },
      async () => {
        // Two writers on one store (the thread's connection and the server's): each waits its turn, none fails.
        const { api } = await freshServer();
        const rows = 10_000;
        const id = await submitImport(api, 'imp', rows);
        await jobWhen(api, id, (j) => (j.processed as number) > 0, 'the import to make progress', 180_000);
        const statuses: number[] = [];
        const updates: number[] = [];
        let sent = 0;
        // Four clients create users one after another until the import has ended.
        const clients = Array.from({ length: 4 }, async () => {
          for (;;) {
            const job = (await api('GET', `/v1/imports/${id}`)).body;
            if (ended(job)) return;
            const n = sent++;
            const created = await api('POST', '/v1/users', JSON.stringify({ email: `api${n}@example.com`, roles: ['user'], groups: [] }));
            statuses.push(created.status);
            // An update reads the user before it writes, in one transaction.
            const updated = await api('PATCH', `/v1/users/${created.body.id as string}`, JSON.stringify({ givenName: `Api ${n}` }));
            updates.push(updated.status);
          }
        });
        await Promise.all(clients);
        const job = await jobWhen(api, id, ended, 'the import to end', 180_000);
        expect([job.status, job.created, job.failed]).toEqual(['completed', rows, 0]);
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.filter((status) => status !== 201)).toEqual([]);
        expect(updates.filter((status) => status !== 200)).toEqual([]);
        expect((await api('GET', '/v1/users?limit=1&count=true')).body.total).toBe(rows + statuses.length);
      },
    );

    it(
      'should end on SIGTERM in the middle of a job with the job queued again, and finish it on the next start, each row once',
      { timeout: 900_000 },
      async () => {
        const { server, api, restart } = await freshServer();
        const rows = 20_000;
        const id = await submitImport(api, 't', rows);
        let job = await jobWhen(
          api,
          id,
          (j) => (j.processed as number) > 0 || j.status === 'completed',
          'the import to make progress',
          180_000,
        );
        // Stopped before its end, or the test proves nothing.
        expect(job.status).not.toBe('completed');
        server.child.kill('SIGTERM');
        expect(await exited(server.child)).toBe(0);
        expect(logged(server, 'the import thread is leaving').map((l) => l.reason)).toEqual(['stop']);

        const again = await restart();
        job = await jobWhen(again.api, id, ended, 'the import to finish after the restart', 300_000);
        expect([job.status, job.created, job.failed, job.processed]).toEqual(['completed', rows, 0, rows]);
        expect((await again.api('GET', '/v1/users?limit=1&count=true')).body.total).toBe(rows);
      },
    );
  });
}
