import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantPermissions } from '../modules/roles/permissions.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

type Request = { url: string; payload?: unknown; headers?: Record<string, string> };

/**
 * The target-privilege dimension of a route that changes or deletes an existing user, key, role or
 * group membership: requests against a target holding every tenant permission (`privileged`), or
 * none (`privileged: false`, the control), and how to read the target's stored state.
 */
interface TargetCase {
  make: (privileged: boolean) => Promise<{ requests: Request[]; state: () => Promise<unknown> }>;
}
interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** As the OpenAPI document spells it. */
  path: string;
  permission: string;
  ok: number;
  /** Builds the request against tenant A (fresh resources where the call consumes one). */
  make: () => Promise<Request>;
  target?: TargetCase;
}

/** Routes that change or delete an existing user, key, role or group (by id): each needs a target case or a reason here. */
const changesTarget = (r: Pick<Route, 'method' | 'path'>) => r.method !== 'GET' && /^\/v1\/(users|api-keys|roles|groups)\/\{/.test(r.path);
const NO_TARGET_GUARD: Record<string, string> = {
  'PATCH /v1/groups/{id}': 'changes the name, code or description of a group, never who is in it',
  'POST /v1/users/{id}/email-verification': "mails a link to the user's own address that only confirms it; no credential changes",
};

// Every authenticated tenant route, with the permission it needs. The test fails when the OpenAPI
// document lists a /v1 route that is not here, so a new route cannot skip the matrix.
// Sign-in routes, mailed-link routes, and the browser-session routes (which check their cookie themselves; browser-session.routes.test.ts).
const PUBLIC = new Set([
  'POST /v1/sessions',
  'POST /v1/email-verifications/{token}',
  'POST /v1/password-setups/{token}',
  'POST /v1/browser-sessions',
  'GET /v1/browser-sessions/current',
  'DELETE /v1/browser-sessions/current',
  'POST /v1/sessions/current/password',
  'POST /v1/password-resets',
]);
const PLATFORM = new Set(['POST /v1/tenants', 'GET /v1/tenants']);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: access-control matrix`, () => {
    let t: TestApp;
    let a: { tenantId: string; slug: string; key: string };
    let b: { tenantId: string; slug: string; key: string };
    let revoked: string;
    const secretsOfA: string[] = [];
    let n = 0;
    const u = () => `m${++n}x${Math.random().toString(36).slice(2, 6)}`;
    const as = async (path: string, payload: unknown, method: 'POST' | 'GET' = 'POST') => {
      const res = await t.request(a.key, { method, url: path, payload: payload as object });
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const user = async () => (await as('/v1/users', { email: `${u()}@acme.com`, roles: ['user'] })).id as string;
    const role = async () => (await as('/v1/roles', { name: u(), permissions: ['users:read'] })).id as string;
    const group = async () => (await as('/v1/groups', { type: 'team', code: u(), name: 'G' })).id as string;
    const attribute = async () => (await as('/v1/attributes', { key: u(), type: 'string' })).key as string;
    const webhook = async () => (await as('/v1/webhooks', { url: 'http://127.0.0.1:9/hook' })).id as string;
    // Targets of the privilege dimension: holding every tenant permission (admin), or none at all.
    const targetUser = async (privileged: boolean) =>
      (
        await as('/v1/users', {
          email: `${u()}@acme.com`,
          username: u(),
          password: 'Target-Privilege-0ne!',
          roles: privileged ? ['admin'] : [],
        })
      ).id as string;
    const userState = async (id: string) => ({
      row: await t.core.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
      resource: (await t.request(a.key, { method: 'GET', url: `/v1/users/${id}` })).json(),
    });
    const targetRole = async (privileged: boolean) =>
      (await as('/v1/roles', { name: u(), permissions: privileged ? [...tenantPermissions] : [] })).id as string;
    const roleState = async (id: string) => (await t.request(a.key, { method: 'GET', url: `/v1/roles/${id}` })).json();

    let routes: Route[];
    beforeAll(async () => {
      t = await createTestApp(dialect);
      a = await t.tenantWithKey();
      b = await t.tenantWithKey();
      revoked = await t.keyWithPermissions(a.tenantId, [...tenantPermissions]);
      const listed = (await t.request(a.key, { method: 'GET', url: '/v1/api-keys' })).json();
      const keys = Array.isArray(listed) ? listed : listed.data;
      const revokedId = keys.find((k: { prefix: string }) => revoked.startsWith(k.prefix)).id;
      expect((await t.request(a.key, { method: 'DELETE', url: `/v1/api-keys/${revokedId}` })).statusCode).toBe(204);
      const hook = await webhook();
      const ping = await as(`/v1/webhooks/${hook}/ping`, {});
      const job = await t.request(a.key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'text/csv' },
        payload: 'email\nimported@acme.com\n',
      });
      const importId = job.json().id as string;
      const someUser = await user();
      secretsOfA.push(a.tenantId, a.slug, someUser, 'imported@acme.com');
      routes = [
        {
          method: 'POST',
          path: '/v1/users',
          permission: 'users:create',
          ok: 201,
          make: async () => ({ url: '/v1/users', payload: { email: `${u()}@acme.com` } }),
        },
        { method: 'GET', path: '/v1/users', permission: 'users:read', ok: 200, make: async () => ({ url: '/v1/users' }) },
        { method: 'GET', path: '/v1/users/{id}', permission: 'users:read', ok: 200, make: async () => ({ url: `/v1/users/${someUser}` }) },
        {
          method: 'PATCH',
          path: '/v1/users/{id}',
          permission: 'users:update',
          ok: 200,
          make: async () => ({ url: `/v1/users/${someUser}`, payload: { displayName: 'x' } }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              const teamId = await group();
              const changes = [
                { password: 'Taken-0ver-By-Helpdesk!' },
                { passwordHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' },
                { email: `${u()}@evil.example` },
                { username: u() },
                { emailVerified: true },
                { roles: [] },
                { groups: [teamId] },
              ];
              return { requests: changes.map((payload) => ({ url: `/v1/users/${id}`, payload })), state: () => userState(id) };
            },
          },
        },
        {
          method: 'DELETE',
          path: '/v1/users/{id}',
          permission: 'users:delete',
          ok: 204,
          make: async () => ({ url: `/v1/users/${await user()}` }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              return { requests: [{ url: `/v1/users/${id}` }], state: () => userState(id) };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/users/batch',
          permission: 'users:create',
          ok: 200,
          make: async () => ({ url: '/v1/users/batch', payload: { users: [{ email: `${u()}@acme.com` }] } }),
        },
        {
          method: 'POST',
          path: '/v1/users/{id}/tokens',
          permission: 'keys:manage',
          ok: 201,
          make: async () => ({ url: `/v1/users/${someUser}/tokens`, payload: { name: 't' } }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              const tokens = async () =>
                (await t.core.database.db.selectFrom('sessions').select('id').where('userId', '=', id).execute()).length;
              return { requests: [{ url: `/v1/users/${id}/tokens`, payload: { name: 't' } }], state: tokens };
            },
          },
        },
        {
          method: 'DELETE',
          path: '/v1/users/{id}/tokens/{tokenId}',
          permission: 'keys:manage',
          ok: 204,
          make: async () => ({ url: `/v1/users/${someUser}/tokens/${(await as(`/v1/users/${someUser}/tokens`, { name: 't' })).id}` }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              const token = (await as(`/v1/users/${id}/tokens`, { name: 't' })).id as string;
              const tokens = async () =>
                (await t.core.database.db.selectFrom('sessions').select('id').where('userId', '=', id).execute()).length;
              return { requests: [{ url: `/v1/users/${id}/tokens/${token}` }], state: tokens };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/users/{id}/password-reset',
          permission: 'users:update',
          ok: 202,
          make: async () => ({ url: `/v1/users/${await user()}/password-reset` }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              const mails = async () =>
                (
                  await t.core.database.db
                    .selectFrom('mailMessages')
                    .select('id')
                    .where('userId', '=', id)
                    .where('kind', '=', 'password_reset')
                    .execute()
                ).length;
              return { requests: [{ url: `/v1/users/${id}/password-reset` }], state: mails };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/users/{id}/email-verification',
          permission: 'users:update',
          ok: 202,
          make: async () => ({ url: `/v1/users/${await user()}/email-verification` }),
        },
        {
          method: 'DELETE',
          path: '/v1/users/{id}/sessions',
          permission: 'users:update',
          ok: 200,
          make: async () => ({ url: `/v1/users/${await user()}/sessions` }),
          target: {
            make: async (privileged) => {
              const id = await targetUser(privileged);
              const row = await t.core.database.db.selectFrom('users').select(['username']).where('id', '=', id).executeTakeFirstOrThrow();
              const login = await t.app.inject({
                method: 'POST',
                url: '/v1/sessions',
                headers: { 'x-roster-tenant': a.slug },
                payload: { login: row.username, password: 'Target-Privilege-0ne!' },
              });
              expect(login.statusCode).toBe(201);
              const sessions = async () =>
                (await t.core.database.db.selectFrom('sessions').select('id').where('userId', '=', id).execute()).length;
              return { requests: [{ url: `/v1/users/${id}/sessions` }], state: sessions };
            },
          },
        },
        { method: 'GET', path: '/v1/settings', permission: 'settings:manage', ok: 200, make: async () => ({ url: '/v1/settings' }) },
        {
          method: 'PATCH',
          path: '/v1/settings',
          permission: 'settings:manage',
          ok: 200,
          make: async () => ({ url: '/v1/settings', payload: { defaultLocale: 'en' } }),
        },
        {
          method: 'POST',
          path: '/v1/roles',
          permission: 'roles:manage',
          ok: 201,
          make: async () => ({ url: '/v1/roles', payload: { name: u(), permissions: ['users:read'] } }),
        },
        { method: 'GET', path: '/v1/roles', permission: 'users:read', ok: 200, make: async () => ({ url: '/v1/roles' }) },
        {
          method: 'GET',
          path: '/v1/roles/{id}',
          permission: 'users:read',
          ok: 200,
          make: async () => ({ url: `/v1/roles/${await role()}` }),
        },
        {
          method: 'PATCH',
          path: '/v1/roles/{id}',
          permission: 'roles:manage',
          ok: 200,
          make: async () => ({ url: `/v1/roles/${await role()}`, payload: { description: 'd' } }),
          target: {
            make: async (privileged) => {
              const id = await targetRole(privileged);
              const changes = [{ description: 'd' }, { name: u() }, { permissions: ['roles:manage'] }];
              return { requests: changes.map((payload) => ({ url: `/v1/roles/${id}`, payload })), state: () => roleState(id) };
            },
          },
        },
        {
          method: 'DELETE',
          path: '/v1/roles/{id}',
          permission: 'roles:manage',
          ok: 204,
          make: async () => ({ url: `/v1/roles/${await role()}` }),
          target: {
            make: async (privileged) => {
              const id = await targetRole(privileged);
              return { requests: [{ url: `/v1/roles/${id}` }], state: () => roleState(id) };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/groups',
          permission: 'groups:manage',
          ok: 201,
          make: async () => ({ url: '/v1/groups', payload: { type: 'team', code: u(), name: 'G' } }),
        },
        { method: 'GET', path: '/v1/groups', permission: 'users:read', ok: 200, make: async () => ({ url: '/v1/groups' }) },
        {
          method: 'GET',
          path: '/v1/groups/{id}',
          permission: 'users:read',
          ok: 200,
          make: async () => ({ url: `/v1/groups/${await group()}` }),
        },
        {
          method: 'PATCH',
          path: '/v1/groups/{id}',
          permission: 'groups:manage',
          ok: 200,
          make: async () => ({ url: `/v1/groups/${await group()}`, payload: { name: 'H' } }),
        },
        {
          method: 'DELETE',
          path: '/v1/groups/{id}',
          permission: 'groups:manage',
          ok: 204,
          make: async () => ({ url: `/v1/groups/${await group()}` }),
          target: {
            make: async (privileged) => {
              const id = (await as('/v1/groups', { type: 'team', code: u(), name: 'G' })).id as string;
              const member = await targetUser(privileged);
              expect((await t.request(a.key, { method: 'PATCH', url: `/v1/users/${member}`, payload: { groups: [id] } })).statusCode).toBe(
                200,
              );
              const state = async () => ({
                group: (await t.request(a.key, { method: 'GET', url: `/v1/groups/${id}` })).json(),
                members: await t.core.database.db.selectFrom('userGroups').select('userId').where('groupId', '=', id).execute(),
              });
              return { requests: [{ url: `/v1/groups/${id}` }], state };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/attributes',
          permission: 'attributes:manage',
          ok: 201,
          make: async () => ({ url: '/v1/attributes', payload: { key: u(), type: 'string' } }),
        },
        { method: 'GET', path: '/v1/attributes', permission: 'users:read', ok: 200, make: async () => ({ url: '/v1/attributes' }) },
        {
          method: 'PATCH',
          path: '/v1/attributes/{key}',
          permission: 'attributes:manage',
          ok: 200,
          make: async () => ({ url: `/v1/attributes/${await attribute()}`, payload: { description: 'd' } }),
        },
        {
          method: 'DELETE',
          path: '/v1/attributes/{key}',
          permission: 'attributes:manage',
          ok: 204,
          make: async () => ({ url: `/v1/attributes/${await attribute()}` }),
        },
        {
          method: 'POST',
          path: '/v1/api-keys',
          permission: 'keys:manage',
          ok: 201,
          make: async () => ({ url: '/v1/api-keys', payload: { name: 'k', role: 'user' } }),
        },
        { method: 'GET', path: '/v1/api-keys', permission: 'keys:manage', ok: 200, make: async () => ({ url: '/v1/api-keys' }) },
        {
          method: 'PATCH',
          path: '/v1/api-keys/{id}',
          permission: 'keys:manage',
          ok: 200,
          make: async () => ({
            url: `/v1/api-keys/${(await as('/v1/api-keys', { name: 'k', role: 'user' })).id}`,
            payload: { name: 'k2' },
          }),
          target: {
            make: async (privileged) => {
              const empty = async () => (await as('/v1/roles', { name: u(), permissions: [] })).name as string;
              const key = await as('/v1/api-keys', { name: 'target', role: privileged ? 'admin' : await empty() });
              const other = await empty();
              const state = async () => ({
                listed: (await t.request(a.key, { method: 'GET', url: '/v1/api-keys' }))
                  .json()
                  .data.find((k: { id: string }) => k.id === key.id),
                works: (await t.request(key.secret, { method: 'GET', url: '/v1/roles' })).statusCode,
              });
              const requests = [{ name: 'renamed' }, { role: other }].map((payload) => ({ url: `/v1/api-keys/${key.id}`, payload }));
              return { requests, state };
            },
          },
        },
        {
          method: 'DELETE',
          path: '/v1/api-keys/{id}',
          permission: 'keys:manage',
          ok: 204,
          make: async () => ({ url: `/v1/api-keys/${(await as('/v1/api-keys', { name: 'k', role: 'user' })).id}` }),
          target: {
            make: async (privileged) => {
              const roleName = privileged ? 'admin' : ((await as('/v1/roles', { name: u(), permissions: [] })).name as string);
              const key = await as('/v1/api-keys', { name: 'target', role: roleName });
              const state = async () => ({
                listed: (await t.request(a.key, { method: 'GET', url: '/v1/api-keys' }))
                  .json()
                  .data.find((k: { id: string }) => k.id === key.id),
                works: (await t.request(key.secret, { method: 'GET', url: '/v1/roles' })).statusCode,
              });
              return { requests: [{ url: `/v1/api-keys/${key.id}` }], state };
            },
          },
        },
        {
          method: 'POST',
          path: '/v1/webhooks',
          permission: 'webhooks:manage',
          ok: 201,
          make: async () => ({ url: '/v1/webhooks', payload: { url: 'http://127.0.0.1:9/x' } }),
        },
        { method: 'GET', path: '/v1/webhooks', permission: 'webhooks:manage', ok: 200, make: async () => ({ url: '/v1/webhooks' }) },
        {
          method: 'GET',
          path: '/v1/webhooks/{id}',
          permission: 'webhooks:manage',
          ok: 200,
          make: async () => ({ url: `/v1/webhooks/${hook}` }),
        },
        {
          method: 'PATCH',
          path: '/v1/webhooks/{id}',
          permission: 'webhooks:manage',
          ok: 200,
          make: async () => ({ url: `/v1/webhooks/${await webhook()}`, payload: { description: 'd' } }),
        },
        {
          method: 'DELETE',
          path: '/v1/webhooks/{id}',
          permission: 'webhooks:manage',
          ok: 204,
          make: async () => ({ url: `/v1/webhooks/${await webhook()}` }),
        },
        {
          method: 'GET',
          path: '/v1/webhooks/{id}/deliveries',
          permission: 'webhooks:manage',
          ok: 200,
          make: async () => ({ url: `/v1/webhooks/${hook}/deliveries` }),
        },
        {
          method: 'POST',
          path: '/v1/webhooks/{id}/ping',
          permission: 'webhooks:manage',
          ok: 202,
          make: async () => ({ url: `/v1/webhooks/${hook}/ping`, payload: {} }),
        },
        {
          method: 'POST',
          path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
          permission: 'webhooks:manage',
          ok: 202,
          make: async () => ({ url: `/v1/webhooks/${hook}/deliveries/${ping.deliveryId}/redeliver`, payload: {} }),
        },
        { method: 'GET', path: '/v1/events', permission: 'events:read', ok: 200, make: async () => ({ url: '/v1/events' }) },
        { method: 'GET', path: '/v1/mail', permission: 'settings:manage', ok: 200, make: async () => ({ url: '/v1/mail' }) },
        {
          method: 'POST',
          path: '/v1/imports',
          permission: 'users:create',
          ok: 202,
          make: async () => ({ url: '/v1/imports', payload: `email\n${u()}@acme.com\n`, headers: { 'content-type': 'text/csv' } }),
        },
        {
          method: 'GET',
          path: '/v1/imports/{id}',
          permission: 'users:read',
          ok: 200,
          make: async () => ({ url: `/v1/imports/${importId}` }),
        },
        {
          method: 'GET',
          path: '/v1/imports/{id}/errors',
          permission: 'users:read',
          ok: 200,
          make: async () => ({ url: `/v1/imports/${importId}/errors` }),
        },
        { method: 'GET', path: '/v1/exports/users', permission: 'users:read', ok: 200, make: async () => ({ url: '/v1/exports/users' }) },
      ];
    });
    afterAll(async () => t?.close());

    it('should cover every authenticated /v1 route of the OpenAPI document', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
        path.startsWith('/v1/') ? Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`) : [],
      );
      const covered = new Set([...routes.map((r) => `${r.method} ${r.path}`), ...PUBLIC, ...PLATFORM]);
      expect(documented.filter((r) => !covered.has(r))).toEqual([]);
    });

    it(
      'should answer each route exactly: 401 without valid credentials, 403 without the permission, 404 across tenants, success with it',
      { timeout: 120_000 },
      async () => {
        for (const route of routes) {
          const label = `${route.method} ${route.path}`;
          const send = async (key: string | undefined, request: Request) =>
            t.request(key, {
              method: route.method,
              url: request.url,
              ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
              ...(request.headers ? { headers: request.headers } : {}),
            });
          for (const [who, key] of [
            ['no credentials', undefined],
            ['malformed token', 'Bearer-not'],
            ['revoked key', revoked],
            ['unknown key', `rst_${'A'.repeat(48)}`],
          ] as const) {
            const res = await send(key, await route.make());
            expect([label, who, res.statusCode, res.json().code]).toEqual([label, who, 401, 'UNAUTHENTICATED']);
          }
          const without = await t.keyWithPermissions(
            a.tenantId,
            tenantPermissions.filter((p) => p !== route.permission),
          );
          const denied = await send(without, await route.make());
          expect([label, 'without permission', denied.statusCode, denied.json().permission]).toEqual([
            label,
            'without permission',
            403,
            route.permission,
          ]);
          const allowed = await send(await t.keyWithPermissions(a.tenantId, [...tenantPermissions]), await route.make());
          expect([label, 'with permission', allowed.statusCode]).toEqual([label, 'with permission', route.ok]);

          // Tenant B's admin key on tenant A's resources: not found (never forbidden, which would confirm they exist), and nothing of A in the answer.
          const request = await route.make();
          const other = await send(b.key, request);
          const expected = /\{(id|key|tokenId|deliveryId)\}/.test(route.path) ? 404 : route.ok;
          expect([label, 'other tenant', other.statusCode]).toEqual([label, 'other tenant', expected]);
          const everything = `${other.body} ${JSON.stringify(other.headers)}`;
          // (An id the caller itself sent may be echoed in the error; anything else of A may not appear.)
          for (const secret of secretsOfA.filter((x) => !request.url.includes(x)))
            expect(everything.includes(secret), `${label} shows tenant A data`).toBe(false);
          // Naming tenant A explicitly does not help either.
          const named = await t.request(b.key, {
            method: route.method,
            url: request.url,
            tenant: a.slug,
            ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
            ...(request.headers ? { headers: request.headers } : {}),
          });
          expect([label, 'naming the other tenant', named.statusCode, named.json().code]).toEqual([
            label,
            'naming the other tenant',
            403,
            'TENANT_ACCESS_DENIED',
          ]);
        }
      },
    );

    it('should give every route that changes an existing user, key, role or group membership a target-privilege case', () => {
      const unguarded = routes
        .filter((r) => changesTarget(r) && !r.target && !NO_TARGET_GUARD[`${r.method} ${r.path}`])
        .map((r) => `${r.method} ${r.path}`);
      expect(unguarded).toEqual([]);
    });

    it(
      "should refuse a credential holding exactly the route's permission on a target holding more, and change nothing",
      { timeout: 180_000 },
      async () => {
        for (const route of routes.filter((r) => r.target)) {
          const label = `${route.method} ${route.path}`;
          const key = await t.keyWithPermissions(a.tenantId, [route.permission]);
          const send = (request: Request) =>
            t.request(key, {
              method: route.method,
              url: request.url,
              ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
            });
          const privileged = await route.target!.make(true);
          const before = await privileged.state();
          for (const request of privileged.requests) {
            const res = await send(request);
            expect([label, request.payload, res.statusCode, res.json().code]).toEqual([label, request.payload, 403, 'PERMISSION_DENIED']);
          }
          expect([label, await privileged.state()]).toEqual([label, before]);
          // The control: the same credential and requests on a target holding no permission succeed, so the refusal is the target's privilege.
          const plain = await route.target!.make(false);
          for (const request of plain.requests) {
            const res = await send(request);
            expect([label, 'target without permissions', request.payload, res.statusCode]).toEqual([
              label,
              'target without permissions',
              request.payload,
              route.ok,
            ]);
          }
        }
      },
    );

    it('should keep tenant management to platform keys', async () => {
      for (const [method, url, payload] of [
        ['POST', '/v1/tenants', { slug: u() }],
        ['GET', '/v1/tenants', undefined],
      ] as const) {
        expect((await t.request(a.key, { method, url, ...(payload ? { payload } : {}) })).statusCode).toBe(403);
        expect((await t.request(undefined, { method, url, ...(payload ? { payload } : {}) })).statusCode).toBe(401);
        expect((await t.request(t.platformKey, { method, url, ...(payload ? { payload } : {}) })).statusCode).toBe(
          method === 'POST' ? 201 : 200,
        );
      }
    });

    it('should guard SCIM and every contract the same way: 401 without credentials, nothing across tenants', async () => {
      const someUser = (await as('/v1/users', { email: `${u()}@acme.com` })).id as string;
      const unauthenticated: Array<[string, string, Record<string, string>]> = [
        ['GET', '/scim/v2/Users', {}],
        ['POST', '/scim/v2/Users', {}],
        ['GET', `/scim/v2/Users/${someUser}`, {}],
        ['POST', '/scim/v2/Bulk', {}],
        ['GET', '/scim/v2/Groups', {}],
        ['POST', '/compat/rollout/users', { 'x-rollout-credential-id': a.slug }],
        ['POST', '/compat/pulse/users', { 'x-account-id': a.slug }],
        ['POST', '/compat/rocketchat/api/v1/users.create', {}],
        ['POST', '/compat/certification/users', {}],
        ['POST', '/compat/fleet/users', {}],
      ];
      for (const [method, url, headers] of unauthenticated) {
        for (const authorization of [undefined, 'Bearer nope', `Bearer ${revoked}`]) {
          const res = await t.app.inject({
            method: method as 'GET',
            url,
            headers: { ...headers, ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
            payload: method === 'GET' ? undefined : '{}',
          });
          expect([method, url, authorization, res.statusCode]).toEqual([method, url, authorization, 401]);
        }
      }
      // Tenant B's key sees none of A's users through SCIM, by id or by filter.
      const scimAsB = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${b.key}` } });
      expect((await scimAsB(`/scim/v2/Users/${someUser}`)).statusCode).toBe(404);
      const listed = await scimAsB(`/scim/v2/Users?filter=${encodeURIComponent('id eq "' + someUser + '"')}`);
      expect(listed.json().totalResults).toBe(0);
      expect(JSON.stringify((await scimAsB('/scim/v2/Users')).json())).not.toContain(a.tenantId);
      // Naming A's account with B's key in a contract is refused.
      const pulse = await t.app.inject({
        method: 'POST',
        url: '/compat/pulse/users',
        headers: { authorization: `Bearer ${b.key}`, 'x-account-id': a.slug },
        payload: { email: `${u()}@acme.com` },
      });
      expect(pulse.statusCode).toBe(403);
      const rollout = await t.app.inject({
        method: 'POST',
        url: '/compat/rollout/users',
        headers: { authorization: `Bearer ${b.key}`, 'x-rollout-credential-id': a.slug },
        payload: {
          email: `${u()}@acme.com`,
          firstName: 'A',
          lastName: 'B',
          phone: '+442079460958',
          role: 'user',
          status: 'active',
          username: u(),
          type: 'employee',
          address: { type: 'work', street: 's', city: 'c', state: 's', code: '1', country: 'GB' },
        },
      });
      expect(rollout.statusCode).toBe(403);
    });
  });
}
