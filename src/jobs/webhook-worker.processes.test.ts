import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';

const pgUrl = process.env.TEST_DATABASE_URL;
const root = path.resolve(import.meta.dirname, '../..');
const adminKey = `rst_${randomBytes(32).toString('hex')}`;
const dbName = `roster_proc_${randomBytes(4).toString('hex')}`;

function databaseUrl(): string {
  const url = new URL(pgUrl as string);
  url.pathname = `/${dbName}`;
  return url.toString();
}

function startServer(port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env, DATABASE_URL: databaseUrl(), PORT: String(port), LOG_LEVEL: 'warn', ROSTER_ADMIN_KEY: adminKey,
      ROSTER_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,2s,2s,2s', ROSTER_WEBHOOK_TIMEOUT_MS: '2000', ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
}

async function ready(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

function api(port: number) {
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'x-roster-tenant': 'procs', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
}

// Real processes on one PostgreSQL database: at-least-once across a SIGKILL, and never twice in parallel.
describe.skipIf(!pgUrl)('postgres: webhook delivery across processes', { timeout: 240_000 }, () => {
  const ports = [21000 + Math.floor(Math.random() * 500), 21600 + Math.floor(Math.random() * 300)] as const;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => stop(s)));
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it('should deliver after a SIGKILL, and deliver each event once with two processes running', { timeout: 240_000 }, async () => {
    // A receiver that is down at first: events committed now can only be delivered later.
    let receiverUp = false;
    const receiver = await startReceiver(() => (receiverUp ? 200 : 503));
    try {
      servers.push(startServer(ports[0]));
      await ready(ports[0]);
      const call = api(ports[0]);
      await call('POST', '/v1/tenants', { slug: 'procs' });
      await call('POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['user.created'] });
      await call('POST', '/v1/users', { username: 'before.kill' });
      await receiver.waitFor((r) => r.length >= 1, 60_000); // attempted and refused (503)
      await stop(servers[0] as ChildProcess, 'SIGKILL');

      receiverUp = true;
      servers.push(startServer(ports[0]), startServer(ports[1]));
      await Promise.all([ready(ports[0]), ready(ports[1])]);
      const created = await api(ports[1])('POST', '/v1/users/batch', { users: Array.from({ length: 80 }, (_, i) => ({ username: `two.procs.${i}` })) });
      expect(created.created).toBe(80);

      await receiver.waitFor((r) => new Set(r.map((x) => String(x.headers['webhook-id']))).size >= 81, 120_000);
      await new Promise((r) => setTimeout(r, 1500));
      // Every event arrived; apart from the deliberate failures before the kill, none twice.
      const events = receiver.received.map((r) => JSON.parse(r.body) as { id: string; data: { username: string } });
      const usernames = new Set(events.map((e) => e.data.username));
      expect(usernames.has('before.kill')).toBe(true);
      expect(usernames.size).toBe(81);
      const batchIds = events.filter((e) => e.data.username !== 'before.kill').map((e) => e.id);
      expect(batchIds).toHaveLength(80);
      expect(new Set(batchIds).size).toBe(80);
    } finally {
      await receiver.close();
    }
  });
});
