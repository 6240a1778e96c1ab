import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, problems, rolloutSeed } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { jwksServer } from '../testing/jwks-server.js';

const seed = rolloutSeed();
const validRequest = compile(seed.request['application/json'] as object);
const validCreated = compile(seed.responses['201'] as object);
const validBadRequest = compile(seed.responses['400'] as object);
const validConflict = compile(seed.responses['409'] as object);
const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const AUDIENCE = 'roster-test';

/** A multipart/form-data body as a browser or HTTP client would send it. */
async function multipart(fields: Array<[string, string]>): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [k, v] of fields) form.append(k, v);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type') as string };
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rollout contract (seed 000)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let jwks: Awaited<ReturnType<typeof jwksServer>>;
    beforeAll(async () => {
      jwks = await jwksServer();
      t = await createTestApp(dialect, {
        env: { ROSTER_JWT_SECRET: SECRET, ROSTER_JWT_JWKS_URL: jwks.url, ROSTER_JWT_AUDIENCE: AUDIENCE },
      });
      tenant = await t.tenantWithKey();
      for (const code of ['PAR', 'LON'])
        await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: { type: 'office', code, name: code } });
    });
    afterAll(async () => {
      await t?.close();
      await jwks?.close();
    });

    let n = 0;
    const person = (extra: Record<string, unknown> = {}) => {
      const username = `ro${++n}x${Math.random().toString(36).slice(2, 7)}`;
      return {
        email: `${username}@acme.com`,
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+44 20 7946 0958',
        role: 'user',
        status: 'active',
        timezone: 'Europe/London',
        username,
        type: 'employee',
        address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
        participatingOfficeIds: ['LON'],
        password: 'correct horse battery staple',
        ...extra,
      };
    };
    const post = (headers: Record<string, string>, payload: unknown, contentType?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/compat/rollout/users',
        headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
        payload: payload as string,
      });
    const withKey = (key = tenant.key) => ({ authorization: `Bearer ${key}`, 'x-rollout-credential-id': tenant.slug });
    /** An HS256 token bound as Roster requires (tenant, role, audience, exp); `claims` adds or overrides (undefined removes). */
    const hs256 = (claims: Record<string, unknown> = {}, secret = SECRET, expires: string | undefined = '5m') => {
      const all = Object.fromEntries(
        Object.entries({ tenant: tenant.slug, roster_role: 'admin', aud: AUDIENCE, ...claims }).filter(([, v]) => v !== undefined),
      );
      const jwt = new SignJWT(all).setProtectedHeader({ alg: 'HS256' }).setSubject('crm-sync').setIssuedAt();
      return (expires === undefined ? jwt : jwt.setExpirationTime(expires)).sign(new TextEncoder().encode(secret));
    };

    it('should create a user from a JSON body and answer 201 with an array of one unified user', async () => {
      const body = person({ participatingOfficeIds: ['LON', 'PAR'] });
      expect(problems(validRequest, body)).toEqual([]);
      const res = await post(withKey(), body);
      expect(res.statusCode).toBe(201);
      expect(problems(validCreated, res.json())).toEqual([]);
      const [user] = res.json();
      expect(res.json()).toHaveLength(1);
      expect(user).toMatchObject({
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: body.email,
        phone: '+442079460958',
        role: 'user',
        status: 'active',
        timezone: 'Europe/London',
        username: body.username,
        type: 'employee',
        address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
        originalIds: { roster: user.id },
        original: { roster: { id: user.id, userType: 'employee' } },
        rolloutUpdated: user.updated,
      });
      expect(user.offices.map((o: { id: string }) => o.id).sort()).toEqual(['LON', 'PAR']);
      expect(JSON.stringify(user)).not.toMatch(/argon2|passwordHash/);
    });

    it('should accept multipart/form-data with bracket notation or JSON text, and text/plain JSON', async () => {
      const a = person();
      const bracket = await multipart([
        ...Object.entries(a)
          .filter(([k]) => k !== 'address' && k !== 'participatingOfficeIds')
          .map(([k, v]) => [k, String(v)] as [string, string]),
        ...Object.entries(a.address).map(([k, v]) => [`address[${k}]`, v] as [string, string]),
        ['participatingOfficeIds[]', 'PAR'],
        ['participatingOfficeIds[]', 'LON'],
      ]);
      const first = await post(withKey(), bracket.payload, bracket.contentType);
      expect(first.statusCode).toBe(201);
      expect(problems(validCreated, first.json())).toEqual([]);
      expect(first.json()[0]).toMatchObject({
        address: { city: 'London', code: 'N1 9GU' },
        offices: expect.arrayContaining([{ id: 'PAR' }, { id: 'LON' }]),
      });

      const b = person();
      const asJsonText = await multipart(Object.entries(b).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      const second = await post(withKey(), asJsonText.payload, asJsonText.contentType);
      expect(second.statusCode).toBe(201);
      expect(second.json()[0].address.street).toBe('1 Main St');

      const third = await post(withKey(), JSON.stringify(person()), 'text/plain');
      expect(third.statusCode).toBe(201);
      expect(problems(validCreated, third.json())).toEqual([]);
    });

    it('should require every field the schema marks required, address parts included, answering {errorMessage}', async () => {
      const { phone: _phone, ...noPhone } = person();
      const cases = [
        noPhone,
        person({ address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', country: 'GB' } }),
        person({ address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU' } }),
        person({ participatingOfficeIds: ['NYC'] }),
        person({ role: 7 }),
        person({ email: 'not-an-email' }),
      ];
      const messages: string[] = [];
      for (const body of cases) {
        const res = await post(withKey(), body);
        expect(res.statusCode).toBe(400);
        expect(problems(validBadRequest, res.json())).toEqual([]);
        expect(Object.keys(res.json())).toEqual(['errorMessage']);
        messages.push(res.json().errorMessage);
      }
      expect(messages[0]).toContain('phone');
      expect(messages[1]).toContain('address.code');
      expect(messages[2]).toContain('address.country');
      expect(messages[3]).toContain('participatingOfficeIds.0');
      expect(messages[4]).toContain('role');
      const badText = await post(withKey(), '{"email": ', 'text/plain');
      expect(badText.statusCode).toBe(400);
      expect(problems(validBadRequest, badText.json())).toEqual([]);
    });

    it('should answer 409 {errorMessage} for a taken email or username', async () => {
      const body = person();
      expect((await post(withKey(), body)).statusCode).toBe(201);
      for (const again of [person({ email: body.email.toUpperCase() }), person({ username: body.username })]) {
        const res = await post(withKey(), again);
        expect(res.statusCode).toBe(409);
        expect(problems(validConflict, res.json())).toEqual([]);
      }
    });

    it('should accept JWTs signed with the shared secret or a key of the JWKS, for the named tenant', async () => {
      const hs = await post({ authorization: `Bearer ${await hs256()}`, 'x-rollout-credential-id': tenant.slug }, person());
      expect(hs.statusCode).toBe(201);
      expect(hs.json()[0].original.roster.createdBy).toBe('jwt:crm-sync');
      const rs = await new SignJWT({ tenant: tenant.slug, roster_role: 'admin' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('idp')
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(jwks.privateKey);
      expect((await post({ authorization: `Bearer ${rs}`, 'x-rollout-credential-id': tenant.tenantId }, person())).statusCode).toBe(201);
      // The tenant may come from the token's claim alone.
      expect((await post({ authorization: `Bearer ${rs}` }, person())).statusCode).toBe(201);
    });

    it('should refuse bad credentials (401), another tenant or a weak role (403), all as {errorMessage}', async () => {
      const other = await t.tenantWithKey();
      const cases: Array<[Record<string, string>, number]> = [
        [{ 'x-rollout-credential-id': tenant.slug }, 401],
        [{ authorization: 'Bearer rst_not-a-key', 'x-rollout-credential-id': tenant.slug }, 401],
        [
          { authorization: `Bearer ${await hs256({}, 'another-secret-that-is-long-enough-too!')}`, 'x-rollout-credential-id': tenant.slug },
          401,
        ],
        [{ authorization: `Bearer ${await hs256({}, SECRET, '-1m')}`, 'x-rollout-credential-id': tenant.slug }, 401],
        [{ authorization: `Bearer ${await hs256({ tenant: other.slug })}`, 'x-rollout-credential-id': tenant.slug }, 403],
        [{ authorization: `Bearer ${await hs256({ roster_role: 'user' })}`, 'x-rollout-credential-id': tenant.slug }, 403],
        [{ authorization: `Bearer ${tenant.key}`, 'x-rollout-credential-id': other.slug }, 403],
        [{ authorization: `Bearer ${t.platformKey}` }, 400],
      ];
      for (const [headers, status] of cases) {
        const res = await post(headers, person());
        expect(res.statusCode, JSON.stringify(headers)).toBe(status);
        expect(Object.keys(res.json())).toEqual(['errorMessage']);
      }
    });
  });
}
