import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, RosterProcesses } from '../testing/roster-process.js';

/**
 * A real failover: a PostgreSQL 15 primary and a synchronous streaming standby on loopback, a Roster
 * process on the multi-host DATABASE_URL, the primary SIGKILLed under concurrent creates and the standby
 * promoted. Needs the server binaries (Debian's postgresql-15); root runs them as the postgres user.
 */
const bin = '/usr/lib/postgresql/15/bin';
const missing = ['initdb', 'pg_ctl', 'pg_basebackup'].filter((name) => !fs.existsSync(path.join(bin, name)));
const asRoot = process.getuid?.() === 0;
const skipReason =
  missing.length > 0 ? `PostgreSQL 15 server binaries missing (${missing.join(', ')} in ${bin}): install postgresql-15` : undefined;
if (skipReason) console.warn(`failover test skipped: ${skipReason}`);

/** Runs a PostgreSQL binary (as the postgres user when we are root: initdb refuses root), bounded in time. */
function run(name: string, args: string[], timeoutMs = 60_000): string {
  const [command, full] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, name), ...args]] : [path.join(bin, name), args];
  return execFileSync(command, full, { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The replica's state as /metrics reports it (roster_db_read_replica_state). */
async function replicaState(port: number): Promise<string | undefined> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  return /roster_db_read_replica_state\{state="([^"]+)"\} 1\b/.exec(text)?.[1];
}

interface Answer {
  username: string;
  status: number | 'connection error';
  body?: Record<string, unknown>;
  contentType?: string | null;
  at: number;
}

