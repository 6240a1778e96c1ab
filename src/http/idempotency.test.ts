import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const PASSWORD = 'Correct-Horse-Battery-91';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Idempotency-Key answers belong to one credential (M4)`, () => {
    let t: TestApp;
    beforeAll(async () => {
      // No auth cache: a role change shows at the next request.
      t = await createTestApp(dialect, { env: { ROSTER_AUTH_CACHE_MS: '0' } });
    });
    afterAll(async () => t?.close());

    let n = 0;
    const unique = (prefix: string) => `${prefix}${++n}x${Math.random().toString(36).slice(2, 7)}`;
    /** The two idempotent routes, each with a body that hands out a generated password. */
    const routes = [
      {
        name: 'POST /v1/users',
        url: '/v1/users',
        body: (u: string) => ({ username: u, generatePassword: true }),
        password: (json: { generatedPassword?: string }) => json.generatedPassword,
      },
      {
        name: 'POST /v1/users/batch',
        url: '/v1/users/batch',
        body: (u: string) => ({ users: [{ username: u, generatePassword: true }] }),
        password: (json: { results?: Array<{ user?: { generatedPassword?: string } }> }) => json.results?.[0]?.user?.generatedPassword,
      },
    ];
    const post = (credential: string, url: string, idempotencyKey: string, payload: object) =>
      t.request(credential, { method: 'POST', url, headers: { 'idempotency-key': idempotencyKey }, payload });
    const usersNamed = async (tenantId: string, username: string) =>
      t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).where('username', '=', username).execute();
    const storedBodies = async (tenantId: string) =>
      await t.core.database.db
        .selectFrom('idempotencyKeys')
        .select(['key', 'statusCode', 'responseBody'])
        .where('tenantId', '=', tenantId)
        .execute();
    /** A custom role of the tenant, and an API key holding it; `setPermissions` changes the role afterwards. */
    const roleKey = async (tenantId: string, permissions: string[]) => {
      const key = await t.keyWithPermissions(tenantId, permissions);
      const role = await t.core.database.db
        .selectFrom('roles')
        .select('id')
        .where('tenantId', '=', tenantId)
        .where('permissions', '=', JSON.stringify(permissions))
        .orderBy('createdAt', 'desc')
        .executeTakeFirstOrThrow();
      const setPermissions = (next: string[]) =>
        t.core.database.db
          .updateTable('roles')
          .set({ permissions: JSON.stringify(next) })
          .where('id', '=', role.id)
          .execute();
      return { key, setPermissions };
    };
    const login = async (slug: string, username: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'x-roster-tenant': slug },
          payload: { login: username, password: PASSWORD },
        })
      ).json().token as string;

    for (const route of routes) {
      it(`${route.name}: another credential with the same key gets no replay: refused if it may not create, its own answer if it may`, async () => {
        const { tenantId, slug, key: admin } = await t.tenantWithKey();
        const helpdesk = (await roleKey(tenantId, ['users:read', 'users:update'])).key;
        const otherAdmin = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
        await post(admin, '/v1/users', unique('k'), { username: 'boss', password: PASSWORD, roles: ['admin'] });
        const bossSession = await login(slug, 'boss');
        const username = unique('genpw');
        const idem = `onboarding-${username}`;

        const first = await post(admin, route.url, idem, route.body(username));
        expect(first.statusCode).toBeLessThan(300);
        expect(route.password(first.json())).toMatch(/^[A-Za-z0-9]{24,}$/);

        const stolen = await post(helpdesk, route.url, idem, route.body(username));
        expect(stolen.statusCode).toBe(403);
        expect(stolen.headers['idempotent-replayed']).toBeUndefined();
        expect(stolen.body).not.toContain(route.password(first.json()));

        // Credentials that may create run the request themselves: the user exists, so the answer says so.
        for (const credential of [otherAdmin, bossSession, t.platformKey]) {
          const own = await t.request(credential, {
            method: 'POST',
            url: route.url,
            tenant: credential === t.platformKey ? slug : undefined,
            headers: { 'idempotency-key': idem },
            payload: route.body(username),
          });
          expect(own.headers['idempotent-replayed']).toBeUndefined();
          expect(own.body).not.toContain(route.password(first.json()));
          if (route.url === '/v1/users') expect([own.statusCode, own.json().code]).toEqual([409, 'USER_USERNAME_TAKEN']);
          else expect(own.json()).toMatchObject({ created: 0, failed: 1 });
        }
        expect(await usersNamed(tenantId, username)).toHaveLength(1);
      });

      it(`${route.name}: a credential cannot pre-claim a key: its 403 is not stored and does not block the real request`, async () => {
        const { tenantId, key: admin } = await t.tenantWithKey();
        const reader = (await roleKey(tenantId, ['users:read'])).key;
        const creator = (await roleKey(tenantId, ['users:create', 'users:read'])).key;
        const username = unique('victim');
        const idem = `hr-sync-${username}`;
        expect((await post(reader, route.url, idem, route.body(username))).statusCode).toBe(403);
        // Another credential claiming the same key with another body is not a mismatch for the admin either.
        expect((await post(creator, route.url, idem, route.body(unique('other')))).statusCode).toBeLessThan(300);
        const real = await post(admin, route.url, idem, route.body(username));
        expect(real.statusCode).toBeLessThan(300);
        expect(real.headers['idempotent-replayed']).toBeUndefined();
        expect(await usersNamed(tenantId, username)).toHaveLength(1);
        // No 403 was kept: only the two answers that created users are stored.
        expect((await storedBodies(tenantId)).map((r) => r.statusCode).sort()).toEqual(route.url === '/v1/users' ? [201, 201] : [200, 200]);
      });

      it(`${route.name}: the same credential gets the replay only while it holds the permissions it had, and a 403 of its own is not replayed`, async () => {
        const { tenantId } = await t.tenantWithKey();
        const creator = await roleKey(tenantId, ['users:create', 'users:read']);
        const username = unique('perm');
        const idem = `create-${username}`;
        const first = await post(creator.key, route.url, idem, route.body(username));
        expect(first.statusCode).toBeLessThan(300);

        await creator.setPermissions(['users:create', 'users:read', 'events:read']);
        const replay = await post(creator.key, route.url, idem, route.body(username));
        expect([replay.statusCode, replay.headers['idempotent-replayed']]).toEqual([first.statusCode, 'true']);

        await creator.setPermissions(['users:read']);
        const refused = await post(creator.key, route.url, idem, route.body(username));
        expect(refused.statusCode).toBe(403);
        expect(refused.headers['idempotent-replayed']).toBeUndefined();
        expect(refused.json().code).toBe('PERMISSION_DENIED');

        // A 403 answered to this credential is not stored: once allowed, its retry runs.
        const later = unique('later');
        expect((await post(creator.key, route.url, `create-${later}`, route.body(later))).statusCode).toBe(403);
        await creator.setPermissions(['users:create', 'users:read']);
        const retried = await post(creator.key, route.url, `create-${later}`, route.body(later));
        expect(retried.statusCode).toBeLessThan(300);
        expect(retried.headers['idempotent-replayed']).toBeUndefined();
        expect(await usersNamed(tenantId, later)).toHaveLength(1);
      });

      it(`${route.name}: a generated password is never stored in clear, and its replay leaves it out, saying so`, async () => {
        const { tenantId, slug, key: admin } = await t.tenantWithKey();
        const username = unique('secret');
        const idem = `gen-${username}`;
        const first = await post(admin, route.url, idem, route.body(username));
        const generated = route.password(first.json()) as string;
        expect(generated).toMatch(/^[A-Za-z0-9]{24,}$/);
        const stored = await storedBodies(tenantId);
        expect(stored).toHaveLength(1);
        expect(stored[0]?.responseBody).not.toContain(generated);
        expect(stored[0]?.responseBody).not.toContain('generatedPassword');

        const replay = await post(admin, route.url, idem, route.body(username));
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.headers['idempotent-omitted']).toBe('generatedPassword');
        expect(replay.body).not.toContain(generated);
        const { generatedPassword: _a, ...firstUser } = route.url === '/v1/users' ? first.json() : first.json().results[0].user;
        expect(route.url === '/v1/users' ? replay.json() : replay.json().results[0].user).toEqual(firstUser);
        // The password handed out the first time is the user's.
        const session = await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'x-roster-tenant': slug },
          payload: { login: username, password: generated },
        });
        expect(session.statusCode).toBe(201);
      });
    }
  });
}
