import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: users API`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const post = (key: string, body: unknown) => t.request(key, { method: 'POST', url: '/v1/users', payload: body as object });
    let n = 0;
    const unique = (prefix = 'u') => `${prefix}${++n}x${Math.random().toString(36).slice(2, 7)}`;

    describe('POST /v1/users', () => {
      it('should create a user with every field and answer 201 with Location and ETag', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        for (const definition of [
          { key: 'team', type: 'string' },
          { key: 'level', type: 'integer' },
          { key: 'tags', type: 'string-list' },
        ]) {
          expect((await t.request(key, { method: 'POST', url: '/v1/attributes', payload: definition })).statusCode).toBe(201);
        }
        const office = (
          await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'office', code: 'LON', name: 'London' } })
        ).json();
        const name = unique();
        const res = await post(key, {
          email: `${name}@Example.COM`,
          username: name,
          password: 'correct horse battery',
          givenName: 'Ada',
          familyName: 'Lovelace',
          displayName: 'Ada L.',
          nickname: 'ada',
          bio: 'Analyst',
          phone: '+44 20 7946 0958',
          locale: 'en-gb',
          timezone: 'Europe/London',
          address: {
            type: 'work',
            street: '1 Main St',
            city: 'London',
            state: 'LDN',
            postalCode: 'N1',
            county: 'Greater London',
            country: 'gb',
          },
          active: true,
          emailVerified: true,
          requirePasswordChange: true,
          roles: ['admin', 'user'],
          externalId: 'hr-42',
          attributes: { team: 'math', level: 3, tags: ['a'] },
          position: 'Analyst',
          arrivalDate: '2024-01-15',
          departureDate: '2025-06-30T17:00:00Z',
          dateOfBirth: '1815-12-10',
          cityOfBirth: 'London',
          countryOfBirth: 'gb',
          groups: ['office:LON'],
        });
        expect(res.statusCode).toBe(201);
        const user = res.json();
        expect(res.headers.location).toBe(`/v1/users/${user.id}`);
        expect(res.headers.etag).toBe('"1"');
        expect(user).toMatchObject({
          tenantId,
          seq: 1,
          email: `${name}@example.com`,
          username: name,
          givenName: 'Ada',
          familyName: 'Lovelace',
          displayName: 'Ada L.',
          nickname: 'ada',
          bio: 'Analyst',
          phone: '+442079460958',
          locale: 'en-GB',
          timezone: 'Europe/London',
          address: {
            type: 'work',
            street: '1 Main St',
            city: 'London',
            state: 'LDN',
            postalCode: 'N1',
            county: 'Greater London',
            country: 'GB',
          },
          active: true,
          emailVerified: true,
          requirePasswordChange: true,
          hasPassword: true,
          roles: ['admin', 'user'],
          externalId: 'hr-42',
          attributes: { team: 'math', level: 3, tags: ['a'] },
          position: 'Analyst',
          arrivalDate: '2024-01-15',
          departureDate: '2025-06-30',
          dateOfBirth: '1815-12-10',
          cityOfBirth: 'London',
          countryOfBirth: 'GB',
          groups: [{ id: office.id, type: 'office', code: 'LON', name: 'London' }],
          version: 1,
        });
        expect(user.permissions).toEqual(expect.arrayContaining(['users:create', 'users:read', 'settings:manage']));
        expect(user.createdBy).toMatch(/^api_key:/);
        expect(user).not.toHaveProperty('password');
        expect(user).not.toHaveProperty('passwordHash');
        expect(res.body).not.toContain('argon2');
        const fetched = await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` });
        expect(fetched.json()).toEqual(user);
      });

      it('should apply defaults: active, unverified, role user, tenant locale and timezone', async () => {
        const { key } = await t.tenantWithKey();
        const res = await post(key, { email: `${unique()}@example.com` });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({
          active: true,
          emailVerified: false,
          requirePasswordChange: false,
          hasPassword: false,
          roles: ['user'],
          locale: 'en',
          timezone: 'UTC',
          username: null,
          attributes: {},
        });
      });

      it('should give consecutive seq numbers per tenant', async () => {
        const { key } = await t.tenantWithKey();
        const a = (await post(key, { email: `${unique()}@example.com` })).json();
        const b = (await post(key, { email: `${unique()}@example.com` })).json();
        expect([a.seq, b.seq]).toEqual([1, 2]);
      });

      it('should store the password as an argon2id hash that verifies', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const user = (await post(key, { username: unique(), password: 'correct horse battery' })).json();
        const row = await t.core.database.db
          .selectFrom('users')
          .select('passwordHash')
          .where('tenantId', '=', tenantId)
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow();
        expect(row.passwordHash).toMatch(/^\$argon2id\$/);
        const { verify } = await import('@node-rs/argon2');
        expect(await verify(row.passwordHash as string, 'correct horse battery')).toBe(true);
      });

      it.each([
        ['email', { email: 'not-an-email' }, '/email', 'EMAIL_INVALID'],
        ['email with display name', { email: 'Ada <ada@example.com>' }, '/email', 'EMAIL_INVALID'],
        ['username', { username: 'has space' }, '/username', 'USERNAME_INVALID'],
        ['password too short', { username: 'pw-short', password: 'short' }, '/password', 'PASSWORD_TOO_SHORT'],
        ['password over 256 bytes', { username: 'pw-long', password: 'é'.repeat(129) }, '/password', 'PASSWORD_TOO_LONG'],
        ['phone', { username: 'ph', phone: '12345' }, '/phone', 'PHONE_INVALID'],
        ['locale', { username: 'lc', locale: 'not a locale!' }, '/locale', 'LOCALE_INVALID'],
        ['timezone', { username: 'tz', timezone: 'Mars/Olympus' }, '/timezone', 'TIMEZONE_INVALID'],
        ['country', { username: 'ct', address: { country: 'QQ' } }, '/address/country', 'COUNTRY_INVALID'],
        ['role', { username: 'rl', roles: ['superhero'] }, '/roles/0', 'ROLE_UNKNOWN'],
        ['identifier', { givenName: 'Nobody' }, '/email', 'IDENTIFIER_REQUIRED'],
        ['unknown field', { username: 'uf', favouriteColour: 'blue' }, '/favouriteColour', 'FIELD_UNKNOWN'],
        ['client-sent id', { username: 'id', id: '0190a3d2-0000-7000-8000-000000000000' }, '/id', 'FIELD_READ_ONLY'],
        ['number for a string', { email: 42 }, '/email', 'FIELD_TYPE'],
        ['string for a boolean', { username: 'sb', active: 'true' }, '/active', 'FIELD_TYPE'],
        ['givenName too long', { username: 'gl', givenName: 'x'.repeat(201) }, '/givenName', 'FIELD_TOO_LONG'],
        ['attributes not an object', { username: 'at', attributes: [1, 2] }, '/attributes', 'FIELD_TYPE'],
        ['unknown address member', { username: 'ad', address: { planet: 'Mars' } }, '/address/planet', 'FIELD_UNKNOWN'],
      ])('should reject an invalid %s with 400 and the field code', async (_name, body, path, code) => {
        const { key } = await t.tenantWithKey();
        const res = await post(key, body);
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        const problem = res.json();
        expect(problem).toMatchObject({
          status: 400,
          code: 'VALIDATION_FAILED',
          title: expect.any(String),
          type: expect.any(String),
          requestId: expect.any(String),
        });
        expect(problem.errors).toContainEqual(expect.objectContaining({ path, code }));
      });

      it.each([
        ['email', 321],
        ['username', 257],
        ['password', 1025],
        ['givenName', 201],
        ['familyName', 201],
        ['displayName', 201],
        ['nickname', 201],
        ['bio', 4001],
        ['phone', 65],
        ['locale', 36],
        ['timezone', 65],
        ['externalId', 257],
      ])('should bound %s to its maximum length and type', async (field, over) => {
        const { key } = await t.tenantWithKey();
        const long = await post(key, { username: unique(), [field]: 'x'.repeat(over) });
        expect(long.json().errors).toContainEqual(expect.objectContaining({ path: `/${field}`, code: 'FIELD_TOO_LONG' }));
        const wrongType = await post(key, { username: unique(), [field]: 12 });
        expect(wrongType.json().errors).toContainEqual(expect.objectContaining({ path: `/${field}`, code: 'FIELD_TYPE' }));
      });

      it.each(['active', 'emailVerified', 'requirePasswordChange'])('should refuse a non-boolean %s', async (field) => {
        const { key } = await t.tenantWithKey();
        const res = await post(key, { username: unique(), [field]: 1 });
        expect(res.json().errors).toContainEqual(expect.objectContaining({ path: `/${field}`, code: 'FIELD_TYPE' }));
      });

      it('should refuse roles that are not a list of names, and more than 50', async () => {
        const { key } = await t.tenantWithKey();
        expect((await post(key, { username: unique(), roles: 'admin' })).json().errors[0]).toMatchObject({
          path: '/roles',
          code: 'FIELD_TYPE',
        });
        expect((await post(key, { username: unique(), roles: Array(51).fill('user') })).json().errors[0]).toMatchObject({
          path: '/roles',
          code: 'FIELD_TOO_LONG',
        });
      });

      it('should list every field error of a request at once', async () => {
        const { key } = await t.tenantWithKey();
        const res = await post(key, {
          email: 'bad',
          username: 'bad name',
          password: 'short',
          phone: 'x',
          locale: '!!',
          timezone: 'Nowhere/City',
          roles: ['nope'],
        });
        expect(res.statusCode).toBe(400);
        expect(
          res
            .json()
            .errors.map((e: { code: string }) => e.code)
            .sort(),
        ).toEqual([
          'EMAIL_INVALID',
          'LOCALE_INVALID',
          'PASSWORD_TOO_SHORT',
          'PASSWORD_TOO_WEAK',
          'PHONE_INVALID',
          'ROLE_UNKNOWN',
          'TIMEZONE_INVALID',
          'USERNAME_INVALID',
        ]);
      });

      it('should reject a duplicate email in any letter case with 409 USER_EMAIL_TAKEN', async () => {
        const { key } = await t.tenantWithKey();
        const name = unique();
        expect((await post(key, { email: `${name}@example.com` })).statusCode).toBe(201);
        const res = await post(key, { email: `${name.toUpperCase()}@EXAMPLE.com` });
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 'USER_EMAIL_TAKEN', errors: [{ path: '/email', code: 'EMAIL_TAKEN' }] });
      });

      it('should reject a duplicate username in any letter case or width with 409 USER_USERNAME_TAKEN', async () => {
        const { key } = await t.tenantWithKey();
        expect((await post(key, { username: 'Admin.Ops' })).statusCode).toBe(201);
        for (const lookalike of ['admin.ops', 'ＡＤＭＩＮ.ops', '\u0410dmin.ops']) {
          const res = await post(key, { username: lookalike });
          expect(res.statusCode).toBe(409);
          expect(res.json().code).toBe('USER_USERNAME_TAKEN');
        }
        // Invisible characters fail the default pattern, so they cannot shadow a name either.
        expect((await post(key, { username: 'ad\u200Bmin.ops' })).json().errors[0].code).toBe('USERNAME_INVALID');
      });

      it("should refuse a username equal to another user's email, and the reverse", async () => {
        const { key } = await t.tenantWithKey();
        const settings = await t.request(key, {
          method: 'PATCH',
          url: '/v1/settings',
          payload: { username: { pattern: '^[\\p{L}\\p{N}._@+-]{3,254}$' } },
        });
        expect(settings.statusCode).toBe(200);
        const name = unique();
        expect((await post(key, { email: `${name}@example.com` })).statusCode).toBe(201);
        const res = await post(key, { username: `${name}@Example.com` });
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 'USER_USERNAME_TAKEN', errors: [{ path: '/username', code: 'USERNAME_TAKEN' }] });

        const other = unique();
        expect((await post(key, { username: `${other}@example.org` })).statusCode).toBe(201);
        expect((await post(key, { email: `${other}@example.org` })).json().code).toBe('USER_EMAIL_TAKEN');
      });

      it('should make the email the username in email-as-username mode', async () => {
        const { key } = await t.tenantWithKey();
        await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { username: { emailAsUsername: true } } });
        const email = `${unique()}@Example.com`;
        const res = await post(key, { email });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({ email: email.replace('Example', 'example'), username: email.replace('Example', 'example') });
        expect((await post(key, { email: `${unique()}@example.com`, username: 'someone-else' })).json().errors[0].code).toBe(
          'USERNAME_MUST_BE_EMAIL',
        );
      });

      it('should allow the same email in two tenants', async () => {
        const a = await t.tenantWithKey();
        const b = await t.tenantWithKey();
        const email = `${unique()}@example.com`;
        expect((await post(a.key, { email })).statusCode).toBe(201);
        expect((await post(b.key, { email })).statusCode).toBe(201);
      });
    });

    describe('authentication and permissions', () => {
      it('should answer 401 without a key, with an unknown key and with a revoked key', async () => {
        const { key, slug } = await t.tenantWithKey();
        for (const auth of [undefined, 'rst_' + 'x'.repeat(48), 'Basic abc']) {
          const res = await t.request(undefined, {
            method: 'GET',
            url: '/v1/users',
            headers: auth ? { authorization: auth.startsWith('Basic') ? auth : `Bearer ${auth}` } : {},
          });
          expect(res.statusCode).toBe(401);
          expect(res.json().code).toBe('UNAUTHENTICATED');
        }
        const keys = (await t.request(key, { method: 'GET', url: '/v1/api-keys' })).json().data;
        const revoked = await t.request(t.platformKey, { method: 'DELETE', url: `/v1/api-keys/${keys[0].id}`, tenant: slug });
        expect(revoked.statusCode).toBe(204);
        expect((await t.request(key, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
      });

      it('should answer 403 PERMISSION_DENIED to a key whose role lacks the permission', async () => {
        const { key } = await t.tenantWithKey('user');
        const res = await post(key, { email: `${unique()}@example.com` });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ code: 'PERMISSION_DENIED', permission: 'users:create' });
        expect((await t.request(key, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      });

      it('should let a platform key act on a tenant named by slug or id, and require the header', async () => {
        const { slug, tenantId } = await t.tenantWithKey();
        expect(
          (
            await t.request(t.platformKey, {
              method: 'POST',
              url: '/v1/users',
              tenant: slug,
              payload: { email: `${unique()}@example.com` },
            })
          ).statusCode,
        ).toBe(201);
        expect((await t.request(t.platformKey, { method: 'GET', url: '/v1/users', tenant: tenantId })).json().data).toHaveLength(1);
        const missing = await t.request(t.platformKey, { method: 'GET', url: '/v1/users' });
        expect(missing.statusCode).toBe(400);
        expect(missing.json().code).toBe('TENANT_REQUIRED');
        const unknown = await t.request(t.platformKey, { method: 'GET', url: '/v1/users', tenant: 'no-such-tenant' });
        expect(unknown.statusCode).toBe(404);
        expect(unknown.json().code).toBe('TENANT_NOT_FOUND');
      });

      it('should need users:set-active to create an inactive user', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
        const denied = await post(creator, { username: unique(), active: false });
        expect([denied.statusCode, denied.json().permission]).toEqual([403, 'users:set-active']);
        expect((await post(creator, { username: unique() })).statusCode).toBe(201);
        expect((await post(key, { username: unique(), active: false })).json()).toMatchObject({ active: false });
      });
    });

    describe('tenant isolation', () => {
      it("should hide tenant A's users from a key of tenant B: 404 on read, update and delete, absent from lists", async () => {
        const a = await t.tenantWithKey();
        const b = await t.tenantWithKey();
        const email = `${unique()}@example.com`;
        const user = (await post(a.key, { email, externalId: 'shared-ext' })).json();
        for (const [method, payload] of [
          ['GET', undefined],
          ['PATCH', { displayName: 'x' }],
          ['DELETE', undefined],
        ] as const) {
          const res = await t.request(b.key, { method, url: `/v1/users/${user.id}`, ...(payload ? { payload } : {}) });
          expect(res.statusCode).toBe(404);
          expect(res.json().code).toBe('USER_NOT_FOUND');
        }
        expect((await t.request(b.key, { method: 'GET', url: '/v1/users' })).json().data).toEqual([]);
        expect((await t.request(b.key, { method: 'GET', url: `/v1/users?email=${encodeURIComponent(email)}` })).json().data).toEqual([]);
        expect((await t.request(b.key, { method: 'GET', url: '/v1/users?externalId=shared-ext' })).json().data).toEqual([]);
        const spoof = await t.request(b.key, { method: 'GET', url: `/v1/users/${user.id}`, tenant: a.slug });
        expect(spoof.statusCode).toBe(403);
        expect(spoof.json().code).toBe('TENANT_ACCESS_DENIED');
        expect((await t.request(a.key, { method: 'GET', url: `/v1/users/${user.id}` })).statusCode).toBe(200);
      });
    });

    describe('GET /v1/users', () => {
      it('should page with a cursor and filter by email, username, externalId and active, case-insensitively', async () => {
        const { key } = await t.tenantWithKey();
        const created = [];
        for (let i = 0; i < 5; i++)
          created.push(
            (await post(key, { email: `p${i}@example.com`, username: `P.User${i}`, externalId: `ext-${i}`, active: i !== 4 })).json(),
          );
        const first = (await t.request(key, { method: 'GET', url: '/v1/users?limit=2' })).json();
        expect(first.data.map((u: { id: string }) => u.id)).toEqual([created[0].id, created[1].id]);
        const second = (await t.request(key, { method: 'GET', url: `/v1/users?limit=2&cursor=${first.nextCursor}` })).json();
        expect(second.data.map((u: { id: string }) => u.id)).toEqual([created[2].id, created[3].id]);
        const third = (await t.request(key, { method: 'GET', url: `/v1/users?limit=2&cursor=${second.nextCursor}` })).json();
        expect(third.data).toHaveLength(1);
        expect(third.nextCursor).toBeNull();

        const byEmail = (await t.request(key, { method: 'GET', url: '/v1/users?email=P3@EXAMPLE.COM' })).json();
        expect(byEmail.data.map((u: { id: string }) => u.id)).toEqual([created[3].id]);
        const byUsername = (await t.request(key, { method: 'GET', url: '/v1/users?username=p.user2' })).json();
        expect(byUsername.data.map((u: { id: string }) => u.id)).toEqual([created[2].id]);
        // externalId is unique per tenant (user.external-id.test.ts): the filter finds one user.
        expect(
          (await t.request(key, { method: 'GET', url: '/v1/users?externalId=ext-1' })).json().data.map((u: { id: string }) => u.id),
        ).toEqual([created[1].id]);
        const inactive = (await t.request(key, { method: 'GET', url: '/v1/users?active=false' })).json();
        expect(inactive.data.map((u: { id: string }) => u.id)).toEqual([created[4].id]);
      });

      it('should search by email or username prefix (q) and by name prefix (name), case-insensitively, wildcards as text', async () => {
        const { key } = await t.tenantWithKey();
        const ids: Record<string, string> = {};
        for (const [email, username, givenName, familyName] of [
          ['zara.k@acme.com', 'zkim', 'Zara', 'Kim'],
          ['zed@acme.com', 'zed_1', 'Zed', 'Ortiz'],
          ['bob@acme.com', 'bobby', 'Bob', 'Zamora'],
          ['x_y@acme.com', 'xylo', 'Ann', 'Lee'],
        ] as const)
          ids[username] = (await post(key, { email, username, givenName, familyName })).json().id;
        const search = async (query: string) =>
          ((await t.request(key, { method: 'GET', url: `/v1/users?${query}` })).json().data as Array<{ id: string }>)
            .map((u) => u.id)
            .sort();
        expect(await search('q=ZA')).toEqual([ids.zkim]); // zara.k@ by email; Zamora is a name, not an identifier
        expect(await search('q=zed')).toEqual([ids.zed_1]);
        expect(await search('q=bobb')).toEqual([ids.bobby]);
        expect(await search('q=x_')).toEqual([ids.xylo]);
        expect(await search('q=x%25')).toEqual([]); // "%" is a character, not a wildcard
        expect(await search('q=nobody')).toEqual([]);
        expect(await search('name=ZA')).toEqual([ids.zkim, ids.bobby].sort()); // Zara (given), Zamora (family)
        expect(await search('name=z_')).toEqual([]);
        expect(await search('name=k&q=zar')).toEqual([ids.zkim]);
        const paged = (await t.request(key, { method: 'GET', url: '/v1/users?q=z&limit=1' })).json();
        expect(paged.data).toHaveLength(1);
        expect(paged.nextCursor).not.toBeNull();
      });

      it('should page a search whose prefix matches thousands of identifiers in id order', async () => {
        const { key } = await t.tenantWithKey();
        for (let b = 0; b < 3; b++) {
          const users = Array.from({ length: 1000 }, (_, i) => ({ email: `dense${b * 1000 + i}@acme.com` }));
          expect((await t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { users } })).json().created).toBe(1000);
        }
        const first = (await t.request(key, { method: 'GET', url: '/v1/users?q=dense&limit=3' })).json();
        expect(first.data.map((u: { email: string }) => u.email)).toEqual(['dense0@acme.com', 'dense1@acme.com', 'dense2@acme.com']);
        const next = (await t.request(key, { method: 'GET', url: `/v1/users?q=dense&limit=3&cursor=${first.nextCursor}` })).json();
        expect(next.data.map((u: { email: string }) => u.email)).toEqual(['dense3@acme.com', 'dense4@acme.com', 'dense5@acme.com']);
        const one = (await t.request(key, { method: 'GET', url: '/v1/users?q=dense2999@' })).json();
        expect(one.data.map((u: { email: string }) => u.email)).toEqual(['dense2999@acme.com']);
      });

      it('should reject a bad limit and a forged cursor with 400', async () => {
        const { key } = await t.tenantWithKey();
        const limit = await t.request(key, { method: 'GET', url: '/v1/users?limit=1000' });
        expect(limit.statusCode).toBe(400);
        expect(limit.json().errors[0]).toMatchObject({ path: '/limit', code: 'FIELD_OUT_OF_RANGE', location: 'query' });
        expect((await t.request(key, { method: 'GET', url: '/v1/users?cursor=bm9wZQ' })).json().code).toBe('VALIDATION_FAILED');
      });
    });

    describe('PATCH /v1/users/:id', () => {
      it('should merge the patch, remove members set to null and bump version and ETag', async () => {
        const { key } = await t.tenantWithKey();
        for (const k of ['a', 'b', 'c'])
          await t.request(key, { method: 'POST', url: '/v1/attributes', payload: { key: k, type: 'string' } });
        const user = (
          await post(key, {
            username: unique(),
            phone: '+14155550132',
            attributes: { a: 'one', b: 'two' },
            address: { city: 'Paris', country: 'FR' },
          })
        ).json();
        const res = await t.request(key, {
          method: 'PATCH',
          url: `/v1/users/${user.id}`,
          headers: { 'content-type': 'application/merge-patch+json' },
          payload: JSON.stringify({
            phone: null,
            displayName: 'New Name',
            attributes: { b: null, c: 'three' },
            address: { city: null },
            roles: ['admin'],
          }),
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers.etag).toBe('"2"');
        expect(res.json()).toMatchObject({
          phone: null,
          displayName: 'New Name',
          attributes: { a: 'one', c: 'three' },
          address: { country: 'FR' },
          roles: ['admin'],
          version: 2,
        });
        expect(res.json().attributes).not.toHaveProperty('b');
      });

      it('should answer 412 when If-Match does not carry the current ETag', async () => {
        const { key } = await t.tenantWithKey();
        const user = (await post(key, { username: unique() })).json();
        const ok = await t.request(key, {
          method: 'PATCH',
          url: `/v1/users/${user.id}`,
          headers: { 'if-match': '"1"' },
          payload: { nickname: 'first' },
        });
        expect(ok.statusCode).toBe(200);
        const stale = await t.request(key, {
          method: 'PATCH',
          url: `/v1/users/${user.id}`,
          headers: { 'if-match': '"1"' },
          payload: { nickname: 'second' },
        });
        expect(stale.statusCode).toBe(412);
        expect(stale.json().code).toBe('USER_VERSION_MISMATCH');
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().nickname).toBe('first');
      });

      it('should check a changed email with the same rules and uniqueness', async () => {
        const { key } = await t.tenantWithKey();
        const taken = `${unique()}@example.com`;
        await post(key, { email: taken });
        const user = (await post(key, { email: `${unique()}@example.com` })).json();
        const bad = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { email: 'broken' } });
        expect(bad.json().errors[0].code).toBe('EMAIL_INVALID');
        const dup = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { email: taken.toUpperCase() } });
        expect(dup.statusCode).toBe(409);
        expect(dup.json().code).toBe('USER_EMAIL_TAKEN');
        const moved = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { email: `${unique()}@example.net` } });
        expect(moved.statusCode).toBe(200);
        // The old address is free again.
        expect((await post(key, { email: user.email })).statusCode).toBe(201);
      });

      it('should need users:set-active to change active', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const user = (await post(key, { username: unique() })).json();
        const editor = await t.keyWithPermissions(tenantId, ['users:read', 'users:update']);
        expect((await t.request(editor, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { nickname: 'ok' } })).statusCode).toBe(
          200,
        );
        expect((await t.request(editor, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { active: false } })).json().code).toBe(
          'PERMISSION_DENIED',
        );
        const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { active: false } });
        expect(res.json().active).toBe(false);
      });

      it('should replace the password hash when a password is sent', async () => {
        const { key } = await t.tenantWithKey();
        const user = (await post(key, { username: unique() })).json();
        const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { password: 'a much better secret' } });
        expect(res.json().hasPassword).toBe(true);
        expect(res.body).not.toContain('a much better secret');
      });
    });

    describe('DELETE /v1/users/:id', () => {
      it('should soft-delete: 204, then 404, absent from lists, row kept, email and username free again', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const email = `${unique()}@example.com`;
        const user = (await post(key, { email, username: 'keepme' })).json();
        expect((await t.request(key, { method: 'DELETE', url: `/v1/users/${user.id}` })).statusCode).toBe(204);
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).statusCode).toBe(404);
        expect((await t.request(key, { method: 'DELETE', url: `/v1/users/${user.id}` })).statusCode).toBe(404);
        expect((await t.request(key, { method: 'GET', url: '/v1/users' })).json().data).toEqual([]);
        const row = await t.core.database.db
          .selectFrom('users')
          .select(['deletedAt'])
          .where('tenantId', '=', tenantId)
          .where('id', '=', user.id)
          .executeTakeFirst();
        expect(row?.deletedAt).not.toBeNull();
        const again = await post(key, { email: email.toUpperCase(), username: 'KeepMe' });
        expect(again.statusCode).toBe(201);
        expect(again.json().id).not.toBe(user.id);
      });
    });

    describe('request errors', () => {
      it('should answer malformed JSON, wrong content type, oversized body and unknown route as problem documents', async () => {
        const { key } = await t.tenantWithKey();
        const malformed = await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          headers: { 'content-type': 'application/json' },
          payload: '{"email":',
        });
        expect([malformed.statusCode, malformed.json().code]).toEqual([400, 'MALFORMED_JSON']);
        const wrongType = await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          headers: { 'content-type': 'text/csv' },
          payload: 'a,b',
        });
        expect([wrongType.statusCode, wrongType.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
        const plain = await t.request(key, { method: 'POST', url: '/v1/users', headers: { 'content-type': 'text/plain' }, payload: '{}' });
        expect(plain.statusCode).toBe(415);
        const huge = await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ bio: 'x'.repeat(2_000_000) }),
        });
        expect([huge.statusCode, huge.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
        const proto = await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          headers: { 'content-type': 'application/json' },
          payload: '{"username":"pp","__proto__":{"admin":true}}',
        });
        expect(proto.statusCode).toBe(400);
        const route = await t.request(key, { method: 'GET', url: '/v1/nothing-here' });
        expect([route.statusCode, route.json().code]).toEqual([404, 'ROUTE_NOT_FOUND']);
        for (const res of [malformed, wrongType, huge, proto, route])
          expect(res.headers['content-type']).toContain('application/problem+json');
      });

      it('should never write a password, hash or API key to the log', async () => {
        const { key } = await t.tenantWithKey();
        const password = 'log-canary-password-123';
        const user = (await post(key, { username: unique(), password })).json();
        await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { password: `${password}-2` } });
        await post(key, { username: 'bad name', password });
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          headers: { 'content-type': 'application/json' },
          payload: `{"password":"${password}"`,
        });
        const logs = t.logs.lines.join('\n');
        expect(logs).toContain('request completed');
        expect(logs).not.toContain(password);
        expect(logs).not.toContain('$argon2id$');
        expect(logs).not.toContain(key);
        expect(logs).not.toContain(t.platformKey);
      });
    });
  });
}
