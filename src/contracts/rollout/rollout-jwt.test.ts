import { SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { jwksServer } from '../testing/jwks-server.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const AUDIENCE = 'roster-jwt-test';
const ISSUER = 'https://idp.test/';

type Claims = Record<string, unknown>;
/** Signs `claims` as given (undefined members dropped): `exp`/`iat`/`aud`/`iss` only when present in `claims`. */
function sign(claims: Claims, key: Uint8Array | CryptoKey, alg: 'HS256' | 'RS256') {
  const present = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(present).setProtectedHeader(alg === 'RS256' ? { alg, kid: 'k1' } : { alg }).sign(key);
}

const now = () => Math.floor(Date.now() / 1000);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(
    `${dialect.name}: Rollout JWTs are bound to a tenant, a role, an audience and a lifetime (H6)`,
    () => {
      let t: TestApp;
      let jwks: Awaited<ReturnType<typeof jwksServer>>;
      let a: { tenantId: string; slug: string; key: string };
      let b: { tenantId: string; slug: string; key: string };
      beforeAll(async () => {
        jwks = await jwksServer();
        t = await createTestApp(dialect, {
          env: { ROSTER_JWT_SECRET: SECRET, ROSTER_JWT_JWKS_URL: jwks.url, ROSTER_JWT_AUDIENCE: AUDIENCE, ROSTER_JWT_ISSUER: ISSUER },
        });
        a = await t.tenantWithKey();
        b = await t.tenantWithKey();
      });
      afterAll(async () => {
        await t?.close();
        await jwks?.close();
      });

      /** Both ways an issuer signs: the shared secret and a key of the JWKS. */
      const signers = [
        ['HS256', (claims: Claims) => sign(claims, new TextEncoder().encode(SECRET), 'HS256')],
        ['RS256', (claims: Claims) => sign(claims, jwks.privateKey, 'RS256')],
      ] as const;
      const good = (extra: Claims = {}): Claims => ({
        sub: 'crm-sync',
        iss: ISSUER,
        aud: AUDIENCE,
        iat: now(),
        exp: now() + 300,
        tenant: a.slug,
        roster_role: 'admin',
        ...extra,
      });

      let n = 0;
      const person = () => {
        const username = `jw${++n}x${Math.random().toString(36).slice(2, 7)}`;
        return {
          email: `${username}@acme.com`,
          firstName: 'Ada',
          lastName: 'Lovelace',
          phone: '+44 20 7946 0958',
          role: 'admin',
          status: 'active',
          timezone: 'Europe/London',
          username,
          type: 'employee',
          address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
          participatingOfficeIds: [],
        };
      };
      const post = async (jwt: string, tenantHeader?: string) => {
        const body = person();
        const res = await t.app.inject({
          method: 'POST',
          url: '/compat/rollout/users',
          payload: body,
          headers: { authorization: `Bearer ${jwt}`, ...(tenantHeader === undefined ? {} : { 'x-rollout-credential-id': tenantHeader }) },
        });
        return { res, username: body.username };
      };
      /** Whether a user with that username exists in any of the two tenants (the stored state an attack would change). */
      const existsAnywhere = async (username: string) => {
        for (const tenant of [a, b]) {
          const list = await t.request(tenant.key, { method: 'GET', url: `/v1/users?username=${username}` });
          if (list.json().data.length > 0) return true;
        }
        return false;
      };
      const expectRefused = async (jwt: string, status: number, tenantHeader: string | undefined, message?: RegExp) => {
        const { res, username } = await post(jwt, tenantHeader);
        expect(res.statusCode, res.body).toBe(status);
        expect(Object.keys(res.json())).toEqual(['errorMessage']);
        if (message) expect(res.json().errorMessage).toMatch(message);
        expect(await existsAnywhere(username)).toBe(false);
      };

      for (const [alg, signer] of signers) {
        it(`${alg}: a well-bound token creates a user in its own tenant, with or without the tenant header`, async () => {
          for (const header of [a.slug, a.tenantId, undefined]) {
            const { res, username } = await post(await signer(good()), header);
            expect(res.statusCode, res.body).toBe(201);
            expect(res.json()[0].original.roster.createdBy).toBe('jwt:crm-sync');
            const list = await t.request(a.key, { method: 'GET', url: `/v1/users?username=${username}` });
            expect(list.json().data).toHaveLength(1);
          }
        });

        it(`${alg}: a token naming no tenant is refused (401) in every tenant`, async () => {
          for (const tenant of [undefined, 42, '', ['x']]) {
            for (const header of [a.slug, b.slug, undefined]) await expectRefused(await signer(good({ tenant })), 401, header, /tenant/);
          }
        });

        it(`${alg}: a token of one tenant is refused (403) in another, and for a tenant that does not exist`, async () => {
          await expectRefused(await signer(good()), 403, b.slug);
          await expectRefused(await signer(good()), 403, b.tenantId);
          await expectRefused(await signer(good({ tenant: b.slug })), 403, a.slug);
          await expectRefused(await signer(good({ tenant: 'no-such-tenant' })), 403, undefined);
        });

        it(`${alg}: a token without exp, expired, or valid for more than the maximum lifetime is refused (401)`, async () => {
          await expectRefused(await signer(good({ exp: undefined })), 401, a.slug);
          await expectRefused(await signer(good({ exp: undefined, iat: undefined })), 401, a.slug);
          await expectRefused(await signer(good({ exp: now() - 60 })), 401, a.slug);
          await expectRefused(await signer(good({ exp: now() + 400 * 86_400 })), 401, a.slug, /valid for more than/);
          await expectRefused(await signer(good({ iat: now() - 2 * 86_400, exp: now() + 300 })), 401, a.slug);
        });

        it(`${alg}: a token without or with another audience or issuer is refused (401)`, async () => {
          await expectRefused(await signer(good({ aud: undefined })), 401, a.slug);
          await expectRefused(await signer(good({ aud: 'another-app' })), 401, a.slug);
          await expectRefused(await signer(good({ aud: ['another-app', 'third-app'] })), 401, a.slug);
          await expectRefused(await signer(good({ iss: undefined })), 401, a.slug);
          await expectRefused(await signer(good({ iss: 'https://evil.test/' })), 401, a.slug);
        });

        it(`${alg}: a token naming no role, or a role the tenant lacks, is refused (403): there is no default role`, async () => {
          await expectRefused(await signer(good({ roster_role: undefined })), 403, a.slug, /names no role/);
          await expectRefused(await signer(good({ roster_role: 7 })), 403, a.slug, /names no role/);
          await expectRefused(await signer(good({ roster_role: 'superadmin' })), 403, a.slug, /not a role of this tenant/);
          // A role the tenant has but that may not create admins.
          await expectRefused(await signer(good({ roster_role: 'user' })), 403, a.slug);
        });
      }
    },
  );

  describe.skipIf(!dialect.available)(`${dialect.name}: Rollout JWT claim names and the fallback role are configurable (H6)`, () => {
    let t: TestApp;
    let a: { tenantId: string; slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(dialect, {
        env: {
          ROSTER_JWT_SECRET: SECRET,
          ROSTER_JWT_TENANT_CLAIM: 'org',
          ROSTER_JWT_ROLE_CLAIM: 'https://roster.test/role',
          ROSTER_JWT_ROLE: 'user',
        },
      });
      a = await t.tenantWithKey();
    });
    afterAll(async () => t?.close());

    const hs = (claims: Claims) => sign({ sub: 'sync', exp: now() + 300, ...claims }, new TextEncoder().encode(SECRET), 'HS256');
    const post = async (jwt: string, role: string) =>
      t.app.inject({
        method: 'POST',
        url: '/compat/rollout/users',
        headers: { authorization: `Bearer ${jwt}`, 'x-rollout-credential-id': a.slug },
        payload: {
          email: `c${Math.random().toString(36).slice(2, 9)}@acme.com`,
          firstName: 'A',
          lastName: 'B',
          phone: '+44 20 7946 0958',
          role,
          status: 'active',
          timezone: 'Europe/London',
          username: `c${Math.random().toString(36).slice(2, 9)}`,
          type: 'employee',
          participatingOfficeIds: [],
          address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
        },
      });

    it('should read the tenant from the configured claim only', async () => {
      expect((await post(await hs({ tenant: a.slug, 'https://roster.test/role': 'admin' }), 'user')).statusCode).toBe(401);
      expect((await post(await hs({ org: a.slug, 'https://roster.test/role': 'admin' }), 'user')).statusCode).toBe(201);
    });

    it('should act as ROSTER_JWT_ROLE when the role claim is absent, and as the claimed role when present', async () => {
      // The built-in "user" role may not create users at all.
      expect((await post(await hs({ org: a.slug }), 'user')).statusCode).toBe(403);
      expect((await post(await hs({ org: a.slug, roster_role: 'admin' }), 'user')).statusCode).toBe(403);
      expect((await post(await hs({ org: a.slug, 'https://roster.test/role': 'admin' }), 'admin')).statusCode).toBe(201);
    });
  });
}
