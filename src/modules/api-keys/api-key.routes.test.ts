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

    it('should rename a key and change its role, with the new role taking effect at once and the secret unchanged', async () => {
      const { key } = await t.tenantWithKey('admin');
      const created = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'hr-sync', role: 'user' } })).json();
      expect(
        (await t.request(created.secret, { method: 'POST', url: '/v1/roles', payload: { name: 'r', permissions: [] } })).statusCode,
      ).toBe(403);
      const patched = await t.request(key, {
        method: 'PATCH',
        url: `/v1/api-keys/${created.id}`,
        payload: { name: 'hr-sync v2', role: 'admin' },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ id: created.id, name: 'hr-sync v2', role: 'admin', prefix: created.prefix, revokedAt: null });
      expect(patched.body).not.toContain(created.secret);
      // The same secret now acts as admin (the authentication cache was cleared).
      expect(
        (await t.request(created.secret, { method: 'POST', url: '/v1/roles', payload: { name: 'r', permissions: [] } })).statusCode,
      ).toBe(201);
      const listed = (await t.request(key, { method: 'GET', url: '/v1/api-keys' }))
        .json()
        .data.find((k: { id: string }) => k.id === created.id);
      expect(listed).toMatchObject({ name: 'hr-sync v2', role: 'admin' });
      const events = (await t.request(key, { method: 'GET', url: `/v1/events?resourceId=${created.id}` })).json().data;
      expect(events.map((e: { type: string }) => e.type)).toContain('api_key.updated');
    });

    it('should refuse a key change the caller may not make, an unknown role, an empty body and hostile input, changing nothing', async () => {
      const { tenantId, key } = await t.tenantWithKey('admin');
      const target = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'target', role: 'user' } })).json();
      const url = `/v1/api-keys/${target.id}`;
      const send = (credential: string, payload: unknown) => t.request(credential, { method: 'PATCH', url, payload: payload as object });
      // keys:manage plus the user role's permissions: may rename the user key, may not hand it admin.
      const userPermissions = (await t.request(key, { method: 'GET', url: '/v1/roles' }))
        .json()
        .data.find((r: { name: string }) => r.name === 'user').permissions as string[];
      const limited = await t.keyWithPermissions(tenantId, ['keys:manage', ...userPermissions]);
      const escalate = await send(limited, { role: 'admin' });
      expect([escalate.statusCode, escalate.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      expect((await send(limited, { name: 'renamed' })).statusCode).toBe(200);
      // A caller lacking the key's current role's permissions may not change it, not even its name.
      const adminKey = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'boss', role: 'admin' } })).json();
      const demote = await t.request(limited, { method: 'PATCH', url: `/v1/api-keys/${adminKey.id}`, payload: { role: 'user' } });
      expect([demote.statusCode, demote.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      const rename = await t.request(limited, { method: 'PATCH', url: `/v1/api-keys/${adminKey.id}`, payload: { name: 'x' } });
      expect([rename.statusCode, rename.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      // Without keys:manage at all.
      const reader = await t.keyWithPermissions(tenantId, ['users:read']);
      expect((await send(reader, { name: 'y' })).statusCode).toBe(403);
      const unknown = await send(key, { role: 'ghost' });
      expect([unknown.statusCode, unknown.json().errors[0]]).toEqual([
        400,
        expect.objectContaining({ path: '/role', code: 'ROLE_UNKNOWN' }),
      ]);
      for (const payload of [
        {},
        { name: '' },
        { name: 'x'.repeat(201) },
        { secret: 'rst_x' },
        JSON.parse('{"__proto__": {"role": "admin"}}'),
      ]) {
        const res = await send(key, payload);
        expect([payload, res.statusCode, res.json().code]).toEqual([
          payload,
          400,
          expect.stringMatching(/^(VALIDATION_FAILED|MALFORMED_JSON)$/),
        ]);
      }
      const missing = await t.request(key, {
        method: 'PATCH',
        url: '/v1/api-keys/00000000-0000-4000-8000-000000000000',
        payload: { name: 'z' },
      });
      expect([missing.statusCode, missing.json().code]).toEqual([404, 'API_KEY_NOT_FOUND']);
      const other = await t.tenantWithKey('admin');
      const cross = await t.request(other.key, { method: 'PATCH', url, payload: { name: 'stolen' } });
      expect([cross.statusCode, cross.json().code]).toEqual([404, 'API_KEY_NOT_FOUND']);
      const listed = (await t.request(key, { method: 'GET', url: '/v1/api-keys' }))
        .json()
        .data.find((k: { id: string }) => k.id === target.id);
      expect(listed).toMatchObject({ name: 'renamed', role: 'user' });
      expect(
        (await t.request(adminKey.secret, { method: 'GET', url: '/v1/api-keys' }))
          .json()
          .data.find((k: { id: string }) => k.id === adminKey.id),
      ).toMatchObject({
        name: 'boss',
        role: 'admin',
      });
    });

    it('should not give a platform key a tenant role', async () => {
      const platform = (
        await t.request(t.platformKey, { method: 'POST', url: '/v1/api-keys', payload: { name: 'ops', platform: true } })
      ).json();
      const res = await t.request(t.platformKey, { method: 'PATCH', url: `/v1/api-keys/${platform.id}`, payload: { role: 'admin' } });
      expect([res.statusCode, res.json().errors?.[0]?.path]).toEqual([400, '/role']);
      const renamed = await t.request(t.platformKey, { method: 'PATCH', url: `/v1/api-keys/${platform.id}`, payload: { name: 'ops 2' } });
      expect(renamed.json()).toMatchObject({ name: 'ops 2', role: 'platform-admin', tenantId: null });
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
