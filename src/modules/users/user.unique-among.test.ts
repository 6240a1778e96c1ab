import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../../contracts/testing/preset-tenant.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

/** @see issue 20: Fleet's "the address must be unique among active users" (tenant setting users.uniqueAmong). */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: users.uniqueAmong`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    let n = 0;
    const unique = (prefix: string) => `${prefix}${++n}x${Math.random().toString(36).slice(2, 7)}`;
    const createUser = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/users', payload: body });
    const patchUser = (key: string, id: string, body: object) => t.request(key, { method: 'PATCH', url: `/v1/users/${id}`, payload: body });
    const setUniqueAmong = (key: string, uniqueAmong: string) =>
      t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { users: { uniqueAmong } } });
    const login = (slug: string, loginName: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: { login: loginName, password } });
    const scim = (key: string, method: 'PATCH' | 'PUT', url: string, payload: object) =>
      t.app.inject({
        method,
        url: `/scim/v2${url}`,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify(payload),
      });
    const activeTenant = async () => {
      const tenant = await t.tenantWithKey();
      expect((await setUniqueAmong(tenant.key, 'active')).statusCode).toBe(200);
      return tenant;
    };

    it("should let a Fleet client re-create a deactivated user's address, and refuse reactivating the first while the second is active", async () => {
      const tenant = await presetTenant(t, 'fleet');
      const settings = await t.request(tenant.key, { method: 'GET', url: '/v1/settings' });
      expect(settings.json().users.uniqueAmong).toBe('active');
      const email = `${unique('ada')}@example.com`;
      const first = await t.request(tenant.key, { method: 'POST', url: '/compat/fleet/users', payload: { email } });
      expect(first.statusCode, first.body).toBe(201);
      const again = await t.request(tenant.key, { method: 'POST', url: '/compat/fleet/users', payload: { email } });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('USER_EMAIL_TAKEN');

      const firstId = (await t.request(tenant.key, { method: 'GET', url: `/v1/users?email=${email}` })).json().data[0].id as string;
      expect((await patchUser(tenant.key, firstId, { active: false })).statusCode).toBe(200);
      const second = await t.request(tenant.key, { method: 'POST', url: '/compat/fleet/users', payload: { email } });
      expect(second.statusCode, second.body).toBe(201);
      expect(second.json().data.id).not.toBe(first.json().data.id);

      const reactivate = await patchUser(tenant.key, firstId, { active: true });
      expect(reactivate.statusCode).toBe(409);
      expect(reactivate.json().code).toBe('USER_EMAIL_TAKEN');
      expect(reactivate.json().errors).toEqual([expect.objectContaining({ path: '/email', code: 'EMAIL_TAKEN' })]);
      const stored = await t.request(tenant.key, { method: 'GET', url: `/v1/users/${firstId}` });
      expect(stored.json().active).toBe(false);
      // Both are listed: the deactivated one stays a user of the company.
      const listed = await t.request(tenant.key, { method: 'GET', url: `/v1/users?email=${email}` });
      expect(
        listed
          .json()
          .data.map((u: { active: boolean }) => u.active)
          .sort(),
      ).toEqual([false, true]);
    });

    it("should keep the default tenant's uniqueness among all users, deactivated ones included", async () => {
      const tenant = await t.tenantWithKey();
      expect((await t.request(tenant.key, { method: 'GET', url: '/v1/settings' })).json().users.uniqueAmong).toBe('all');
      const email = `${unique('dflt')}@acme.com`;
      const first = await createUser(tenant.key, { email });
      expect((await patchUser(tenant.key, first.json().id, { active: false })).statusCode).toBe(200);
      const again = await createUser(tenant.key, { email });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('USER_EMAIL_TAKEN');
      const inactiveTwin = await createUser(tenant.key, { email, active: false });
      expect(inactiveTwin.json().code).toBe('USER_EMAIL_TAKEN');
    });

    it('should free the email and username of a deactivated user, and reclaim them on reactivation once free', async () => {
      const tenant = await activeTenant();
      const username = unique('ann');
      const email = `${username}@acme.com`;
      const a = (await createUser(tenant.key, { email, username, password: 'correct horse battery staple' })).json();
      expect((await patchUser(tenant.key, a.id, { active: false })).statusCode).toBe(200);

      const b = await createUser(tenant.key, { email, username, password: 'another long pass phrase' });
      expect(b.statusCode, b.body).toBe(201);
      // Login finds the active holder; the deactivated user is still refused as before.
      const asB = await login(tenant.slug, email, 'another long pass phrase');
      expect(asB.statusCode, asB.body).toBe(201);
      expect(asB.json().user.id).toBe(b.json().id);

      const conflict = await patchUser(tenant.key, a.id, { active: true });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().code).toBe('USER_EMAIL_TAKEN');
      expect(
        conflict
          .json()
          .errors.map((e: { path: string }) => e.path)
          .sort(),
      ).toEqual(['/email', '/username']);

      // Once the active user lets them go, the first user comes back with them.
      const renamed = unique('bob');
      expect((await patchUser(tenant.key, b.json().id, { email: `${renamed}@acme.com`, username: renamed })).statusCode).toBe(200);
      const back = await patchUser(tenant.key, a.id, { active: true });
      expect(back.statusCode, back.body).toBe(200);
      const taken = await createUser(tenant.key, { email });
      expect(taken.json().code).toBe('USER_EMAIL_TAKEN');
    });

    it('should still find a deactivated user by login (refused as inactive) and by search', async () => {
      const tenant = await activeTenant();
      const username = unique('gone');
      const a = (
        await createUser(tenant.key, { email: `${username}@acme.com`, username, password: 'correct horse battery staple' })
      ).json();
      expect((await patchUser(tenant.key, a.id, { active: false })).statusCode).toBe(200);
      const refused = await login(tenant.slug, username, 'correct horse battery staple');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('USER_INACTIVE');
      const wrong = await login(tenant.slug, username, 'not the password at all');
      expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
      const found = await t.request(tenant.key, { method: 'GET', url: `/v1/users?q=${username}` });
      expect(found.json().data.map((u: { id: string }) => u.id)).toEqual([a.id]);
    });

    it('should create a deactivated user beside an active one with the same email, never two active ones', async () => {
      const tenant = await activeTenant();
      const email = `${unique('twin')}@acme.com`;
      expect((await createUser(tenant.key, { email })).statusCode).toBe(201);
      const inactive = await createUser(tenant.key, { email, active: false });
      expect(inactive.statusCode, inactive.body).toBe(201);
      const second = await createUser(tenant.key, { email });
      expect(second.json().code).toBe('USER_EMAIL_TAKEN');
      const batch = await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: { users: [{ email: `x${email}` }, { email: `x${email}` }, { email: `x${email}`, active: false }] },
      });
      expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed', 'created']);
      const reactivate = await patchUser(tenant.key, inactive.json().id, { active: true });
      expect(reactivate.json().code).toBe('USER_EMAIL_TAKEN');
    });

    it('should let exactly one of concurrent creates and a reactivation have an address', async () => {
      const tenant = await activeTenant();
      const email = `${unique('race')}@acme.com`;
      const a = (await createUser(tenant.key, { email })).json();
      expect((await patchUser(tenant.key, a.id, { active: false })).statusCode).toBe(200);
      const answers = await Promise.all([
        patchUser(tenant.key, a.id, { active: true }),
        ...Array.from({ length: 6 }, () => createUser(tenant.key, { email })),
      ]);
      const won = answers.filter((r) => r.statusCode === 200 || r.statusCode === 201);
      expect(won).toHaveLength(1);
      for (const r of answers.filter((x) => !won.includes(x))) expect(r.json().code).toBe('USER_EMAIL_TAKEN');
      const listed = await t.request(tenant.key, { method: 'GET', url: `/v1/users?email=${email}&active=true` });
      expect(listed.json().data).toHaveLength(1);
    });

    it('should release on a SCIM deactivation (PATCH and PUT) as on the native one', async () => {
      const tenant = await activeTenant();
      for (const how of ['PATCH', 'PUT'] as const) {
        const userName = unique('scim');
        const email = `${userName}@acme.com`;
        const a = (await createUser(tenant.key, { email, username: userName })).json();
        const res =
          how === 'PATCH'
            ? await scim(tenant.key, 'PATCH', `/Users/${a.id}`, {
                schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                Operations: [{ op: 'replace', value: { active: false } }],
              })
            : await scim(tenant.key, 'PUT', `/Users/${a.id}`, {
                schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
                userName,
                emails: [{ value: email, primary: true }],
                active: false,
              });
        expect(res.statusCode, res.body).toBe(200);
        const again = await createUser(tenant.key, { email, username: userName });
        expect(again.statusCode, `${how}: ${again.body}`).toBe(201);
      }
    });

    it('should move existing deactivated users with the setting, and refuse turning it back while users share an address', async () => {
      const tenant = await t.tenantWithKey();
      const email = `${unique('move')}@acme.com`;
      const a = (await createUser(tenant.key, { email })).json();
      expect((await patchUser(tenant.key, a.id, { active: false })).statusCode).toBe(200);
      expect((await createUser(tenant.key, { email })).statusCode).toBe(409);

      expect((await setUniqueAmong(tenant.key, 'active')).statusCode).toBe(200);
      const b = await createUser(tenant.key, { email });
      expect(b.statusCode).toBe(201);

      const back = await setUniqueAmong(tenant.key, 'all');
      expect(back.statusCode).toBe(409);
      expect(back.json()).toMatchObject({ code: 'SETTINGS_UNIQUENESS_CONFLICT', shared: 1 });
      expect((await t.request(tenant.key, { method: 'GET', url: '/v1/settings' })).json().users.uniqueAmong).toBe('active');

      expect((await t.request(tenant.key, { method: 'DELETE', url: `/v1/users/${b.json().id}` })).statusCode).toBe(204);
      expect((await setUniqueAmong(tenant.key, 'all')).statusCode).toBe(200);
      // The deactivated user holds its address against everyone again.
      expect((await createUser(tenant.key, { email })).json().code).toBe('USER_EMAIL_TAKEN');
    });

    it("should keep one tenant's setting out of another's uniqueness", async () => {
      const relaxed = await activeTenant();
      const strict = await t.tenantWithKey();
      const email = `${unique('iso')}@acme.com`;
      for (const tenant of [relaxed, strict]) {
        const a = (await createUser(tenant.key, { email })).json();
        expect((await patchUser(tenant.key, a.id, { active: false })).statusCode).toBe(200);
      }
      expect((await createUser(relaxed.key, { email })).statusCode).toBe(201);
      expect((await createUser(strict.key, { email })).statusCode).toBe(409);
    });
  });
}
