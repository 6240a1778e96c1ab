import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, problems, rocketChatSeed } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const seed = rocketChatSeed();
const validRequest = compile(seed.request['application/json'] as object);
const validOk = compile(seed.responses['200'] as object);
const validBadRequest = compile(seed.responses['400'] as object);
const validUnauthorized = compile(seed.responses['401'] as object);
const PASSWORD = 'correct horse battery staple';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rocket.Chat contract (seed 002)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let admin: { 'x-user-id': string; 'x-auth-token': string };
    let n = 0;
    const unique = () => `rc${++n}x${Math.random().toString(36).slice(2, 7)}`;

    async function signIn(roles: string[]): Promise<{ 'x-user-id': string; 'x-auth-token': string }> {
      const username = unique();
      expect(
        (
          await t.request(tenant.key, {
            method: 'POST',
            url: '/v1/users',
            payload: { username, email: `${username}@acme.com`, password: PASSWORD, roles },
          })
        ).statusCode,
      ).toBe(201);
      const res = await t.request(undefined, {
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        tenant: tenant.slug,
        payload: { user: username, password: PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'success',
        data: { userId: expect.any(String), authToken: expect.stringMatching(/^rss_/), me: { username } },
      });
      return { 'x-user-id': res.json().data.userId, 'x-auth-token': res.json().data.authToken };
    }

    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      for (const group of [
        { type: 'channel', code: 'general', name: 'general', isDefault: true },
        { type: 'office', code: 'hq', name: 'HQ', isDefault: true },
      ]) {
        await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: group });
      }
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/attributes',
        payload: { key: 'clearance', type: 'enum', enumValues: ['Low', 'High'] },
      });
      admin = await signIn(['admin']);
    });
    afterAll(async () => t?.close());

    const create = (headers: Record<string, string>, body: unknown) =>
      t.request(undefined, { method: 'POST', url: '/compat/rocketchat/api/v1/users.create', headers, payload: body as object });
    const person = (extra: Record<string, unknown> = {}) => {
      const username = unique();
      return { name: 'Test User', email: `${username}@acme.com`, password: 'anypassyouwant-but-long', username, ...extra };
    };

    it('should create a user with the documented defaults and answer {user, success: true}', async () => {
      const body = person({ nickname: 'tester', bio: 'All about the user', customFields: { clearance: 'High' } });
      expect(problems(validRequest, body)).toEqual([]);
      const res = await create(admin, body);
      expect(res.statusCode).toBe(200);
      expect(problems(validOk, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({
        success: true,
        user: {
          username: body.username,
          name: 'Test User',
          emails: [{ address: body.email, verified: false }],
          type: 'user',
          status: 'offline',
          active: true,
          roles: ['user'],
          nickname: 'tester',
          bio: 'All about the user',
          requirePasswordChange: false,
          customFields: { clearance: 'High' },
        },
      });
      const stored = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${res.json().user._id}` })).json();
      // joinDefaultChannels defaults to true: the default channel, not the other default groups.
      expect(stored.groups.map((g: { code: string }) => g.code)).toEqual(['general']);
      expect(stored.hasPassword).toBe(true);
    });

    it('should honour joinDefaultChannels, setRandomPassword, sendWelcomeEmail, verified and requirePasswordChange', async () => {
      const body = person({
        joinDefaultChannels: false,
        setRandomPassword: true,
        sendWelcomeEmail: true,
        verified: true,
        roles: ['admin', 'user'],
      });
      delete (body as { password?: string }).password;
      const res = await create(admin, body);
      expect(res.statusCode).toBe(200);
      expect(problems(validOk, res.json())).toEqual([]);
      expect(res.json().user).toMatchObject({ emails: [{ verified: true }], requirePasswordChange: true, roles: ['admin', 'user'] });
      const stored = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${res.json().user._id}` })).json();
      // setRandomPassword: "assigned a random password" (seed), told to nobody, to be changed at first sign-in.
      expect(stored).toMatchObject({ groups: [], hasPassword: true, requirePasswordChange: true, emailVerified: true });
      expect(JSON.stringify(res.json())).not.toMatch(/generatedPassword/);
      const mail = (await t.request(tenant.key, { method: 'GET', url: '/v1/mail' })).json().data;
      expect(mail.some((m: { to: string; kind: string }) => m.to === body.email && m.kind.startsWith('welcome'))).toBe(true);
      const forced = await create(admin, person({ requirePasswordChange: true }));
      expect(forced.json().user.requirePasswordChange).toBe(true);
    });

    it('should answer Rocket.Chat error types for taken, blocked and invalid values', async () => {
      const first = person();
      await create(admin, first);
      const cases: Array<[unknown, string, string]> = [
        [
          person({ username: first.username.toUpperCase() }),
          'error-field-unavailable',
          `${first.username.toUpperCase()} is already in use :( [error-field-unavailable]`,
        ],
        [person({ email: first.email }), 'error-field-unavailable', `${first.email} is already in use :( [error-field-unavailable]`],
        [person({ username: 'admin' }), 'error-blocked-username', "admin is blocked and can't be used! [error-blocked-username]"],
        [person({ email: 'nope' }), 'error-invalid-email', 'Invalid email nope [error-invalid-email]'],
        [
          person({ password: 'abc' }),
          'error-password-policy-not-met',
          expect.stringContaining('[error-password-policy-not-met]') as unknown as string,
        ],
        [
          person({ customFields: { clearance: 'Top' } }),
          'error-user-registration-custom-field',
          expect.stringContaining('clearance') as unknown as string,
        ],
        [
          person({ customFields: { undefinedField: 'x' } }),
          'error-user-registration-custom-field',
          expect.stringContaining('undefinedField') as unknown as string,
        ],
        [{ ...person(), name: undefined }, 'invalid-params', "must have required property 'name' [invalid-params]"],
        [{ ...person(), password: undefined }, 'invalid-params', "must have required property 'password' [invalid-params]"],
      ];
      for (const [body, errorType, error] of cases) {
        const res = await create(admin, body);
        expect(res.statusCode).toBe(400);
        expect(problems(validBadRequest, res.json())).toEqual([]);
        expect(res.json()).toMatchObject({ success: false, errorType, error });
      }
    });

    it('should need create-user, and edit-other-user-active-status to set active', async () => {
      const plain = await signIn(['user']);
      const denied = await create(plain, person());
      expect(denied.statusCode).toBe(400);
      expect(problems(validBadRequest, denied.json())).toEqual([]);
      expect(denied.json()).toEqual({
        success: false,
        error: 'Adding user is not allowed [error-action-not-allowed]',
        errorType: 'error-action-not-allowed',
        details: { method: 'insertOrUpdateUser', action: 'Adding_user' },
      });
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/roles',
        payload: { name: 'creator', permissions: ['users:create', 'users:read'] },
      });
      const creator = await signIn(['creator']);
      expect((await create(creator, person())).statusCode).toBe(200);
      const active = await create(creator, person({ active: true }));
      expect(active.json()).toMatchObject({ errorType: 'error-action-not-allowed', details: { action: 'Edit_user_active_status' } });
      // Nor can a creator hand out the admin role (the privilege guard).
      expect((await create(creator, person({ roles: ['admin'] }))).json().errorType).toBe('error-action-not-allowed');
      const inactive = await create(admin, person({ active: false }));
      expect(inactive.json().user.active).toBe(false);
    });

    it('should answer 401 with the documented body without a valid user and token', async () => {
      for (const headers of <Array<Record<string, string>>>[
        {},
        { 'x-user-id': admin['x-user-id'] },
        { ...admin, 'x-user-id': 'someone-else' },
        { ...admin, 'x-auth-token': 'rss_forged' },
        { 'x-user-id': 'x', 'x-auth-token': tenant.key },
      ]) {
        const res = await create(headers, person());
        expect(res.statusCode).toBe(401);
        expect(problems(validUnauthorized, res.json())).toEqual([]);
        expect(res.json()).toEqual({ status: 'error', message: 'You must be logged in to do this.' });
      }
      const badLogin = await t.request(undefined, {
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        tenant: tenant.slug,
        payload: { user: 'nobody', password: 'wrong' },
      });
      expect(badLogin.statusCode).toBe(401);
      expect(badLogin.json()).toMatchObject({ status: 'error', message: 'Unauthorized' });
    });

    it('should accept a personal access token issued through the native API', async () => {
      const username = unique();
      const bot = (
        await t.request(tenant.key, {
          method: 'POST',
          url: '/v1/users',
          payload: { username, email: `${username}@acme.com`, roles: ['admin'] },
        })
      ).json();
      const issued = await t.request(tenant.key, { method: 'POST', url: `/v1/users/${bot.id}/tokens`, payload: { name: 'provisioning' } });
      expect(issued.statusCode).toBe(201);
      const headers = { 'x-user-id': bot.id, 'x-auth-token': issued.json().token };
      const res = await create(headers, person());
      expect(res.statusCode).toBe(200);
      const created = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${res.json().user._id}` })).json();
      expect(created.createdBy).toBe(`user:${bot.id}`);
      // A key that lacks the user's permissions cannot mint a token for it.
      const limited = await t.keyWithPermissions(tenant.tenantId, ['keys:manage', 'users:read']);
      expect((await t.request(limited, { method: 'POST', url: `/v1/users/${bot.id}/tokens`, payload: { name: 'x' } })).statusCode).toBe(
        403,
      );
      expect((await t.request(tenant.key, { method: 'DELETE', url: `/v1/users/${bot.id}/tokens/${issued.json().id}` })).statusCode).toBe(
        204,
      );
      expect((await create(headers, person())).statusCode).toBe(401);
    });
  });
}
