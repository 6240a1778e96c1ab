import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: API keys`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should return the secret once, store only its hash, and list the key without it', async () => {
      const { key } = await t.tenantWithKey('admin');
      const res = await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'hr-sync', role: 'user' } });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created.secret).toMatch(/^rst_[A-Za-z0-9]{48}$/);
      expect(created).toMatchObject({ name: 'hr-sync', role: 'user', prefix: created.secret.slice(0, 20), revokedAt: null });
      const row = await t.core.database.db.selectFrom('apiKeys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(created.secret);
      const list = await t.request(key, { method: 'GET', url: '/v1/api-keys' });
      expect(list.body).not.toContain(created.secret);
      expect(list.json().data.map((k: { id: string }) => k.id)).toContain(created.id);
      // The new key works, with its role's permissions.
      expect((await t.request(created.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      expect((await t.request(created.secret, { method: 'POST', url: '/v1/users', payload: { username: 'nope' } })).statusCode).toBe(403);
    });

    it("should not let a key grant a role with permissions it lacks, nor touch another tenant's keys", async () => {
      const a = await t.tenantWithKey('admin');
      const b = await t.tenantWithKey('admin');
      const limited = await t.keyWithPermissions(a.tenantId, ['keys:manage', 'users:read']);
      const escalate = await t.request(limited, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'admin' } });
      expect([escalate.statusCode, escalate.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      const unknownRole = await t.request(a.key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'ghost' } });
      expect(unknownRole.json().errors[0]).toMatchObject({ path: '/role', code: 'ROLE_UNKNOWN' });
      const bKeys = (await t.request(b.key, { method: 'GET', url: '/v1/api-keys' })).json().data;
      const cross = await t.request(a.key, { method: 'DELETE', url: `/v1/api-keys/${bKeys[0].id}` });
      expect([cross.statusCode, cross.json().code]).toEqual([404, 'API_KEY_NOT_FOUND']);
      const platform = await t.request(a.key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'p', platform: true } });
      expect(platform.statusCode).toBe(403);
    });

    it('should let a platform key create platform and tenant keys', async () => {
      const { slug, tenantId } = await t.tenantWithKey();
      const platform = await t.request(t.platformKey, { method: 'POST', url: '/v1/api-keys', payload: { name: 'ops', platform: true } });
      expect(platform.json()).toMatchObject({ tenantId: null, role: 'platform-admin' });
      const tenantKey = await t.request(t.platformKey, { method: 'POST', url: '/v1/api-keys', tenant: slug, payload: { name: 'app' } });
      expect(tenantKey.json()).toMatchObject({ tenantId, role: 'admin' });
    });
  });
}
