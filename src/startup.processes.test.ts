import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, processStores, scratchPostgres } from './testing/roster-process.js';

/**
 * What a person sees when `roster serve` / `npm start` cannot start: a port in use is named before any
 * platform key is created or printed; an unreachable database (DATABASE_URL) is retried with backoff,
 * named without its password, and given up after ROSTER_DB_CONNECT_TIMEOUT; a database that comes up
 * during the retries is used.
 */
const root = path.resolve(import.meta.dirname, '..');
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the output matches, rejects when the process exits first. */
  waitFor: (pattern: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

function start(entry: 'cli' | 'main', env: Record<string, string>): Started {
  const args = entry === 'cli' ? ['src/cli/main.ts', 'serve'] : ['src/main.ts'];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', ROSTER_ADMIN_KEY: '', DATABASE_URL: '', ...env },
  });
  children.push(child);
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          listeners.delete(check);
          resolve();
        }
      };
      listeners.add(check);
      check();
      void exited.then((code) => {
        if (!pattern.test(output)) reject(new Error(`exited with ${code} before ${pattern}:\n${output}`));
      });
    });
  return { child, output: () => output, waitFor, exited };
}

/** Something else listening on the port, as another program would. */
async function occupy(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

afterAll(async () => {
  await Promise.all(
    children.map((child) =>
      child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGKILL');
          })
        : undefined,
    ),
  );
});

const PLATFORM_KEY_PRINTED = /platform admin key|rst_[A-Za-z0-9_-]{20,}/;

describe('start-up: a port in use', { timeout: 180_000 }, () => {
  for (const store of processStores) {
    it.skipIf(!store.available)(`${store.name}: should exit 1 naming PORT, before a platform key is created or printed`, async () => {
      const opened = await store.open('roster-port-');
      const taken = await occupy('127.0.0.1');
      try {
        // HOST=0.0.0.0 collides with a listener on 127.0.0.1 too; `npm start` (src/main.ts) and `roster serve` say the same.
        const variants = [
          { entry: 'cli' as const, HOST: '127.0.0.1' },
          { entry: 'main' as const, HOST: '0.0.0.0' },
        ];
        for (const { entry, HOST } of variants) {
          const server = start(entry, { ...opened.env, PORT: String(taken.port), HOST });
          expect(await server.exited).toBe(1);
          expect(server.output()).toContain(
            `PORT ${taken.port} on ${HOST} is already in use by another process: stop it, or choose another PORT`,
          );
          expect(server.output()).not.toMatch(PLATFORM_KEY_PRINTED);
          expect(server.output()).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
        }
        // No key was stored either: the next start on a free port creates and prints the first one.
        if (store.name === 'sqlite') {
          expect(fs.existsSync(path.join((opened.env as Record<string, string>).ROSTER_DATA_DIR as string, 'roster.sqlite'))).toBe(false);
        } else {
          const client = new pg.Client({ connectionString: opened.env.DATABASE_URL });
          await client.connect();
          const tables = await client.query("select count(*)::int as n from information_schema.tables where table_name = 'api_keys'");
          await client.end();
          expect(tables.rows[0].n).toBe(0);
        }
        const port = await freePort();
        const fresh = start('cli', { ...opened.env, PORT: String(port) });
        await fresh.waitFor(/Roster is ready/);
        expect(fresh.output()).toMatch(PLATFORM_KEY_PRINTED);
        fresh.child.kill('SIGTERM');
        await fresh.exited;
      } finally {
        await taken.close();
        await opened.drop();
      }
    });
  }
});

describe('start-up: an unreachable database', { timeout: 180_000 }, () => {
  const PASSWORD = 'pw-Never-In-Logs-7';

  it.each([
    ['a closed port', async () => `127.0.0.1:${await freePort()}`],
    ['a host name that does not resolve', async () => 'roster-db.invalid:5432'],
  ])(
    'should retry %s with backoff, naming DATABASE_URL without its password, and exit 1 after ROSTER_DB_CONNECT_TIMEOUT',
    async (_name, hostPort) => {
      const where = await hostPort();
      const server = start('cli', {
        DATABASE_URL: `postgres://roster:${PASSWORD}@${where}/roster`,
        ROSTER_DB_CONNECT_TIMEOUT: '3',
        PORT: String(await freePort()),
      });
      expect(await server.exited).toBe(1);
      const output = server.output();
      const retries = output
        .split('\n')
        .filter(
          (line) =>
            line.includes(`cannot reach the database at DATABASE_URL=postgres://roster:***@${where}/roster`) &&
            line.includes('retrying in'),
        );
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(output).toContain(`Cannot reach the database at DATABASE_URL=postgres://roster:***@${where}/roster`);
      expect(output).toMatch(/in 3 s \(ROSTER_DB_CONNECT_TIMEOUT\)/);
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toMatch(PLATFORM_KEY_PRINTED);
    },
  );
});

const baseUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!baseUrl)('postgres: a database that comes up while Roster waits', { timeout: 180_000 }, () => {
  it('should become ready once the database answers, after logging the failed attempts', async () => {
    const scratch = await scratchPostgres(baseUrl as string);
    const target = new URL(scratch.url);
    // A stand-in for PostgreSQL still starting: connections are cut until it is switched on, then forwarded.
    let up = false;
    const proxy = net.createServer((socket) => {
      if (!up) return socket.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(scratch.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String((proxy.address() as net.AddressInfo).port);
    const port = await freePort();
    try {
      const server = start('cli', { DATABASE_URL: proxied.toString(), ROSTER_DB_CONNECT_TIMEOUT: '120', PORT: String(port) });
      await server.waitFor(/retrying in[^\n]*\n[^]*retrying in/);
      up = true;
      await server.waitFor(/Roster is ready/);
      expect(server.output()).toContain('database reachable');
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      // GET / leads a person to the admin page and the API reference.
      const home = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
      expect(await home.text()).toMatch(/href="\/admin"[^]*href="\/docs"/);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await scratch.drop();
    }
  });

  it('should say at once that the database in DATABASE_URL does not exist, and how to create it', async () => {
    const missing = new URL(baseUrl as string);
    missing.pathname = '/roster_missing_db';
    const server = start('cli', { DATABASE_URL: missing.toString(), ROSTER_DB_CONNECT_TIMEOUT: '120', PORT: String(await freePort()) });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('The database roster_missing_db in DATABASE_URL=');
    expect(server.output()).toContain('create it (e.g. createdb roster_missing_db');
    expect(server.output()).not.toContain('retrying in');
  });
});
