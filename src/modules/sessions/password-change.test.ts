import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'quiet harbour lantern 7';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: sessions that must change their password, and the account lockout`, () => {
    let t: TestApp;
    let n = 0;
    const unique = (prefix: string) => `${prefix}${++n}x${Math.random().toString(36).slice(2, 6)}`;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const login = (slug: string, loginName: string, password: string, remoteAddress = '127.0.0.1') =>
      t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': slug },
        payload: { login: loginName, password },
        remoteAddress,
      });
    const changePassword = (token: string | undefined, body: object) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/sessions/current/password',
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        payload: body,
      });
    const admin = async (key: string, extra: object = {}) => {
      const username = unique('boss');
      const user = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { username, email: `${username}@corp-a.com`, password: PASSWORD, roles: ['admin'], ...extra },
        })
      ).json();
      return { ...user, username, email: `${username}@corp-a.com` } as { id: string; username: string; email: string };
    };

    describe('L5: requirePasswordChange', () => {
      it('should let a flagged session do nothing but change its password (403 PASSWORD_CHANGE_REQUIRED everywhere else)', async () => {
        const { key, slug } = await t.tenantWithKey();
        const user = await admin(key, { requirePasswordChange: true });
        const session = await login(slug, user.username, PASSWORD);
        expect([session.statusCode, session.json().passwordChangeRequired]).toEqual([201, true]);
        const token = session.json().token as string;
        const attempts: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: object }> = [
          { method: 'POST', url: '/v1/api-keys', payload: { name: 'escalate', role: 'admin' } },
          { method: 'GET', url: '/v1/users' },
          { method: 'GET', url: `/v1/users/${user.id}` },
          { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { requirePasswordChange: false } },
          { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'side door' } },
          { method: 'GET', url: '/v1/settings' },
          { method: 'GET', url: '/v1/mail' },
        ];
        for (const attempt of attempts) {
          const res = await t.request(token, attempt);
          expect([attempt.method, attempt.url, res.statusCode, res.json().code]).toEqual([
            attempt.method,
            attempt.url,
            403,
            'PASSWORD_CHANGE_REQUIRED',
          ]);
        }
        // Other doors: Rocket.Chat's token header and the admin page's browser sign-in.
        const rc = await t.app.inject({
          method: 'POST',
          url: '/compat/rocketchat/api/v1/users.create',
          headers: { 'x-user-id': user.id, 'x-auth-token': token },
          payload: { email: `${unique('rc')}@corp-a.com`, name: 'x', password: PASSWORD, username: unique('rc') },
        });
        expect(rc.statusCode).toBe(403);
        const browser = await t.app.inject({
          method: 'POST',
          url: '/v1/browser-sessions',
          payload: { tenant: slug, login: user.username, password: PASSWORD },
        });
        expect([browser.statusCode, browser.json().code, browser.headers['set-cookie']]).toEqual([
          403,
          'PASSWORD_CHANGE_REQUIRED',
          undefined,
        ]);
        // Stored state: nothing was created or changed.
        expect(
          (await t.request(key, { method: 'GET', url: '/v1/api-keys' })).json().data.map((k: { name: string }) => k.name),
        ).not.toContain('escalate');
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().requirePasswordChange).toBe(true);
      });

      it('should change the password with the current one, clear the flag and end every other credential', async () => {
        const { key, slug } = await t.tenantWithKey();
        const user = await admin(key, { requirePasswordChange: true });
        const token = (await login(slug, user.email, PASSWORD)).json().token as string;
        const other = (await login(slug, user.username, PASSWORD)).json().token as string;
        const personal = (await t.request(key, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'sync' } })).json()
          .token as string;
        expect((await t.request(personal, { method: 'GET', url: '/v1/users?limit=1' })).statusCode).toBe(200);

        expect((await changePassword(undefined, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(401);
        expect((await changePassword(personal, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(401);
        const wrong = await changePassword(token, { currentPassword: 'not it at all', newPassword: NEW_PASSWORD });
        expect([wrong.statusCode, wrong.json().errors[0]]).toEqual([400, expect.objectContaining({ code: 'PASSWORD_INCORRECT' })]);
        const same = await changePassword(token, { currentPassword: PASSWORD, newPassword: PASSWORD });
        expect(same.json().errors[0].code).toBe('PASSWORD_UNCHANGED');
        const weak = await changePassword(token, { currentPassword: PASSWORD, newPassword: 'short' });
        expect(weak.json().errors[0]).toMatchObject({ code: 'PASSWORD_TOO_SHORT' });
        const mine = await changePassword(token, { currentPassword: PASSWORD, newPassword: `${user.username}-123` });
        expect(mine.json().errors.map((e: { code: string }) => e.code)).toContain('PASSWORD_CONTAINS_USER_INFO');
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().requirePasswordChange).toBe(true);

        const changed = await changePassword(token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect([changed.statusCode, changed.json().passwordChangeRequired, changed.json().user.requirePasswordChange]).toEqual([
          201,
          false,
          false,
        ]);
        const fresh = changed.json().token as string;
        expect(fresh).not.toBe(token);
        for (const old of [token, other, personal])
          expect((await t.request(old, { method: 'GET', url: '/v1/users?limit=1' })).statusCode).toBe(401);
        expect((await t.request(fresh, { method: 'GET', url: '/v1/users?limit=1' })).statusCode).toBe(200);
        expect((await login(slug, user.username, PASSWORD)).statusCode).toBe(401);
        expect((await login(slug, user.username, NEW_PASSWORD)).json().passwordChangeRequired).toBe(false);
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().requirePasswordChange).toBe(false);
      });

      it('should restrict a live session as soon as an admin flags its user, and count wrong current passwords toward the lockout', async () => {
        const { key, slug } = await t.tenantWithKey();
        const user = await admin(key);
        const token = (await login(slug, user.username, PASSWORD)).json().token as string;
        expect((await t.request(token, { method: 'GET', url: '/v1/users?limit=1' })).statusCode).toBe(200);
        expect(
          (await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { requirePasswordChange: true } })).statusCode,
        ).toBe(200);
        expect((await t.request(token, { method: 'GET', url: '/v1/users?limit=1' })).json().code).toBe('PASSWORD_CHANGE_REQUIRED');
        // A stolen session cannot guess the current password without limit.
        for (let i = 0; i < 5; i++)
          expect((await changePassword(token, { currentPassword: `guess-${i}`, newPassword: NEW_PASSWORD })).statusCode).toBe(400);
        const locked = await changePassword(token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect([locked.statusCode, locked.json().code]).toEqual([429, 'TOO_MANY_ATTEMPTS']);
        expect((await login(slug, user.email, PASSWORD, '10.9.9.9')).json().code).toBe('TOO_MANY_ATTEMPTS');
      });
    });

    describe('M2: one lockout counter per account, however the login is spelled', () => {
      const lockOut = async (slug: string, loginName: string) => {
        for (let i = 0; i < 5; i++) expect((await login(slug, loginName, `wrong-${i}`, `10.1.${n}.${i}`)).statusCode).toBe(401);
      };

      it('should keep an account locked under spellings the lookup folds together', async () => {
        const { key, slug } = await t.tenantWithKey();
        const user = await admin(key);
        await lockOut(slug, user.email);
        const [local, domain] = user.email.split('@') as [string, string];
        const spellings = [
          user.email,
          user.username,
          user.username.toUpperCase(),
          user.email.toUpperCase(),
          ` ${user.email} `,
          `${local}@${domain.replace('.com', '.co\u034fm')}`,
          `${local}@${domain.replace('.com', '.co\u034f\u034f\u034f\u034f\u034f\u034f\u034f\u034fm')}`,
          `${local}@${domain.replace('corp', 'co\ufe0frp')}`,
          `${local}@${domain.replace('corp', 'co\u00adrp')}`,
          `${local}@${domain.replace('corp', 'co\u200brp')}`,
        ];
        for (const spelling of spellings) {
          const res = await login(slug, spelling, PASSWORD, '10.200.0.1');
          expect([JSON.stringify(spelling), res.statusCode, res.json().code]).toEqual([JSON.stringify(spelling), 429, 'TOO_MANY_ATTEMPTS']);
        }
      });

      it('should count failures under every spelling on the one account counter', async () => {
        const { key, slug } = await t.tenantWithKey();
        const user = await admin(key);
        const [local, domain] = user.email.split('@') as [string, string];
        const spellings = [
          user.username,
          user.email.toUpperCase(),
          `${local}@${domain.replace('.com', '.co\u034fm')}`,
          `${local}@${domain.replace('corp', 'co\ufe0frp')}`,
          `${local}@${domain.replace('corp', 'co\u00adrp')}`,
        ];
        for (const [i, spelling] of spellings.entries())
          expect((await login(slug, spelling, `wrong-${i}`, `10.2.${n}.${i}`)).statusCode).toBe(401);
        const blocked = await login(slug, user.email, PASSWORD, '10.201.0.1');
        expect([blocked.statusCode, blocked.json().code]).toEqual([429, 'TOO_MANY_ATTEMPTS']);
        // Another account is untouched.
        const bystander = await admin(key);
        expect((await login(slug, bystander.email, PASSWORD, '10.201.0.2')).statusCode).toBe(201);
      });

      it('should share one counter between spellings of a login that matches nobody', async () => {
        const { slug } = await t.tenantWithKey();
        const ghost = 'ghost@corp-a.com';
        const spellings = [ghost, 'GHOST@corp-a.com', 'ghost@corp-a.co\u034fm', 'ghost@co\ufe0frp-a.com', 'ghost@corp-a.c\u00adom'];
        for (const [i, spelling] of spellings.entries()) expect((await login(slug, spelling, 'x', `10.3.${n}.${i}`)).statusCode).toBe(401);
        expect((await login(slug, ghost, 'x', '10.3.200.1')).json().code).toBe('TOO_MANY_ATTEMPTS');
      });
    });
  });
}
