import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: create-user policies`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    let n = 0;
    const unique = (prefix = 'u') => `${prefix}${++n}x${Math.random().toString(36).slice(2, 7)}`;
    const post = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/users', payload: body });
    const patch = (key: string, url: string, body: object) => t.request(key, { method: 'PATCH', url, payload: body });
    const settings = (key: string, body: object) => patch(key, '/v1/settings', body);
    const codesOf = (res: { json(): { errors?: Array<{ code: string }> } }) => (res.json().errors ?? []).map((e) => e.code);

    describe('settings', () => {
      it('should show every policy with its default and store a merge patch', async () => {
        const { key } = await t.tenantWithKey();
        const initial = (await t.request(key, { method: 'GET', url: '/v1/settings' })).json();
        expect(initial).toMatchObject({
          defaultLocale: 'en',
          defaultTimezone: 'UTC',
          defaultPhoneRegion: null,
          email: { blockDisposable: true, blockFreeMail: false, allowedDomains: [], deniedDomains: [] },
          username: { emailAsUsername: false, reserved: [] },
          password: { minLength: 8, maxBytes: 256, minStrength: 2, forbidCommon: true, forbidUserInfo: true, requireDigit: false },
        });
        const res = await settings(key, { defaultPhoneRegion: 'fr', email: { deniedDomains: ['Evil.COM'] }, password: { minLength: 12 } });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({
          defaultPhoneRegion: 'FR',
          email: { blockDisposable: true, deniedDomains: ['evil.com'] },
          password: { minLength: 12, minStrength: 2 },
        });
        const reset = (await settings(key, { password: null })).json();
        expect(reset.password.minLength).toBe(8);
        expect(reset.email.deniedDomains).toEqual(['evil.com']);
      });

      it('should refuse invalid settings with every error, and need settings:manage', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const bad = await settings(key, {
          defaultLocale: '!!',
          defaultPhoneRegion: 'QQ',
          username: { pattern: '([' },
          email: { allowedDomains: ['not a domain'] },
        });
        expect(bad.statusCode).toBe(400);
        expect(codesOf(bad).sort()).toEqual(['COUNTRY_INVALID', 'DOMAIN_INVALID', 'LOCALE_INVALID', 'PATTERN_INVALID']);
        const reader = await t.keyWithPermissions(tenantId, ['users:read']);
        expect((await t.request(reader, { method: 'GET', url: '/v1/settings' })).json().code).toBe('PERMISSION_DENIED');
      });
    });

    describe('email domain policy', () => {
      it('should refuse disposable domains by default, on create and on update', async () => {
        const { key } = await t.tenantWithKey();
        expect(codesOf(await post(key, { email: `${unique()}@mailinator.com` }))).toEqual(['EMAIL_DOMAIN_DISPOSABLE']);
        const user = (await post(key, { email: `${unique()}@acme.io` })).json();
        expect(codesOf(await patch(key, `/v1/users/${user.id}`, { email: `${unique()}@mailinator.com` }))).toEqual([
          'EMAIL_DOMAIN_DISPOSABLE',
        ]);
      });

      it('should refuse free-mail, non-allowed and denied domains when the tenant says so', async () => {
        const { key } = await t.tenantWithKey();
        await settings(key, { email: { blockFreeMail: true } });
        expect(codesOf(await post(key, { email: `${unique()}@gmail.com` }))).toEqual(['EMAIL_DOMAIN_FREE_MAIL']);
        await settings(key, { email: { allowedDomains: ['corp.com'], deniedDomains: ['old.corp.com'] } });
        expect(codesOf(await post(key, { email: `${unique()}@acme.io` }))).toEqual(['EMAIL_DOMAIN_NOT_ALLOWED']);
        expect(codesOf(await post(key, { email: `${unique()}@old.corp.com` }))).toEqual(['EMAIL_DOMAIN_DENIED']);
        expect((await post(key, { email: `${unique()}@eu.corp.com` })).statusCode).toBe(201);
      });
    });

    describe('username policy', () => {
      it('should refuse reserved names and their look-alikes, and the tenant list', async () => {
        const { key } = await t.tenantWithKey();
        for (const name of ['admin', 'Ａdmin', '\u0410dmin', 'ROOT'])
          expect(codesOf(await post(key, { username: name }))).toEqual(['USERNAME_RESERVED']);
        await settings(key, { username: { reserved: ['helpdesk'] } });
        expect(codesOf(await post(key, { username: 'HelpDesk' }))).toEqual(['USERNAME_RESERVED']);
      });

      it('should apply the tenant pattern on create and update', async () => {
        const { key } = await t.tenantWithKey();
        await settings(key, { username: { pattern: '^[a-z]+[0-9]{2}$' } });
        expect(codesOf(await post(key, { username: 'jdoe' }))).toEqual(['USERNAME_INVALID']);
        const user = (await post(key, { username: 'jdoe42' })).json();
        expect(codesOf(await patch(key, `/v1/users/${user.id}`, { username: 'jdoe' }))).toEqual(['USERNAME_INVALID']);
      });
    });

    describe('password policy', () => {
      it('should refuse common, weak and self-revealing passwords with their own codes', async () => {
        const { key } = await t.tenantWithKey();
        expect(codesOf(await post(key, { username: unique(), password: 'password1' }))).toEqual(['PASSWORD_COMMON']);
        expect(codesOf(await post(key, { username: unique(), password: 'aaaaaaaaaa' }))).toEqual(['PASSWORD_TOO_WEAK']);
        expect(codesOf(await post(key, { username: 'margaret', password: 'margaret-on-the-moon-1969' }))).toEqual([
          'PASSWORD_CONTAINS_USER_INFO',
        ]);
      });

      it('should apply character-class rules from the settings on create and update', async () => {
        const { key } = await t.tenantWithKey();
        await settings(key, { password: { requireDigit: true, requireSymbol: true } });
        expect(codesOf(await post(key, { username: unique(), password: 'correct horse battery' })).sort()).toEqual([
          'PASSWORD_MISSING_DIGIT',
          'PASSWORD_MISSING_SYMBOL',
        ]);
        const user = (await post(key, { username: unique(), password: 'correct-horse-7-battery' })).json();
        expect(codesOf(await patch(key, `/v1/users/${user.id}`, { password: 'plain words only here' }))).toContain(
          'PASSWORD_MISSING_DIGIT',
        );
      });

      it('should generate a password once, usable to log in, and never show it again', async () => {
        const { key, slug } = await t.tenantWithKey();
        const username = unique();
        const res = await post(key, { username, generatePassword: true });
        expect(res.statusCode).toBe(201);
        const { generatedPassword, id } = res.json();
        expect(generatedPassword).toMatch(/^[A-Za-z0-9]{24,}$/);
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${id}` })).json()).not.toHaveProperty('generatedPassword');
        const login = await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'x-roster-tenant': slug },
          payload: { login: username, password: generatedPassword },
        });
        expect(login.statusCode).toBe(201);
      });

      it('should refuse more than one way of giving a password', async () => {
        const { key } = await t.tenantWithKey();
        expect(codesOf(await post(key, { username: unique(), password: 'correct horse battery', generatePassword: true }))).toEqual([
          'PASSWORD_CONFLICT',
        ]);
      });
    });

    describe('profile fields', () => {
      it('should check dates, their order and phone regions', async () => {
        const { key } = await t.tenantWithKey();
        const bad = await post(key, {
          username: unique(),
          arrivalDate: '2024-05-01',
          departureDate: '2024-04-01',
          dateOfBirth: '2999-01-01',
          countryOfBirth: 'XX',
          phone: '06 12 34 56 78',
        });
        expect(codesOf(bad).sort()).toEqual(['COUNTRY_INVALID', 'DATE_IN_FUTURE', 'DATE_RANGE_INVALID', 'PHONE_INVALID']);
        expect(codesOf(await post(key, { username: unique(), arrivalDate: '2024-02-30' }))).toEqual(['DATE_INVALID']);
        expect((await post(key, { username: unique(), phone: '06 12 34 56 78', phoneCountry: 'FR' })).json().phone).toBe('+33612345678');
        await settings(key, { defaultPhoneRegion: 'GB' });
        expect((await post(key, { username: unique(), phone: '020 7946 0958' })).json().phone).toBe('+442079460958');
      });
    });

    describe('roles', () => {
      it('should create custom roles and report effective permissions on users', async () => {
        const { key } = await t.tenantWithKey();
        const role = await t.request(key, {
          method: 'POST',
          url: '/v1/roles',
          payload: { name: 'hr', permissions: ['users:read', 'users:create'] },
        });
        expect(role.statusCode).toBe(201);
        const user = (await post(key, { username: unique(), roles: ['hr', 'user'] })).json();
        expect(user).toMatchObject({ roles: ['hr', 'user'], permissions: ['users:create', 'users:read'] });
        expect((await t.request(key, { method: 'POST', url: '/v1/roles', payload: { name: 'hr', permissions: [] } })).json().code).toBe(
          'ROLE_NAME_TAKEN',
        );
        const roles = (await t.request(key, { method: 'GET', url: '/v1/roles' })).json().data;
        const admin = roles.find((r: { name: string }) => r.name === 'admin');
        expect((await patch(key, `/v1/roles/${admin.id}`, { permissions: [] })).json().code).toBe('ROLE_BUILTIN');
      });

      it('should not let a caller grant permissions it lacks, to a role or to a user', async () => {
        const { tenantId } = await t.tenantWithKey();
        const limited = await t.keyWithPermissions(tenantId, ['users:create', 'users:read', 'users:update', 'roles:manage']);
        const escalate = await t.request(limited, {
          method: 'POST',
          url: '/v1/roles',
          payload: { name: 'boss', permissions: ['users:delete'] },
        });
        expect([escalate.statusCode, escalate.json().permission]).toEqual([403, 'users:delete']);
        const grantAdmin = await post(limited, { username: unique(), roles: ['admin'] });
        expect(grantAdmin.statusCode).toBe(403);
        expect(grantAdmin.json().code).toBe('PERMISSION_DENIED');
        const user = (await post(limited, { username: unique() })).json();
        expect((await patch(limited, `/v1/users/${user.id}`, { roles: ['admin'] })).statusCode).toBe(403);
      });
    });

    describe('groups', () => {
      it('should add users to groups by id or type:code, join default groups, and refuse unknown ones', async () => {
        const { key } = await t.tenantWithKey();
        const mk = async (body: object) => (await t.request(key, { method: 'POST', url: '/v1/groups', payload: body })).json();
        const general = await mk({ type: 'channel', code: 'general', name: 'General', isDefault: true });
        const paris = await mk({ type: 'office', code: 'PAR', name: 'Paris' });
        const team = await mk({ type: 'team', code: 'core', name: 'Core' });
        expect(
          (await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'office', code: 'PAR', name: 'Again' } })).json()
            .code,
        ).toBe('GROUP_CODE_TAKEN');

        const user = (await post(key, { username: unique(), groups: ['office:PAR', team.id] })).json();
        expect(user.groups.map((g: { id: string }) => g.id).sort()).toEqual([general.id, paris.id, team.id].sort());
        const alone = (await post(key, { username: unique(), groups: ['office:PAR'], joinDefaultGroups: false })).json();
        expect(alone.groups.map((g: { code: string }) => g.code)).toEqual(['PAR']);
        const unknown = await post(key, { username: unique(), groups: ['office:NYC', 'nonsense'] });
        expect(unknown.json().errors).toEqual([
          expect.objectContaining({ path: '/groups/0', code: 'GROUP_UNKNOWN' }),
          expect.objectContaining({ path: '/groups/1', code: 'GROUP_UNKNOWN' }),
        ]);
        const moved = (await patch(key, `/v1/users/${user.id}`, { groups: ['team:core'] })).json();
        expect(moved.groups.map((g: { code: string }) => g.code)).toEqual(['core']);
      });
    });

    describe('attribute definitions', () => {
      it('should refuse undefined attributes, require required ones, apply defaults and check types', async () => {
        const { key } = await t.tenantWithKey();
        const define = (body: object) => t.request(key, { method: 'POST', url: '/v1/attributes', payload: body });
        expect(
          (await define({ key: 'employeeId', type: 'string', required: true, unique: true, pattern: '^E[0-9]{3,}$' })).statusCode,
        ).toBe(201);
        await define({ key: 'tier', type: 'enum', enumValues: ['gold', 'silver'], default: 'silver' });
        await define({ key: 'level', type: 'integer', min: 1, max: 10 });
        expect(codesOf(await define({ key: 'bad', type: 'enum' }))).toEqual(['FIELD_REQUIRED']);
        expect((await define({ key: 'tier', type: 'string' })).json().code).toBe('ATTRIBUTE_KEY_TAKEN');

        const missing = await post(key, { username: unique(), attributes: { favouriteColour: 'blue' } });
        expect(missing.json().errors).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ path: '/attributes/favouriteColour', code: 'ATTRIBUTE_UNKNOWN' }),
            expect.objectContaining({ path: '/attributes/employeeId', code: 'ATTRIBUTE_REQUIRED' }),
          ]),
        );
        const invalid = await post(key, { username: unique(), attributes: { employeeId: 'X1', tier: 'bronze', level: 11 } });
        expect(codesOf(invalid)).toEqual(['ATTRIBUTE_INVALID', 'ATTRIBUTE_INVALID', 'ATTRIBUTE_INVALID']);
        const user = (await post(key, { username: unique(), attributes: { employeeId: 'E100', level: 3 } })).json();
        expect(user.attributes).toEqual({ employeeId: 'E100', level: 3, tier: 'silver' });
        expect(codesOf(await patch(key, `/v1/users/${user.id}`, { attributes: { employeeId: null } }))).toEqual(['ATTRIBUTE_REQUIRED']);
      });

      it('should keep unique attribute values unique per tenant, case-insensitively, until the holder is deleted', async () => {
        const { key } = await t.tenantWithKey();
        await t.request(key, { method: 'POST', url: '/v1/attributes', payload: { key: 'badge', type: 'string', unique: true } });
        const first = (await post(key, { username: unique(), attributes: { badge: 'B-7' } })).json();
        const dup = await post(key, { username: unique(), attributes: { badge: 'b-7' } });
        expect([dup.statusCode, dup.json().code, codesOf(dup)]).toEqual([409, 'USER_ATTRIBUTE_TAKEN', ['ATTRIBUTE_TAKEN']]);
        const other = (await post(key, { username: unique(), attributes: { badge: 'B-8' } })).json();
        expect((await patch(key, `/v1/users/${other.id}`, { attributes: { badge: 'B-7' } })).statusCode).toBe(409);
        await t.request(key, { method: 'DELETE', url: `/v1/users/${first.id}` });
        expect((await patch(key, `/v1/users/${other.id}`, { attributes: { badge: 'B-7' } })).statusCode).toBe(200);
        expect((await post(key, { username: unique(), attributes: { badge: 'B-8' } })).statusCode).toBe(201);
      });

      it('should hide attributes from callers without their read permission and refuse writes without the write permission', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        await t.request(key, {
          method: 'POST',
          url: '/v1/attributes',
          payload: { key: 'salary', type: 'number', readPermission: 'settings:manage', writePermission: 'settings:manage' },
        });
        const user = (await post(key, { username: unique(), attributes: { salary: 50000 } })).json();
        expect(user.attributes).toEqual({ salary: 50000 });
        const hr = await t.keyWithPermissions(tenantId, ['users:read', 'users:create', 'users:update']);
        expect((await t.request(hr, { method: 'GET', url: `/v1/users/${user.id}` })).json().attributes).toEqual({});
        expect(codesOf(await post(hr, { username: unique(), attributes: { salary: 1 } }))).toEqual(['ATTRIBUTE_FORBIDDEN']);
      });
    });

    describe('imported hashes and login', () => {
      const login = (slug: string, body: object, ip = '127.0.0.1') =>
        t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: body, remoteAddress: ip });

      it('should store an imported hash as given, verify it at login and upgrade it to argon2id', async () => {
        const { key, slug, tenantId } = await t.tenantWithKey();
        const username = unique();
        const user = await post(key, { username, passwordHash: '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' });
        expect(user.json().hasPassword).toBe(true);
        expect((await login(slug, { login: username, password: 'wrong' })).json().code).toBe('INVALID_CREDENTIALS');
        const ok = await login(slug, { login: username.toUpperCase(), password: 'U*U' });
        expect(ok.statusCode).toBe(201);
        expect(ok.json()).toMatchObject({ token: expect.stringMatching(/^rss_/), passwordChangeRequired: false, user: { username } });
        const row = await t.core.database.db
          .selectFrom('users')
          .select('passwordHash')
          .where('tenantId', '=', tenantId)
          .where('id', '=', user.json().id)
          .executeTakeFirstOrThrow();
        expect(row.passwordHash).toMatch(/^\$argon2id\$/);
        expect((await login(slug, { login: username, password: 'U*U' })).statusCode).toBe(201);
      });

      it('should import hashes given in parts and refuse unsupported ones', async () => {
        const { key, slug } = await t.tenantWithKey();
        const email = `${unique()}@acme.io`;
        const parts = {
          algorithm: 'pbkdf2-sha256',
          salt: Buffer.from('salt').toString('hex'),
          iterations: 4096,
          value: 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a',
        };
        expect((await post(key, { email, passwordHash: parts })).statusCode).toBe(201);
        expect((await login(slug, { login: email, password: 'password' })).statusCode).toBe(201);
        expect(codesOf(await post(key, { username: unique(), passwordHash: '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/' }))).toEqual([
          'PASSWORD_HASH_UNSUPPORTED',
        ]);
      });

      it('should say when a password change is required and refuse inactive users', async () => {
        const { key, slug } = await t.tenantWithKey();
        const a = unique();
        await post(key, { username: a, password: 'correct horse battery', requirePasswordChange: true });
        expect((await login(slug, { login: a, password: 'correct horse battery' })).json().passwordChangeRequired).toBe(true);
        const b = unique();
        await post(key, { username: b, password: 'correct horse battery', active: false });
        expect((await login(slug, { login: b, password: 'correct horse battery' })).json().code).toBe('USER_INACTIVE');
      });

      it('should limit failed attempts per account with 429 and Retry-After', async () => {
        const { key, slug } = await t.tenantWithKey();
        const username = unique();
        await post(key, { username, password: 'correct horse battery' });
        for (let i = 0; i < 5; i++)
          expect((await login(slug, { login: username, password: `wrong-${i}` }, `10.0.0.${i}`)).statusCode).toBe(401);
        const blocked = await login(slug, { login: username, password: 'correct horse battery' }, '10.0.0.99');
        expect([blocked.statusCode, blocked.json().code]).toEqual([429, 'TOO_MANY_ATTEMPTS']);
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
        expect((await login(slug, { login: 'nobody-here', password: 'x' })).json().code).toBe('INVALID_CREDENTIALS');
      });
    });
  });
}
