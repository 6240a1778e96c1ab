import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const PASSWORD = 'violet-Harbor-lantern-42';

/** The `roster_session=…` pair of a Set-Cookie answer, to send back as a Cookie header. */
function cookiePair(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return (header ?? '').split(';')[0] ?? '';
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: browser sessions`, () => {
    let t: TestApp;
    let slug: string;
    let key: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ slug, key } = await t.tenantWithKey());
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'admin@acme.com', password: PASSWORD, roles: ['admin'] },
      });
      expect(res.statusCode).toBe(201);
    });
    afterAll(async () => t?.close());

    const signIn = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/browser-sessions', payload });

    it('should set an HttpOnly SameSite=Strict cookie for a password sign-in and describe the session', async () => {
      const res = await signIn({ tenant: slug, login: 'ADMIN@acme.com', password: PASSWORD });
      expect(res.statusCode).toBe(201);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/^roster_session=rss_/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).not.toMatch(/Secure/); // plain http on loopback
      expect(res.json()).toMatchObject({
        kind: 'user',
        tenant: { slug },
        user: { email: 'admin@acme.com' },
        csrfToken: expect.any(String),
      });
      expect(JSON.stringify(res.json())).not.toContain(cookiePair(res.headers['set-cookie']).split('=')[1]);
    });

    it('should authenticate reads by cookie and demand the CSRF token for changes', async () => {
      const res = await signIn({ tenant: slug, login: 'admin@acme.com', password: PASSWORD });
      const cookie = cookiePair(res.headers['set-cookie']);
      const csrf = res.json().csrfToken as string;
      const list = await t.app.inject({ method: 'GET', url: '/v1/users', headers: { cookie } });
      expect(list.statusCode).toBe(200);
      const forged = await t.app.inject({ method: 'POST', url: '/v1/users', headers: { cookie }, payload: { email: 'csrf@acme.com' } });
      expect(forged.statusCode).toBe(403);
      expect(forged.json().code).toBe('CSRF_TOKEN_INVALID');
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { cookie, 'x-csrf-token': `${csrf.slice(0, -2)}xx` },
        payload: { email: 'csrf@acme.com' },
      });
      expect(wrong.json().code).toBe('CSRF_TOKEN_INVALID');
      const ok = await t.app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { cookie, 'x-csrf-token': csrf },
        payload: { email: 'csrf@acme.com' },
      });
      expect(ok.statusCode).toBe(201);
      const again = await t.app.inject({ method: 'GET', url: '/v1/browser-sessions/current', headers: { cookie } });
      expect(again.json()).toMatchObject({ kind: 'user', csrfToken: csrf });
    });

    it('should end a password session server-side on sign-out', async () => {
      const res = await signIn({ tenant: slug, login: 'admin@acme.com', password: PASSWORD });
      const cookie = cookiePair(res.headers['set-cookie']);
      const token = cookie.split('=')[1] as string;
      const refused = await t.app.inject({ method: 'DELETE', url: '/v1/browser-sessions/current', headers: { cookie } });
      expect(refused.json().code).toBe('CSRF_TOKEN_INVALID');
      const out = await t.app.inject({
        method: 'DELETE',
        url: '/v1/browser-sessions/current',
        headers: { cookie, 'x-csrf-token': res.json().csrfToken },
      });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/roster_session=;.*Expires=Thu, 01 Jan 1970/);
      expect((await t.app.inject({ method: 'GET', url: '/v1/browser-sessions/current', headers: { cookie } })).statusCode).toBe(401);
      expect((await t.request(token, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
    });

    it('should sign in with an API key, platform keys with no tenant of their own', async () => {
      const tenantKey = await signIn({ apiKey: key });
      expect(tenantKey.statusCode).toBe(201);
      expect(tenantKey.json()).toMatchObject({ kind: 'api_key', tenant: { slug }, user: null });
      const platform = await signIn({ apiKey: t.platformKey });
      expect(platform.json()).toMatchObject({ kind: 'api_key', tenant: null });
      const cookie = cookiePair(platform.headers['set-cookie']);
      const users = await t.app.inject({ method: 'GET', url: '/v1/users', headers: { cookie, 'x-roster-tenant': slug } });
      expect(users.statusCode).toBe(200);
    });

    it('should refuse wrong credentials and incomplete input in the documented format', async () => {
      expect((await signIn({ apiKey: 'rst_nope' })).json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      const wrong = await signIn({ tenant: slug, login: 'admin@acme.com', password: 'wrong-password-123' });
      expect(wrong.json()).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
      expect(wrong.headers['set-cookie']).toBeUndefined();
      const partial = await signIn({ login: 'admin@acme.com' });
      expect(partial.statusCode).toBe(400);
      expect(
        partial
          .json()
          .errors.map((e: { path: string }) => e.path)
          .sort(),
      ).toEqual(['/password', '/tenant']);
      const mixed = await signIn({ apiKey: key, login: 'x' });
      expect(mixed.json().errors).toEqual([expect.objectContaining({ path: '/login' })]);
    });

    it('should let a Bearer header win over a cookie, so API clients never need the CSRF token', async () => {
      const res = await signIn({ tenant: slug, login: 'admin@acme.com', password: PASSWORD });
      const cookie = cookiePair(res.headers['set-cookie']);
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { cookie, authorization: `Bearer ${key}` },
        payload: { email: 'bearer@acme.com' },
      });
      expect(created.statusCode).toBe(201);
    });
  });
}
