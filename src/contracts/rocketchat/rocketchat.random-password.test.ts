import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokenIn, startSmtpSink, type SmtpSink } from '../../testing/smtp-sink.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const PASSWORD = 'correct horse battery staple';

/**
 * @see issue 20: after `setRandomPassword` nobody knows the password (it is in no answer and no mail),
 * so the welcome mail must carry a link that sets one.
 */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rocket.Chat setRandomPassword and the welcome mail`, () => {
    let smtp: SmtpSink;
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let admin: Record<string, string>;
    let n = 0;
    const unique = () => `rp${++n}x${Math.random().toString(36).slice(2, 7)}`;

    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestApp(dialect, {
        env: { SMTP_URL: smtp.url, ROSTER_PUBLIC_URL: 'https://chat.example.com', ROSTER_MAIL_FROM_DOMAINS: 'acme.example' },
      });
      tenant = await t.tenantWithKey();
      const username = unique();
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username, email: `${username}@acme.com`, password: PASSWORD, roles: ['admin'] },
      });
      const login = await t.request(undefined, {
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        tenant: tenant.slug,
        payload: { user: username, password: PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      admin = { 'x-user-id': login.json().data.userId, 'x-auth-token': login.json().data.authToken };
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    const create = (body: object) =>
      t.app.inject({ method: 'POST', url: '/compat/rocketchat/api/v1/users.create', headers: admin, payload: body });

    it('should mail a set-password link that lets the user choose a password and sign in with it', async () => {
      const username = unique();
      const email = `${username}@acme.com`;
      const res = await create({ email, name: 'Rand Om', username, setRandomPassword: true, sendWelcomeEmail: true });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user.requirePasswordChange).toBe(true);
      expect(JSON.stringify(res.json())).not.toMatch(/password"\s*:\s*"/i);

      const mail = await smtp.mailTo(email);
      expect(mail.subject).toContain('choose your password');
      expect(mail.text).toContain(`https://chat.example.com/set-password?tenant=${tenant.slug}&token=`);
      const set = await t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${linkTokenIn(mail.text)}`,
        headers: { 'x-roster-tenant': tenant.slug },
        payload: { password: 'quiet harbour lantern 7' },
      });
      expect(set.statusCode, set.body).toBe(204);
      const login = await t.request(undefined, {
        method: 'POST',
        url: '/compat/rocketchat/api/v1/login',
        tenant: tenant.slug,
        payload: { user: username, password: 'quiet harbour lantern 7' },
      });
      expect(login.statusCode, login.body).toBe(200);
    });

    it('should keep the plain welcome mail (no link) for a user created with the password the client chose', async () => {
      const username = unique();
      const email = `${username}@acme.com`;
      const res = await create({ email, name: 'Has Pass', username, password: PASSWORD, sendWelcomeEmail: true });
      expect(res.statusCode, res.body).toBe(200);
      const mail = await smtp.mailTo(email);
      expect(mail.subject).not.toContain('choose your password');
      expect(mail.text).not.toContain('token=');
      expect(mail.text).not.toContain(PASSWORD);
    });
  });
}
