import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 19 item 5: the roles of a user created without `roles` are the tenant's users.defaultRoles,
// checked when saved (they exist, the saver may grant them) and granted through the privilege guard.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: default roles`, () => {
    let t: TestApp;
    let n = 0;
    const u = () => `dr${++n}x${Math.random().toString(36).slice(2, 6)}`;

    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const setDefaults = (key: string, defaultRoles: string[] | null) =>
      t.request(key, {
        method: 'PATCH',
        url: '/v1/settings',
        payload: defaultRoles === null ? { users: null } : { users: { defaultRoles } },
      });
    const rolesOf = async (key: string, id: string) =>
      (await t.request(key, { method: 'GET', url: `/v1/users/${id}` })).json().roles as string[];
    const scim = (key: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
        payload,
      });

    it('should give ["user"] by default, and the configured roles to creates without roles on every path', async () => {
      const { key } = await t.tenantWithKey();
      expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().users).toEqual({
        defaultRoles: ['user'],
        uniqueAmong: 'all',
      });
      const plain = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com` } })).json();
      expect(plain.roles).toEqual(['user']);

      expect(
        (await t.request(key, { method: 'POST', url: '/v1/roles', payload: { name: 'staff', permissions: ['users:read'] } })).statusCode,
      ).toBe(201);
      expect((await t.request(key, { method: 'POST', url: '/v1/roles', payload: { name: 'guest', permissions: [] } })).statusCode).toBe(
        201,
      );
      const saved = await setDefaults(key, ['staff', 'guest']);
      expect([saved.statusCode, saved.json().users]).toEqual([200, { defaultRoles: ['staff', 'guest'], uniqueAmong: 'all' }]);

      const native = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com` } })).json();
      expect([...native.roles].sort()).toEqual(['guest', 'staff']);
      const batch = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: { mode: 'partial', users: [{ email: `${u()}@example.com` }, { email: `${u()}@example.com`, roles: ['user'] }] },
        })
      ).json();
      expect([...(await rolesOf(key, batch.results[0].user.id))].sort()).toEqual(['guest', 'staff']);
      expect(batch.results[1].user.roles).toEqual(['user']);
      const viaScim = await scim(key, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: u() });
      expect(viaScim.statusCode).toBe(201);
      expect([...(await rolesOf(key, viaScim.json().id))].sort()).toEqual(['guest', 'staff']);

      // An empty set: users get no role at all; null resets to ["user"].
      await setDefaults(key, []);
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com` } })).json().roles).toEqual(
        [],
      );
      expect((await setDefaults(key, null)).json().users).toEqual({ defaultRoles: ['user'], uniqueAmong: 'all' });
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com` } })).json().roles).toEqual([
        'user',
      ]);
    });

    it('should refuse saving unknown roles, or roles whose permissions the saver lacks', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      for (const roles of [['nobody'], ['user', 'Admin']]) {
        const res = await setDefaults(key, roles);
        expect([roles, res.statusCode, res.json().errors?.[0]?.code]).toEqual([roles, 400, 'ROLE_UNKNOWN']);
      }
      const settingsOnly = await t.keyWithPermissions(tenantId, ['settings:manage', 'users:read']);
      for (const roles of [['admin'], ['user', 'admin']]) {
        const res = await setDefaults(settingsOnly, roles);
        expect([roles, res.statusCode, res.json().code]).toEqual([roles, 403, 'PERMISSION_DENIED']);
      }
      expect((await setDefaults(settingsOnly, ['user'])).statusCode).toBe(200);
      expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().users).toEqual({
        defaultRoles: ['user'],
        uniqueAmong: 'all',
      });
    });

    it('should refuse (403) a creator who could not grant a default role, natively, in batches and over SCIM, and create nothing', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      expect((await setDefaults(key, ['admin'])).statusCode).toBe(200);
      const creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
      const before = (await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).execute()).length;
      const native = await t.request(creator, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${u()}@example.com`, password: 'correct horse battery staple' },
      });
      expect([native.statusCode, native.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      const batch = (
        await t.request(creator, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: { mode: 'partial', users: [{ email: `${u()}@example.com` }, { email: `${u()}@example.com` }] },
        })
      ).json();
      expect(batch.results.map((r: { status: string; error?: { code: string } }) => [r.status, r.error?.code])).toEqual([
        ['failed', 'PERMISSION_DENIED'],
        ['failed', 'PERMISSION_DENIED'],
      ]);
      expect((await scim(creator, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: u() })).statusCode).toBe(403);
      expect((await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).execute()).length).toBe(before);
      // Roles it can grant, named explicitly, still work.
      expect(
        (await t.request(creator, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, roles: ['user'] } }))
          .statusCode,
      ).toBe(201);
    });
  });
}