describe.skipIf(skipReason !== undefined)('postgres: failover of the primary to a synchronous standby', { timeout: 240_000 }, () => {
  let base: string;
  let primaryDir: string;
  let standbyDir: string;
  let primaryPort: number;
  let standbyPort: number;
  let rosterPort: number;
  let procs: RosterProcesses | undefined;
  let roster: ChildProcess | undefined;

  beforeAll(async () => {
    [primaryPort, standbyPort, rosterPort] = (await freePorts(3)) as [number, number, number];
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-failover-'));
    if (asRoot) execFileSync('chown', ['postgres:postgres', base]);
    primaryDir = path.join(base, 'primary');
    standbyDir = path.join(base, 'standby');
    run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    // Every commit waits for the standby's flush: an acknowledged create is on both servers.
    fs.appendFileSync(
      path.join(primaryDir, 'postgresql.conf'),
      [
        `port = ${primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${base}'`,
        "synchronous_standby_names = '*'",
        'fsync = off',
        'wal_level = replica',
        'max_wal_senders = 5',
        '',
      ].join('\n'),
    );
    run('pg_ctl', ['-D', primaryDir, '-l', path.join(base, 'primary.log'), '-w', 'start']);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream']);
    // The copy carries the primary's settings: once promoted, alone, it must not wait for a standby of its own.
    fs.appendFileSync(path.join(standbyDir, 'postgresql.conf'), `port = ${standbyPort}\nsynchronous_standby_names = ''\n`);
    run('pg_ctl', ['-D', standbyDir, '-l', path.join(base, 'standby.log'), '-w', 'start']);

    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres` });
    await admin.connect();
    await until(
      'the standby to be synchronous',
      async () => (await admin.query("select 1 from pg_stat_replication where sync_state = 'sync'")).rowCount === 1,
      30_000,
    );
    await admin.query('create database roster');
    await admin.end();

    procs = new RosterProcesses({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/roster?target_session_attrs=read-write`,
      // Lists read from the standby while it is at most 10 s behind (and during the outage, when it is caught up).
      DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${standbyPort}/roster`,
      ROSTER_READ_MAX_LAG_SECONDS: '10',
    });
    roster = procs.start(rosterPort);
    await procs.ready(rosterPort);
  });

  afterAll(async () => {
    if (procs) await Promise.race([procs.stopAll(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (roster && roster.exitCode === null) roster.kill('SIGKILL');
    for (const dir of [primaryDir, standbyDir]) {
      if (!dir) continue;
      try {
        run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop'], 20_000);
      } catch {
        const pid = postmasterPid(dir);
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 60_000);

  /** A tenant key of another credential than the platform key that writes (so it does not read its own writes). */
  async function readerKey(tenant: string): Promise<string> {
    const call = (procs as RosterProcesses).api(rosterPort, tenant);
    const created = await call('POST', '/v1/api-keys', { role: 'admin', name: 'reader' });
    expect(created.status).toBe(201);
    return created.body.secret as string;
  }
  const list = (key: string, query: string) =>
    fetch(`http://127.0.0.1:${rosterPort}/v1/users?${query}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(20_000),
    });
  const listed = async (key: string, username: string): Promise<string[]> => {
    const response = await list(key, `username=${encodeURIComponent(username)}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: { username: string }[] }).data.map((user) => user.username);
  };

  it('lists read from the replica while it is caught up or within the lag bound, from the primary while it lags; a writer reads its own writes', async () => {
    const call = (procs as RosterProcesses).api(rosterPort, 'replica');
    expect((await call('POST', '/v1/tenants', { slug: 'replica' })).status).toBe(201);
    const reader = await readerKey('replica');
    expect(await until('the replica in use', async () => (await replicaState(rosterPort)) === 'in use', 30_000)).toBe(true);
    const readiness = async () =>
      ((await fetch(`http://127.0.0.1:${rosterPort}/readyz`).then((r) => r.json())) as { readReplica?: string }).readReplica;
    expect(await readiness()).toBe('in use');

    const standby = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${standbyPort}/roster` });
    await standby.connect();
    try {
      // The standby receives but does not apply: the primary still acknowledges (synchronous = flushed).
      await standby.query('select pg_wal_replay_pause()');
      expect((await call('POST', '/v1/users', { username: 'lag.one' })).status).toBe(201);
      // The replica is behind but within the bound: another credential's list does not see the user yet...
      expect(await listed(reader, 'lag.one')).toEqual([]);
      expect(await replicaState(rosterPort)).toBe('in use');
      // ...the credential that wrote it does (its reads stay on the primary for the lag bound).
      const own = await call('GET', '/v1/users?username=lag.one');
      expect((own.body.data as { username: string }[]).map((u) => u.username)).toEqual(['lag.one']);
      // Past the bound the replica is left aside and lists come from the primary.
      await until('the replica lagging', async () => (await replicaState(rosterPort)) === 'lagging', 30_000);
      expect(await readiness()).toBe('lagging');
      expect(await listed(reader, 'lag.one')).toEqual(['lag.one']);
      await standby.query('select pg_wal_replay_resume()');
      await until('the replica in use again', async () => (await replicaState(rosterPort)) === 'in use', 30_000);
      expect(await listed(reader, 'lag.one')).toEqual(['lag.one']);
    } finally {
      await standby.query('select pg_wal_replay_resume()').catch(() => undefined);
      await standby.end();
    }
  });

  it('keeps every acknowledged create, none twice, answers 503 + problem during the outage, writes again within 30 s of promotion', async () => {
    const call = (procs as RosterProcesses).api(rosterPort, 'failover');
    expect((await call('POST', '/v1/tenants', { slug: 'failover' })).status).toBe(201);
    const reader = await readerKey('failover');

    const answers: Answer[] = [];
    let stopLoad = false;
    let sequence = 0;
    // Every create carries an Idempotency-Key (its username): retried after the failover, it must answer as before.
    const post = (username: string) =>
      fetch(`http://127.0.0.1:${rosterPort}/v1/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(procs as RosterProcesses).adminKey}`,
          'x-roster-tenant': 'failover',
          'content-type': 'application/json',
          'idempotency-key': username,
        },
        body: JSON.stringify({ username }),
        signal: AbortSignal.timeout(20_000),
      });
    const createOne = async (): Promise<void> => {
      const username = `fo.${sequence++}`;
      const at = Date.now();
      try {
        const response = await post(username);
        const text = await response.text();
        answers.push({
          username,
          status: response.status,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          contentType: response.headers.get('content-type'),
          at,
        });
        if (response.status === 503) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      } catch {
        answers.push({ username, status: 'connection error', at });
      }
    };
    const load = Array.from({ length: 6 }, async () => {
      while (!stopLoad) await createOne();
    });
    const ok = (answer: Answer) => typeof answer.status === 'number' && answer.status >= 200 && answer.status < 300;
    // Lists by another credential, all along: served by the replica, also while no primary exists.
    const reads: { status: number | 'connection error'; at: number; body?: Record<string, unknown> }[] = [];
    const readLoad = (async () => {
      while (!stopLoad) {
        const at = Date.now();
        try {
          const response = await list(reader, 'limit=5');
          const text = await response.text();
          reads.push({ status: response.status, at, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        } catch {
          reads.push({ status: 'connection error', at });
        }
      }
    })();

    await until('creates on the primary', async () => answers.filter(ok).length >= 60, 60_000);
    process.kill(postmasterPid(primaryDir) as number, 'SIGKILL');
    const killedAt = Date.now();
    // The outage is seen (503s) before the standby is promoted.
    await until('a 503 during the outage', async () => answers.some((a) => a.at > killedAt && a.status === 503), 30_000);
    const readyz = () => fetch(`http://127.0.0.1:${rosterPort}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
    expect(await readyz()).toBe(503);
    // Reads go on before any promotion: lists answer 200 from the standby while writes answer 503.
    await until(
      'lists answered during the outage',
      async () => reads.filter((r) => r.at > killedAt && r.status === 200).length >= 10,
      30_000,
    );
    const acknowledgedBeforeKill = answers.filter((a) => ok(a) && a.at < killedAt);
    run('pg_ctl', ['-D', standbyDir, '-w', 'promote']);
    const promotedAt = Date.now();
    const firstAfter = await until(
      'a create on the promoted standby',
      async () => answers.find((a) => a.at >= promotedAt && ok(a)),
      30_000,
    );
    expect(firstAfter.at - promotedAt).toBeLessThan(30_000);
    await until('more creates after the failover', async () => answers.filter((a) => a.at >= promotedAt && ok(a)).length >= 30, 30_000);
    stopLoad = true;
    await Promise.all([...load, readLoad]);
    expect(await until('/readyz ready again', async () => (await readyz()) === 200, 30_000)).toBe(true);

    // The process lived through it.
    expect(roster?.exitCode).toBeNull();
    expect(roster?.signalCode).toBeNull();

    // Every other answer was a 503 problem (or a connection the client may retry), never a bare 500.
    const others = answers.filter((a) => !ok(a));
    for (const answer of others) {
      if (answer.status === 'connection error') continue;
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    }

    // Lists during the outage (before promotion) were served: 200, or at worst a 503 problem, never a 500.
    const outageReads = reads.filter((r) => r.at > killedAt && r.at < promotedAt);
    for (const read of outageReads)
      if (read.status !== 'connection error') expect([200, 503], JSON.stringify(read.body)).toContain(read.status);
    expect(outageReads.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(10);

    // Idempotent retries across the failover: an acknowledged create answers as before, replayed...
    // An answer sent while the database went away is recorded once it is back (IdempotencyService.finishLater);
    // until then a retry gets IDEMPOTENCY_KEY_IN_USE, which a client retries, as here.
    for (const answer of acknowledgedBeforeKill.slice(-20)) {
      const again = await until(
        `the recorded answer for ${answer.username}`,
        async () => {
          const response = await post(answer.username);
          const body = (await response.json()) as { id?: string; code?: string };
          if (body.code === 'IDEMPOTENCY_KEY_IN_USE') return undefined;
          return { status: response.status, replayed: response.headers.get('idempotent-replayed'), id: body.id, code: body.code };
        },
        30_000,
      );
      expect(again, answer.username).toEqual({ status: answer.status, replayed: 'true', id: answer.body?.id, code: undefined });
    }
    // ...and one whose answer was lost (503 or a broken connection) is created on retry, once.
    const lost = others.filter((a) => a.at < promotedAt);
    const retried = new Map<string, { status: number; id?: string; code?: string }>();
    for (const answer of lost) {
      // IDEMPOTENCY_KEY_IN_USE (409) says "still being processed": a client retries it, as here.
      const again = await until(
        `a settled answer for ${answer.username}`,
        async () => {
          const response = await post(answer.username);
          const body = (await response.json()) as { id?: string; code?: string };
          return body.code === 'IDEMPOTENCY_KEY_IN_USE' ? undefined : { status: response.status, id: body.id, code: body.code };
        },
        30_000,
      );
      retried.set(answer.username, again);
    }
    for (const [username, answer] of retried) {
      // 201: created now (or replayed). A create whose COMMIT was in flight at the kill is stored, but its
      // answer was never recorded: its retry finds the username taken. Either way it is stored once (below).
      if (answer.status === 201) continue;
      expect(answer, username).toMatchObject({ status: 409, code: 'USER_USERNAME_TAKEN' });
    }

    // Every acknowledged create is on the new primary, with the id it was answered with, and nothing twice.
    const promoted = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${standbyPort}/roster` });
    await promoted.connect();
    try {
      const rows = (
        await promoted.query<{ id: string; username: string }>(
          "select u.id, u.username from users u join tenants t on t.id = u.tenant_id where t.slug = 'failover'",
        )
      ).rows;
      const stored = new Map<string, string[]>();
      for (const row of rows) stored.set(row.username, [...(stored.get(row.username) ?? []), row.id]);
      for (const [username, ids] of stored) expect(ids, username).toHaveLength(1);
      const acknowledged = answers.filter(ok);
      for (const answer of acknowledged) expect(stored.get(answer.username), answer.username).toEqual([answer.body?.id]);
      for (const [username, answer] of retried) {
        expect(stored.get(username), username).toHaveLength(1);
        if (answer.status === 201) expect(stored.get(username), username).toEqual([answer.id]);
      }
      console.info(
        `failover: ${acknowledged.length} acknowledged creates kept, ${others.length} refused during ${Math.round((firstAfter.at - killedAt) / 100) / 10} s; ${outageReads.filter((r) => r.status === 200).length} lists served during the outage; ${retried.size} lost answers retried`,
      );
    } finally {
      await promoted.end();
    }
  });
});
