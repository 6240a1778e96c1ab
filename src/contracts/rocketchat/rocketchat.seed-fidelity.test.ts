import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../testing/preset-tenant.js';
import { rocketChatExamples } from '../testing/seed-examples.js';
import { compile, problems, rocketChatSeed } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 20: seed 002's own example request works verbatim on a tenant with the rocketchat preset, its
// free strings take any string, its booleans come as Rocket.Chat's validator takes them, and a client logs
// in without a tenant header (docs/contracts/rocketchat.md).
const seed = rocketChatSeed();
const validOk = compile(seed.responses['200'] as object);
const PASSWORD = 'correct horse battery staple';
const SLUG = 'rc-default';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rocket.Chat accepts what seed 002 accepts (issue 20)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let admin: { 'x-user-id': string; 'x-auth-token': string };

    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { ROSTER_ROCKETCHAT_TENANT: SLUG } });
      tenant = await presetTenant(t, 'rocketchat', { slug: SLUG });
      // The page: define the custom fields your clients send (the seed: "you must first define them").
      for (const key of ['clearance', 'team'])
        await t.request(tenant.key, { method: 'POST', url: '/v1/attributes', payload: { key, type: 'string' } });
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: 'rcadmin', email: 'rcadmin@acme.com', password: PASSWORD, roles: ['admin'] },
      });
      // A Rocket.Chat client's login: no X-Roster-Tenant.
      const login = await t.app.inject({
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        payload: { user: 'rcadmin', password: PASSWORD },
      });
      expect(login.statusCode, login.body).toBe(200);
      admin = { 'x-user-id': login.json().data.userId, 'x-auth-token': login.json().data.authToken };
    });
    afterAll(async () => t?.close());

    const create = (body: unknown) =>
      t.app.inject({ method: 'POST', url: '/compat/rocketchat/api/v1/users.create', headers: admin, payload: body as object });
    const stored = async (id: string) => (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${id}` })).json();
    let n = 0;
    const person = (extra: Record<string, unknown> = {}) => {
      const username = `rf${++n}${Math.random().toString(36).slice(2, 6)}`;
      return { name: 'Test User', email: `${username}@acme.com`, password: 'anypassyouwant', username, ...extra };
    };

    it("should create the user of the seed's example request, every example value verbatim", async () => {
      const { body, found } = rocketChatExamples();
      expect(found).toEqual(
        expect.arrayContaining(['/name', '/email', '/password', '/username', '/active', '/roles/0', '/verified', '/customFields']),
      );
      expect(found).toHaveLength(15);
      const res = await create(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(problems(validOk, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({
        success: true,
        user: {
          username: 'uniqueusername1',
          name: 'Test User',
          emails: [{ address: 'email@user.tld1', verified: false }],
          active: true,
          roles: ['bot'],
          nickname: 'testusername',
          bio: 'All about the user',
          requirePasswordChange: false,
          customFields: { clearance: 'High', team: 'Queen' },
        },
      });
      expect(await stored(res.json().user._id)).toMatchObject({ hasPassword: true, active: true, emailVerified: false, groups: [] });
    });

    it('should take the booleans as true/false or "true"/"false", as Rocket.Chat\'s validator does', async () => {
      for (const [sent, active] of [
        ['false', false],
        ['true', true],
        [false, false],
      ] as const) {
        const res = await create(
          person({ active: sent, verified: sent, requirePasswordChange: sent, joinDefaultChannels: sent, sendWelcomeEmail: 'false' }),
        );
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().user).toMatchObject({ active, requirePasswordChange: active, emails: [{ verified: active }] });
      }
      const bad = await create(person({ active: 'yes' }));
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errorType).toBe('invalid-params');
    });

    it("should accept values outside Roster's vocabulary for every free-string member (no 400)", async () => {
      const variants: Array<Record<string, unknown>> = [
        { username: 'ab' },
        { username: 'x' },
        { username: 'Ab.C-d_9' },
        { name: 'ÉLODIE de la Cruz' },
        { name: 'x' },
        { nickname: '' },
        { nickname: 'TestUserName' },
        { bio: '' },
        { bio: 'N/A' },
        { statusText: '' },
        { statusText: 'Out of office — back Monday' },
        { roles: ['bot'] },
        { roles: ['guest'] },
        { roles: ['livechat-agent', 'user'] },
        { roles: ['app'] },
      ];
      for (const extra of variants) {
        const res = await create(person(extra));
        expect(res.statusCode, `${JSON.stringify(extra)} → ${res.body}`).toBe(200);
      }
    });

    it('should assign a random password with setRandomPassword ("true" or true), told to nobody, and require a change', async () => {
      for (const flag of [true, 'true'] as const) {
        const { password: _omitted, ...body } = person({ setRandomPassword: flag });
        const res = await create(body);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().user.requirePasswordChange).toBe(true);
        expect(JSON.stringify(res.json())).not.toMatch(/generatedPassword|password"/);
        expect(await stored(res.json().user._id)).toMatchObject({ hasPassword: true, requirePasswordChange: true });
      }
      // Without it a password stays required, as the seed's required list says.
      const { password: _p, ...noPassword } = person();
      expect((await create(noPassword)).statusCode).toBe(400);
    });

    it('should log in without X-Roster-Tenant into ROSTER_ROCKETCHAT_TENANT, and still honour the header when sent', async () => {
      const other = await t.tenantWithKey();
      await t.request(other.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: 'elsewhere', email: 'elsewhere@acme.com', password: PASSWORD },
      });
      const noHeader = await t.app.inject({
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        payload: { username: 'rcadmin', password: PASSWORD },
      });
      expect(noHeader.statusCode).toBe(200);
      // The user of another tenant is not found in the default one, and is with its header.
      expect(
        (await t.app.inject({ method: 'POST', url: '/compat/rocketchat/api/v1/login', payload: { user: 'elsewhere', password: PASSWORD } }))
          .statusCode,
      ).toBe(401);
      const withHeader = await t.app.inject({
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        headers: { 'x-roster-tenant': other.slug },
        payload: { user: 'elsewhere', password: PASSWORD },
      });
      expect(withHeader.statusCode).toBe(200);
    });
  });

  describe.skipIf(!dialect.available)(`${dialect.name}: Rocket.Chat login without a configured default tenant`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should say to name the tenant when no header and no ROSTER_ROCKETCHAT_TENANT are there', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        payload: { user: 'someone', password: PASSWORD },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ success: false, errorType: 'invalid-params' });
      expect(res.json().error).toMatch(/x-roster-tenant/i);
    });
  });
}
