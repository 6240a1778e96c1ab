import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { until } from '../testing/until.js';
import { testDialects } from '../testing/test-db.js';

const sqlite = testDialects[0]!;
// Like PostgreSQL, Redis is used when the run names one (CI does: redis://127.0.0.1:6379).
const redisUrl = process.env.TEST_REDIS_URL;

describe('overload: rate limits, hashing admission, security headers', () => {
  const apps: TestApp[] = [];
  afterAll(async () => Promise.all(apps.map((a) => a.close())));
  const app = async (env: Record<string, string>) => {
    const t = await createTestApp(sqlite, { env });
    apps.push(t);
    return t;
  };

  it('should answer 429 RATE_LIMITED with Retry-After past the per-key limit, per key, and never for health checks', async () => {
    const t = await app({ ROSTER_RATE_LIMIT_PER_KEY: '5' });
    const { key, tenantId } = await t.tenantWithKey();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.request(key, { method: 'GET', url: '/v1/users' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await t.request(key, { method: 'GET', url: '/v1/users' });
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another key of the same tenant has its own budget; health checks have none.
    expect((await t.request(await t.keyWithPermissions(tenantId, ['users:read']), { method: 'GET', url: '/v1/users' })).statusCode).toBe(
      200,
    );
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('should limit per client address too, whatever credentials (even made-up ones) are sent', async () => {
    const t = await app({ ROSTER_RATE_LIMIT_PER_ADDRESS: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.request(`rst_made-up-${i}`, { method: 'GET', url: '/v1/users' })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const other = await t.app.inject({ url: '/v1/users', remoteAddress: '127.0.0.9' });
    expect(other.statusCode).toBe(401);
  });

  it.skipIf(!redisUrl)('should share the limits across processes through Redis', async () => {
    const env = { REDIS_URL: redisUrl as string, ROSTER_RATE_LIMIT_PER_KEY: '6' };
    const a = await app(env);
    const b = await app(env);
    // Until a process's Redis connection is ready it counts on its own: wait for both to share (the event, not a delay).
    for (const t of [a, b]) await until(async () => (await t.app.inject({ url: '/readyz' })).json().redis === 'up', 'Redis to be ready');
    // One tenant and key, seen by both servers (they share nothing but Redis here, so the key is made in each database).
    const { key } = await a.tenantWithKey();
    const keyB = key;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await a.request(key, { method: 'GET', url: '/v1/users' })).statusCode);
    for (let i = 0; i < 4; i++) statuses.push((await b.request(keyB, { method: 'GET', url: '/v1/users' })).statusCode);
    // b does not know the key (other database): 401s, but they still count against the same credential in Redis.
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toEqual([401, 401, 429, 429]);
  });

  it('should refuse creates with 503 and Retry-After while hashing is saturated, and keep answering reads', async () => {
    const t = await app({ ROSTER_HASH_QUEUE_MAX: '2', ROSTER_ARGON2_MEMORY_KIB: '19456', ROSTER_ARGON2_TIME_COST: '2' });
    const { key } = await t.tenantWithKey();
    const creates = Array.from({ length: 24 }, (_, i) =>
      t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `flood${i}@acme.com`, password: 'correct horse battery staple' },
      }),
    );
    const readStarted = performance.now();
    const read = await t.request(key, { method: 'GET', url: '/v1/users?limit=1' });
    const readMs = performance.now() - readStarted;
    const results = await Promise.all(creates);
    expect(read.statusCode).toBe(200);
    expect(readMs).toBeLessThan(2000);
    const statuses = results.map((r) => r.statusCode);
    expect(statuses).toContain(201);
    expect(statuses).toContain(503);
    const refused = results.find((r) => r.statusCode === 503);
    expect(refused?.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
  });

  it('should send security headers on every response, API and errors alike', async () => {
    const t = await app({});
    for (const res of [
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ url: '/v1/users' }),
      await t.app.inject({ url: '/nope' }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['strict-transport-security']).toBeDefined();
      expect(res.headers['x-frame-options']).toBeDefined();
    }
    const docs = await t.app.inject({ url: '/docs/' });
    expect(docs.headers['content-security-policy']).toContain('script-src');
  });
});
