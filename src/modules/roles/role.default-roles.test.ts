import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

/** @see issue 20: a role the tenant's users.defaultRoles names cannot be deleted or renamed from under it. */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: roles named by users.defaultRoles`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const setup = async () => {
      const tenant = await t.tenantWithKey();
      const role = await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/roles',
        payload: { name: 'staff', permissions: ['users:read'] },
      });
      expect(role.statusCode).toBe(201);
      const saved = await t.request(tenant.key, { method: 'PATCH', url: '/v1/settings', payload: { users: { defaultRoles: ['staff'] } } });
      expect(saved.statusCode).toBe(200);
      return { key: tenant.key, roleId: role.json().id as string };
    };

    it('should refuse deleting or renaming the role with 409 ROLE_IS_DEFAULT naming the setting, and change nothing', async () => {
      const { key, roleId } = await setup();
      const deleted = await t.request(key, { method: 'DELETE', url: `/v1/roles/${roleId}` });
      expect(deleted.statusCode).toBe(409);
      expect(deleted.json()).toMatchObject({ code: 'ROLE_IS_DEFAULT', role: 'staff', setting: 'users.defaultRoles' });
      expect(deleted.json().detail).toContain('users.defaultRoles');
      const renamed = await t.request(key, { method: 'PATCH', url: `/v1/roles/${roleId}`, payload: { name: 'team' } });
      expect(renamed.statusCode).toBe(409);
      expect(renamed.json().code).toBe('ROLE_IS_DEFAULT');
      const role = await t.request(key, { method: 'GET', url: `/v1/roles/${roleId}` });
      expect(role.json().name).toBe('staff');
      // Users created without roles still get it.
      const user = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'x@acme.com' } });
      expect(user.json().roles).toEqual(['staff']);
    });

    it('should still let other changes of the role through, and allow both once the setting no longer names it', async () => {
      const { key, roleId } = await setup();
      const described = await t.request(key, {
        method: 'PATCH',
        url: `/v1/roles/${roleId}`,
        payload: { description: 'Staff', name: 'staff' },
      });
      expect(described.statusCode, described.body).toBe(200);
      await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { users: { defaultRoles: null } } });
      const renamed = await t.request(key, { method: 'PATCH', url: `/v1/roles/${roleId}`, payload: { name: 'team' } });
      expect(renamed.statusCode).toBe(200);
      expect((await t.request(key, { method: 'DELETE', url: `/v1/roles/${roleId}` })).statusCode).toBe(204);
    });
  });
}
