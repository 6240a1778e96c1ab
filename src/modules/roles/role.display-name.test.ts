import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../../contracts/testing/preset-tenant.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { findRoleName } from '../../rules/role-name.js';

describe('findRoleName', () => {
  const roles = [{ name: 'admin' }, { name: 'user' }, { name: 'field-sales', displayName: 'Sales Agent' }, { name: 'ops_lead' }];
  it('should find a role by name, by name or display name without case, then by slug', () => {
    expect(findRoleName('admin', roles)).toBe('admin');
    expect(findRoleName('Admin', roles)).toBe('admin');
    expect(findRoleName('sales agent', roles)).toBe('field-sales');
    expect(findRoleName('  SALES AGENT ', roles)).toBe('field-sales');
    expect(findRoleName('Ops Lead', roles)).toBe('ops_lead');
    expect(findRoleName('Regional Director', roles)).toBeUndefined();
  });
});

/** @see issue 20: Rollout sends `role: "Admin"`, `"Sales Agent"`; roles get a display name. */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: role display names`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const createRole = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/roles', payload: body });

    it('should store, answer, change and clear a display name, unique in the tenant without case', async () => {
      const { key } = await t.tenantWithKey();
      const created = await createRole(key, { name: 'field-sales', displayName: '  Sales Agent ', permissions: [] });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().displayName).toBe('Sales Agent');
      const id = created.json().id as string;
      expect((await t.request(key, { method: 'GET', url: `/v1/roles/${id}` })).json().displayName).toBe('Sales Agent');
      const listed = (await t.request(key, { method: 'GET', url: '/v1/roles' })).json();
      const all = Array.isArray(listed) ? listed : listed.data;
      expect(all.find((r: { name: string }) => r.name === 'user').displayName).toBeNull();

      const twin = await createRole(key, { name: 'other-sales', displayName: 'SALES AGENT', permissions: [] });
      expect(twin.statusCode).toBe(409);
      expect(twin.json().code).toBe('ROLE_NAME_TAKEN');
      for (const displayName of ['   ', 'Sales\u0000Agent', 'Sales\nAgent']) {
        const bad = await createRole(key, { name: 'bad-role', displayName, permissions: [] });
        expect(bad.statusCode, JSON.stringify(displayName)).toBe(400);
        expect(bad.json().errors[0]).toMatchObject({ path: '/displayName' });
      }

      const renamed = await t.request(key, { method: 'PATCH', url: `/v1/roles/${id}`, payload: { displayName: 'Field Sales' } });
      expect(renamed.json()).toMatchObject({ name: 'field-sales', displayName: 'Field Sales' });
      const kept = await t.request(key, { method: 'PATCH', url: `/v1/roles/${id}`, payload: { description: 'Sells' } });
      expect(kept.json().displayName).toBe('Field Sales');
      const cleared = await t.request(key, { method: 'PATCH', url: `/v1/roles/${id}`, payload: { displayName: null } });
      expect(cleared.json().displayName).toBeNull();
      // Another tenant's display names are its own.
      const other = await t.tenantWithKey();
      expect((await createRole(other.key, { name: 'x-sales', displayName: 'Field Sales', permissions: [] })).statusCode).toBe(201);
    });

    it('should give Rollout users the role their CRM names, by display name or name without case', async () => {
      const tenant = await presetTenant(t, 'rollout');
      expect((await createRole(tenant.key, { name: 'field-sales', displayName: 'Sales Agent', permissions: [] })).statusCode).toBe(201);
      let n = 0;
      const post = (role: string) => {
        const username = `rd${++n}x${Math.random().toString(36).slice(2, 7)}`;
        return t.app.inject({
          method: 'POST',
          url: '/compat/rollout/users',
          headers: { authorization: `Bearer ${tenant.key}`, 'x-rollout-credential-id': tenant.slug },
          payload: {
            email: `${username}@acme.com`,
            firstName: 'Ada',
            lastName: 'Lovelace',
            phone: '+44 20 7946 0958',
            role,
            status: 'active',
            username,
            type: 'employee',
            address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
          },
        });
      };
      for (const [sent, stored] of [
        ['Sales Agent', 'field-sales'],
        ['sales agent', 'field-sales'],
        ['Admin', 'admin'],
        ['USER', 'user'],
      ] as const) {
        const res = await post(sent);
        expect(res.statusCode, res.body).toBe(201);
        const id = res.headers.location?.toString().split('/').at(-1) as string;
        expect((await t.request(tenant.key, { method: 'GET', url: `/v1/users/${id}` })).json().roles, sent).toEqual([stored]);
      }
    });

    it('should find Pulse roles by display name without case, and still refuse a role no name matches', async () => {
      const tenant = await t.tenantWithKey();
      const seq = (await t.core.tenants.getTenant(tenant.tenantId)).seq;
      expect((await createRole(tenant.key, { name: 'loan-officer', displayName: 'Loan Officer', permissions: [] })).statusCode).toBe(201);
      const post = (roles: string[]) =>
        t.request(tenant.key, {
          method: 'POST',
          url: '/compat/pulse/users',
          headers: { 'x-account-id': String(seq) },
          payload: { email: `p${Math.random().toString(36).slice(2, 9)}@acme.com`, roles },
        });
      const found = await post(['LOAN OFFICER', 'User']);
      expect(found.statusCode, found.body).toBe(201);
      expect([...found.json().flatRolesList].sort()).toEqual(['loan-officer', 'user']);
      const unknown = await post(['Branch Manager']);
      expect(unknown.statusCode).toBe(400);
    });
  });
}
