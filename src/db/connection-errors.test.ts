import net from 'node:net';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../http/error-handler.js';
import { isDatabaseUnavailable } from './errors.js';
import { openDatabase, type Database } from './kysely.js';

const pgUrl = process.env.TEST_DATABASE_URL;

/** A loopback port nothing listens on: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['admin shutdown', { code: '57P01', message: 'terminating connection due to administrator command' }],
    ['crash shutdown', { code: '57P02', message: 'terminating connection because of crash of another server process' }],
    ['starting up', { code: '57P03', message: 'the database system is starting up' }],
    ['connection failure class', { code: '08006', message: 'connection failure' }],
    ['read-only standby', { code: '25006', message: 'cannot execute INSERT in a read-only transaction' }],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['wrapped', new Error('query failed', { cause: Object.assign(new Error('x'), { code: '57P01' }) })],
  ])('%s is a temporary unavailability', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505', message: 'duplicate key' }],
    ['syntax error', { code: '42601', message: 'syntax error' }],
    ['plain bug', new TypeError('x is undefined')],
  ])('%s is not', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('a request whose database is unreachable', () => {
  const opened: Database[] = [];
  afterAll(async () => {
    for (const database of opened) await database.close().catch(() => undefined);
  });

  async function appOver(database: Database) {
    const app = Fastify();
    registerErrorHandler(app);
    app.get('/query', async () => (await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows);
    app.get('/shutdown', async () => {
      throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    });
    await app.ready();
    return app;
  }

  it('answers 503 problem+json with Retry-After, for a refused connection and for a server shutting down', async () => {
    const database = openDatabase({ postgresUrl: `postgres://roster@127.0.0.1:${await closedPort()}/roster`, log: () => undefined });
    opened.push(database);
    const app = await appOver(database);
    for (const url of ['/query', '/shutdown']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    }
    await app.close();
  });

  it('answers 503 for a multi-host URL where no host is reachable (not a TypeError: Invalid URL)', async () => {
    const url = `postgres://roster@127.0.0.1:${await closedPort()},127.0.0.1:${await closedPort()}/roster?target_session_attrs=read-write`;
    const database = openDatabase({ postgresUrl: url, log: () => undefined });
    opened.push(database);
    const app = await appOver(database);
    const response = await app.inject({ url: '/query' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    await app.close();
  });
});

describe.skipIf(!pgUrl)('postgres: the pool survives its connections being killed', () => {
  it('an idle and a busy connection terminated by the server do not end the process; the next query works', async () => {
    const logged: string[] = [];
    const database = openDatabase({ postgresUrl: pgUrl, poolSize: 2, log: (entry) => logged.push(entry.msg) });
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      // Idle: a pooled connection killed while nobody uses it ('error' on the pool).
      const idlePid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]?.pid;
      await admin.query('select pg_terminate_backend($1)', [idlePid]);
      await pollFor(async () => (database.poolStats?.().total === 0 ? true : undefined));
      // Busy: a connection killed in the middle of a query ('error' on the lent client) fails that query only.
      const busy = sql`select pg_sleep(5)`.execute(database.db).then(
        () => undefined,
        (error: unknown) => error,
      );
      const busyPid = await pollFor(
        async () =>
          (await admin.query<{ pid: number }>("select pid from pg_stat_activity where query = 'select pg_sleep(5)'")).rows[0]?.pid,
      );
      await admin.query('select pg_terminate_backend($1)', [busyPid]);
      const failure = await busy;
      expect(isDatabaseUnavailable(failure)).toBe(true);
      const again = await pollFor(
        async () => (await sql<{ one: number }>`select 1 as one`.execute(database.db).catch(() => undefined))?.rows[0]?.one,
      );
      expect(again).toBe(1);
      expect(logged).toContain('database connection error');
    } finally {
      await admin.end();
      await database.close();
    }
  });
});

async function pollFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
