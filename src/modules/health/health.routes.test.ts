import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: operations endpoints`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should answer /healthz and /readyz, and /readyz 503 once the database is gone', async () => {
      expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    });

    it('should count requests, latency and created users in /metrics', async () => {
      const { key } = await t.tenantWithKey();
      await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'metered', password: 'long enough pw' } });
      const res = await t.app.inject({ url: '/metrics' });
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.body).toMatch(/roster_http_requests_total\{method="POST",route="\/v1\/users",status_code="201"\} 1/);
      expect(res.body).toContain('roster_http_request_duration_seconds_bucket');
      expect(res.body).toMatch(/roster_users_created_total \d+/);
      expect(res.body).toContain('roster_password_hash_queue_depth 0');
    });

    it('should serve an OpenAPI 3.1 document built from the route schemas, and a reference page', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json();
      expect(doc.openapi).toBe('3.1.0');
      const create = doc.paths['/v1/users'].post;
      expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
      expect(create.responses['201']).toBeDefined();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/users/{id}', '/v1/tenants', '/v1/api-keys', '/healthz']));
      // The five seed contracts are in the same document, each under its product's tag.
      const contracts: Array<[string, string, string]> = [
        ['/compat/rollout/users', 'post', 'Contract: Rollout'],
        ['/compat/pulse/users', 'post', 'Contract: Pulse'],
        ['/compat/rocketchat/api/v1/users.create', 'post', 'Contract: Rocket.Chat'],
        ['/compat/rocketchat/api/v1/login', 'post', 'Contract: Rocket.Chat'],
        ['/compat/certification/users', 'post', 'Contract: Certification'],
        ['/compat/fleet/users', 'post', 'Contract: Fleet'],
      ];
      for (const [path, method, tag] of contracts) expect(doc.paths[path]?.[method]?.tags, path).toEqual([tag]);
      expect(Object.keys(doc.paths['/compat/rollout/users'].post.requestBody.content).sort()).toEqual([
        'application/json',
        'multipart/form-data',
        'text/plain',
      ]);
      expect(doc.paths['/compat/fleet/users'].post.responses['201'].content['application/json'].schema.properties.data.required).toContain(
        'company_id',
      );
      const page = await t.app.inject({ url: '/docs/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('swagger');
    });

    it('should echo a sane x-request-id and replace an unsafe one', async () => {
      expect((await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id']).toBe('abc-123');
      // Replaced by a fresh UUID (which may well contain the letters "bad": they are hex digits).
      expect((await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\n' } })).headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    });
  });
}

describe('readiness without a database', () => {
  it('should answer 503 SERVICE_UNAVAILABLE when the database is closed', async () => {
    const t = await createTestApp(testDialects[0]!);
    await t.core.database.close();
    const res = await t.app.inject({ url: '/readyz' });
    expect([res.statusCode, res.json().code, res.headers['retry-after']]).toEqual([503, 'SERVICE_UNAVAILABLE', '5']);
    await t.app.close();
  });
});
