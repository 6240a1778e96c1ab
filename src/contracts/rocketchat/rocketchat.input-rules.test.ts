import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, problems, rocketChatSeed } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 19 items 4, 6 and 9 on Rocket.Chat's users.create: markup in names, a blank required name,
// unknown members; every error in the seed's 400 shape, echoing no input unescaped.
const seed = rocketChatSeed();
const validBadRequest = compile(seed.responses['400'] as object);
const PASSWORD = 'correct horse battery staple';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rocket.Chat users.create input rules`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let admin: { 'x-user-id': string; 'x-auth-token': string };
    let n = 0;
    const unique = () => `rci${++n}x${Math.random().toString(36).slice(2, 7)}`;

    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      const username = unique();
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username, email: `${username}@acme.com`, password: PASSWORD, roles: ['admin'] },
      });
      const res = await t.request(undefined, {
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        tenant: tenant.slug,
        payload: { user: username, password: PASSWORD },
      });
      admin = { 'x-user-id': res.json().data.userId, 'x-auth-token': res.json().data.authToken };
    });
    afterAll(async () => t?.close());

    const create = (body: unknown) =>
      t.request(undefined, { method: 'POST', url: '/compat/rocketchat/api/v1/users.create', headers: admin, payload: body as object });
    const person = (extra: Record<string, unknown> = {}) => {
      const username = unique();
      return { name: 'Test User', email: `${username}@acme.com`, password: 'anypassyouwant-but-long', username, ...extra };
    };
    const stored = async (username: string) =>
      (await t.request(tenant.key, { method: 'GET', url: `/v1/users?username=${username}` })).json().data as unknown[];
    const expectRefused = async (body: { username: string }, errorType: string, error: string) => {
      const res = await create(body);
      expect([res.statusCode, res.json().errorType, res.json().error]).toEqual([400, errorType, error]);
      expect(problems(validBadRequest, res.json())).toEqual([]);
      expect(await stored(body.username)).toEqual([]);
      return res.json();
    };

    it('should refuse unknown members with invalid-params, as Rocket.Chat does, and create nothing', async () => {
      for (const extra of [{ isAdmin: true }, { services: { password: { bcrypt: 'x' } } }, { '<img src=x onerror=alert(1)>': 1 }]) {
        const body = await expectRefused(person(extra), 'invalid-params', 'must NOT have additional properties [invalid-params]');
        expect(JSON.stringify(body)).not.toContain('<img');
      }
      // The seed's own members are still all accepted (statusText is accepted and not stored).
      expect((await create(person({ statusText: 'On a vacation', joinDefaultChannels: true, verified: false }))).statusCode).toBe(200);
    });

    it('should refuse a blank name with error-the-field-is-required instead of putting the username there', async () => {
      for (const name of ['', '   ', '\t\n ']) {
        const body = await expectRefused(
          person({ name }),
          'error-the-field-is-required',
          'The field Name is required [error-the-field-is-required]',
        );
        expect(body.details).toEqual({ method: 'insertOrUpdateUser', field: 'Name' });
      }
      const trimmed = await create(person({ name: '  Ada Lovelace  ' }));
      expect([trimmed.statusCode, trimmed.json().user.name]).toEqual([200, 'Ada Lovelace']);
    });

    it('should refuse markup in name and nickname (plain and URL-encoded), echoing it HTML-escaped', async () => {
      for (const name of [
        '<script>alert(1)</script>',
        '</\\name>',
        '<form action="https://evil.example">',
        '%3Cscript%3E',
        '%253Cscript%253E',
      ]) {
        const res = await create(person({ name }));
        expect([name, res.statusCode, res.json().errorType, res.json().details?.field]).toEqual([
          name,
          400,
          'error-input-is-not-a-valid-field',
          'Name',
        ]);
        expect(problems(validBadRequest, res.json())).toEqual([]);
        expect(JSON.stringify(res.json())).not.toMatch(/<script|<form|<\/\\\\name/);
      }
      const script = await create(person({ name: '<script>alert(1)</script>' }));
      expect(script.json().error).toBe('&lt;script&gt;alert(1)&lt;/script&gt; is not a valid name [error-input-is-not-a-valid-field]');
      const nick = await create(person({ nickname: '<b onmouseover=x>' }));
      expect([nick.statusCode, nick.json().details?.field, nick.json().error]).toEqual([
        400,
        'Nickname',
        '&lt;b onmouseover=x&gt; is not a valid nickname [error-input-is-not-a-valid-field]',
      ]);
    });

    it('should escape usernames, emails and role names it echoes in other errors', async () => {
      const taken = person();
      expect((await create(taken)).statusCode).toBe(200);
      const badUser = await create(person({ username: '<img src=x onerror=alert(1)>' }));
      expect(badUser.json().error).toBe('&lt;img src=x onerror=alert(1)&gt; is not a valid username [error-input-is-not-a-valid-field]');
      const badEmail = await create(person({ email: '"><svg onload=alert(1)>@x' }));
      expect(badEmail.json().error).toBe('Invalid email &quot;&gt;&lt;svg onload=alert(1)&gt;@x [error-invalid-email]');
      const badRole = await create(person({ roles: ['<i>boss</i>'] }));
      expect([badRole.json().errorType, badRole.json().error]).toEqual(['error-invalid-role', expect.not.stringContaining('<i>')]);
    });

    it('should give the tenant default roles when roles is not sent', async () => {
      const plain = await create(person());
      expect(plain.json().user.roles).toEqual(['user']);
      await t.request(tenant.key, { method: 'POST', url: '/v1/roles', payload: { name: 'guest', permissions: [] } });
      expect(
        (await t.request(tenant.key, { method: 'PATCH', url: '/v1/settings', payload: { users: { defaultRoles: ['guest'] } } })).statusCode,
      ).toBe(200);
      expect((await create(person())).json().user.roles).toEqual(['guest']);
      expect((await create(person({ roles: ['user'] }))).json().user.roles).toEqual(['user']);
      await t.request(tenant.key, { method: 'PATCH', url: '/v1/settings', payload: { users: null } });
    });
  });
}
