import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../testing/roster-process.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { until } from '../testing/until.js';

const sqlite = testDialects[0]!;
const redisUrl = process.env.TEST_REDIS_URL;
// A hang detector, not a latency target: a request waiting on a dead Redis would wait for ever (or 30 s+).
const HANG_MS = 2000;

/**
 * A TCP listener in front of Redis: `mode` decides what a new connection gets. `refuse` closes it at
 * once, `blackhole` accepts and never answers, `forward` pipes it to the real Redis. Switching mode
 * cuts the open connections, as a Redis restart or a network partition would.
 */
async function redisStandIn(mode: 'refuse' | 'blackhole' | 'forward') {
  const sockets = new Set<net.Socket>();
  const target = redisUrl ? new URL(redisUrl) : undefined;
  const state = { mode };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (state.mode === 'refuse') socket.destroy();
    else if (state.mode === 'forward' && target) {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    }
    // blackhole: keep the socket open and never write.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    set(next: 'refuse' | 'blackhole' | 'forward') {
      state.mode = next;
      for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('Redis outage: rate limits fall back to per-process counting, readiness reports it', () => {
  const apps: TestApp[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(closers.map((c) => c()));
  });
  let stderr: string[] = [];
  beforeEach(() => {
    stderr = [];
    // ioredis prints "[ioredis] Unhandled error event: …" with console.error when nothing handles its errors.
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(args.map(String).join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  const app = async (env: Record<string, string>) => {
    const t = await createTestApp(sqlite, { env });
    apps.push(t);
    return t;
  };

  async function closedPortUrl() {
    return `redis://127.0.0.1:${await freePort()}`;
  }

  async function blackholeUrl() {
    const standIn = await redisStandIn('blackhole');
    closers.push(standIn.close);
    return standIn.url;
  }

  it.each([
    ['a closed port', closedPortUrl],
    ['a listener that never answers', blackholeUrl],
  ])(
    'with Redis at %s: requests answer at once, limits still hold per process, /readyz says degraded, logs stay JSON',
    async (_name, makeUrl) => {
      const t = await app({ REDIS_URL: await makeUrl(), ROSTER_RATE_LIMIT_PER_KEY: '3' });
      const { key } = await t.tenantWithKey();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        statuses.push((await t.request(key, { method: 'GET', url: '/v1/users' })).statusCode);
        expect(performance.now() - started).toBeLessThan(HANG_MS);
      }
      // Counted in this process while Redis is away: neither a hang nor unlimited.
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'degraded', redis: 'down' });
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      // Let a few reconnect attempts fail (the blackhole's ready check times out after 500 ms): still one warning.
      await new Promise((r) => setTimeout(r, 1500));
      const lines = t.logs.lines.map((line) => JSON.parse(line) as { level: number; redis?: string; msg: string });
      expect(lines.filter((l) => l.redis === 'down')).toEqual([
        expect.objectContaining({ level: 40, msg: expect.stringContaining('counted per process') }),
      ]);
      expect(stderr).toEqual([]);
    },
  );

  it.skipIf(!redisUrl)('should share the counters again once Redis answers, across processes', async () => {
    const standIn = await redisStandIn('refuse');
    closers.push(standIn.close);
    const env = { REDIS_URL: standIn.url, ROSTER_RATE_LIMIT_PER_KEY: '3' };
    const a = await app(env);
    const b = await app(env);
    expect((await a.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'degraded', redis: 'down' });
    // Wait for the event, not for time: a has tried Redis, been refused and said so, before Redis comes back.
    await until(async () => a.logs.lines.some((l) => l.includes('"redis":"down"')), 'a to log Redis down');

    standIn.set('forward');
    for (const t of [a, b]) await until(async () => (await t.app.inject({ url: '/readyz' })).json().status === 'ready', 'Redis to be back');
    expect((await a.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', redis: 'up' });
    // A fresh key: two requests on a, then b (which does not know the key: 401) shares a's count.
    const { key } = await a.tenantWithKey();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await a.request(key, { method: 'GET', url: '/v1/users' })).statusCode);
    for (let i = 0; i < 2; i++) statuses.push((await b.request(key, { method: 'GET', url: '/v1/users' })).statusCode);
    expect(statuses).toEqual([200, 200, 401, 429]);
    expect(
      a.logs.lines
        .map((l) => JSON.parse(l) as { redis?: string })
        .filter((l) => l.redis)
        .map((l) => l.redis),
    ).toEqual(['down', 'up']);

    // Redis goes away again while connected: a falls back within the hang bound, and counts afresh in the process.
    standIn.set('blackhole');
    const started = performance.now();
    expect((await a.request(key, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(HANG_MS);
    await until(async () => (await a.app.inject({ url: '/readyz' })).json().status === 'degraded', 'a to see Redis down');
  });
});

describe('Redis outage in a real `roster serve` process', () => {
  it('should keep serving with JSON-only stdout and nothing on stderr while Redis refuses connections', async () => {
    const port = await freePort();
    const adminKey = `rst_${randomBytes(32).toString('hex')}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-redis-outage-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: '',
        ROSTER_DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'info',
        ROSTER_ADMIN_KEY: adminKey,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        ROSTER_RATE_LIMIT_PER_KEY: '4',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () =>
          (await fetch(`${base}/readyz`).then(
            (r) => r.status,
            () => 0,
          )) === 200,
        'the server to start',
      );
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'degraded', redis: 'down' });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const started = performance.now();
        statuses.push((await fetch(`${base}/v1/tenants`, { headers: { authorization: `Bearer ${adminKey}` } })).status);
        expect(performance.now() - started).toBeLessThan(HANG_MS);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      // Several reconnect attempts go by (ioredis retries every 50-2000 ms).
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const lines = stdout.split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.filter((line) => (JSON.parse(line) as { redis?: string }).redis === 'down')).toHaveLength(1);
    expect(stderr).toBe('');
  }, 120_000);
});
