import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { sha256Hex } from '../../lib/secrets.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const strip = (body: Record<string, unknown>) => {
  const { requestId: _requestId, ...rest } = body;
  return rest;
};

describe('sqlite: login and token endpoints do not tell who exists', () => {
  let t: TestApp;
  let slug: string;
  beforeAll(async () => {
    // Production argon2 parameters, so timing differences would show.
    t = await createTestApp(testDialects[0]!, {
      env: {
        ROSTER_ARGON2_MEMORY_KIB: '19456',
        ROSTER_ARGON2_TIME_COST: '2',
        ROSTER_LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
      },
    });
    const tenant = await t.tenantWithKey();
    slug = tenant.slug;
    await t.request(tenant.key, {
      method: 'POST',
      url: '/v1/users',
      payload: { email: 'known@acme.com', username: 'known', password: 'correct horse battery staple' },
    });
  });
  afterAll(async () => t?.close());

  const login = (loginName: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: { login: loginName, password } });

  it('should answer an unknown login and a wrong password alike, in similar time', { timeout: 60_000 }, async () => {
    const known = await login('known', 'wrong password');
    const unknown = await login('nobody-here', 'wrong password');
    expect(known.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(strip(unknown.json())).toEqual(strip(known.json()));
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());

    const timings: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    for (let i = 0; i < 12; i++) {
      for (const [kind, name] of [
        ['known', 'known'],
        ['unknown', `ghost${i}`],
      ] as const) {
        const started = performance.now();
        await login(name, 'wrong password');
        timings[kind].push(performance.now() - started);
      }
    }
    // Both verify an argon2id hash (a dummy one for unknown users): medians within a factor of two.
    const [a, b] = [median(timings.known), median(timings.unknown)];
    expect(Math.max(a, b) / Math.min(a, b)).toBeLessThan(2);
    expect(Math.min(a, b)).toBeGreaterThan(5);
  });

  it('should answer unknown, used and malformed mailed tokens alike', async () => {
    const answers = await Promise.all(
      ['nope', 'A'.repeat(43), ''.padEnd(150, 'z')].map((token) =>
        t.app.inject({
          method: 'POST',
          url: `/v1/password-setups/${token}`,
          headers: { 'x-roster-tenant': slug },
          payload: { password: 'some new password 9' },
        }),
      ),
    );
    for (const res of answers) expect([res.statusCode, res.json().code]).toEqual([400, 'TOKEN_INVALID']);
  });

  it(
    'should take alike long for unknown, used, expired and other-purpose set-password tokens (no hash before the token check)',
    { timeout: 60_000 },
    async () => {
      const db = t.core.database.db;
      const tenant = await t.core.tenants.getTenant(slug);
      const user = await db
        .selectFrom('users')
        .select('id')
        .where('tenantId', '=', tenant.id)
        .where('username', '=', 'known')
        .executeTakeFirstOrThrow();
      const hour = 3_600_000;
      const issue = async (token: string, purpose: 'set_password' | 'verify_email', expiresIn: number, used: boolean) => {
        await db
          .insertInto('userTokens')
          .values({
            tenantId: tenant.id,
            tokenHash: sha256Hex(token),
            userId: user.id,
            purpose,
            expiresAt: new Date(Date.now() + expiresIn).toISOString(),
            usedAt: used ? new Date().toISOString() : null,
            createdAt: new Date().toISOString(),
          })
          .execute();
        return token;
      };
      const kinds = {
        unknown: 'U'.repeat(40),
        used: await issue('usedTokenForTimingTest0000000000000000000', 'set_password', hour, true),
        expired: await issue('expiredTokenForTimingTest000000000000000', 'set_password', -hour, false),
        'other purpose': await issue('verifyTokenForTimingTest0000000000000000', 'verify_email', hour, false),
      };
      const timings: Record<string, number[]> = {};
      for (let i = 0; i < 7; i++) {
        for (const [kind, token] of Object.entries(kinds)) {
          const started = performance.now();
          const res = await t.app.inject({
            method: 'POST',
            url: `/v1/password-setups/${token}`,
            headers: { 'x-roster-tenant': slug },
            payload: { password: 'some new password 9' },
          });
          (timings[kind] ??= []).push(performance.now() - started);
          expect([kind, res.statusCode, res.json().code]).toEqual([kind, 400, 'TOKEN_INVALID']);
        }
      }
      // One argon2 verification (production parameters here) as the yardstick: a hash before the token check would cost that much.
      const argon2: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await login('known', 'wrong password');
        argon2.push(performance.now() - started);
      }
      for (const [kind, values] of Object.entries(timings)) expect([kind, median(values) < median(argon2) / 2]).toEqual([kind, true]);
    },
  );

  it('should answer Rocket.Chat logins alike for unknown users and wrong passwords', async () => {
    const rc = (user: string) =>
      t.app.inject({
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        headers: { 'x-roster-tenant': slug },
        payload: { user, password: 'wrong' },
      });
    const [known, unknown] = [await rc('known'), await rc('ghost')];
    expect([known.statusCode, known.body]).toEqual([unknown.statusCode, unknown.body]);
  });
});
