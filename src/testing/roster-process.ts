import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../..');

/** Distinct TCP ports nothing listens on now (the OS picks them), for server processes to take. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/** A throw-away PostgreSQL database beside the one in `baseUrl`, for tests that run real Roster processes. */
export async function scratchPostgres(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `roster_proc_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/**
 * The stores real server processes run on: a fresh SQLite folder, and a scratch PostgreSQL database
 * when TEST_DATABASE_URL is set. `open` gives the environment to start processes with and a `drop`.
 */
export const processStores = [
  {
    name: 'sqlite',
    available: true,
    open: async (prefix = 'roster-proc-') => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      return { env: { ROSTER_DATA_DIR: dir, DATABASE_URL: '' }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    available: Boolean(process.env.TEST_DATABASE_URL),
    open: async (_prefix?: string) => {
      const scratch = await scratchPostgres(process.env.TEST_DATABASE_URL as string);
      return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
    },
  },
];

/** Real `roster serve` processes sharing one store, with a platform key, for races and crashes. */
export class RosterProcesses {
  readonly adminKey = `rst_${randomBytes(32).toString('hex')}`;
  readonly children: ChildProcess[] = [];

  constructor(private readonly env: Record<string, string>) {}

  start(port: number, extra: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: root,
      stdio: 'ignore',
      env: { ...process.env, ...this.env, ...extra, PORT: String(port), LOG_LEVEL: 'warn', ROSTER_ADMIN_KEY: this.adminKey },
    });
    this.children.push(child);
    return child;
  }

  async ready(port: number): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('server did not start');
  }

  async stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.children.map((c) => this.stop(c)));
  }

  /** A client of one process acting on `tenant` with the platform key; answers status and body. */
  api(port: number, tenant: string) {
    return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { authorization: `Bearer ${this.adminKey}`, 'x-roster-tenant': tenant, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
    };
  }
}
