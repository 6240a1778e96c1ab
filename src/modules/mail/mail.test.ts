import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type ReceivedMail as Received, type SmtpSink } from '../../testing/smtp-sink.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** GET /v1/mail until `done` holds (bounded), then the last answer. */
async function pollMail(t: TestApp, key: string, done: (mail: Array<{ status: string; text: string }>) => boolean) {
  let mail: Array<{ status: string; text: string }> = [];
  for (let i = 0; i < 200 && !done(mail); i++) {
    mail = (await t.request(key, { method: 'GET', url: '/v1/mail' })).json().data;
    if (!done(mail)) await new Promise((r) => setTimeout(r, 25));
  }
  return mail;
}

const tokenIn = (text: string) => /token=([A-Za-z0-9]+)/.exec(text)?.[1] as string;

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: welcome and verification mail`, () => {
    let smtp: SmtpSink;
    let t: TestApp;
    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestApp(dialect, {
        env: { SMTP_URL: smtp.url, ROSTER_PUBLIC_URL: 'https://id.example.com', ROSTER_MAIL_FROM_DOMAINS: 'acme.example' },
      });
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    it('should mail a welcome with a single-use link that sets a password usable to log in', async () => {
      const { key, slug } = await t.tenantWithKey();
      const user = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email: 'newbie@example.com', givenName: 'Newbie', sendWelcomeEmail: true },
        })
      ).json();
      expect(user.hasPassword).toBe(false);
      await waitFor(() => smtp.received.some((m) => m.to.includes('newbie@example.com')));
      const mail = smtp.received.find((m) => m.to.includes('newbie@example.com')) as Received;
      expect(mail.subject).toContain('choose your password');
      expect(mail.text).toContain('Hello Newbie');
      expect(mail.text).toContain(`https://id.example.com/set-password?tenant=${slug}&token=`);
      const token = tokenIn(mail.text);

      const weak = await t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${token}`,
        headers: { 'x-roster-tenant': slug },
        payload: { password: 'password1' },
      });
      expect(weak.json().errors[0].code).toBe('PASSWORD_COMMON');
      const set = await t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${token}`,
        headers: { 'x-roster-tenant': slug },
        payload: { password: 'a brand new secret 42' },
      });
      expect(set.statusCode).toBe(204);
      const again = await t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${token}`,
        headers: { 'x-roster-tenant': slug },
        payload: { password: 'another new secret 43' },
      });
      expect([again.statusCode, again.json().code]).toEqual([400, 'TOKEN_INVALID']);
      const login = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': slug },
        payload: { login: 'newbie@example.com', password: 'a brand new secret 42' },
      });
      expect(login.statusCode).toBe(201);
    });

    it('should serve the pages mailed links open: a form that sets the password, once', async () => {
      const { key, slug } = await t.tenantWithKey();
      await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'linked@example.com', sendWelcomeEmail: true, sendVerificationEmail: true },
      });
      await waitFor(() => smtp.received.filter((m) => m.to.includes('linked@example.com')).length >= 2);
      const mails = smtp.received.filter((m) => m.to.includes('linked@example.com'));
      const linkIn = (text: string) => new URL(/https:\/\/id\.example\.com\/\S+/.exec(text)?.[0] as string);
      const welcome = linkIn((mails.find((m) => m.text.includes('/set-password')) as Received).text);
      // Opening the link shows a form and spends nothing.
      const form = await t.app.inject({ url: `${welcome.pathname}${welcome.search}` });
      expect(form.statusCode).toBe(200);
      expect(form.headers['content-security-policy']).toContain("default-src 'none'");
      expect(form.body).toContain('<form method="post" action="/set-password">');
      const post = (url: string, fields: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(fields).toString(),
        });
      const fields = { tenant: welcome.searchParams.get('tenant') as string, token: welcome.searchParams.get('token') as string };
      const weak = await post('/set-password', { ...fields, password: 'password1', confirm: 'password1' });
      expect([weak.statusCode, weak.body.includes('common passwords')]).toEqual([400, true]);
      const saved = await post('/set-password', { ...fields, password: 'quiet harbour lantern 7', confirm: 'quiet harbour lantern 7' });
      expect([saved.statusCode, saved.body.includes('Password saved')]).toEqual([200, true]);
      expect(
        (await post('/set-password', { ...fields, password: 'quiet harbour lantern 8', confirm: 'quiet harbour lantern 8' })).statusCode,
      ).toBe(400);
      const login = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': slug },
        payload: { login: 'linked@example.com', password: 'quiet harbour lantern 7' },
      });
      expect(login.statusCode).toBe(201);

      const verify = linkIn((mails.find((m) => m.text.includes('/verify-email')) as Received).text);
      expect((await t.app.inject({ url: `${verify.pathname}${verify.search}` })).body).toContain('Confirm my address');
      const confirmed = await post('/verify-email', {
        tenant: verify.searchParams.get('tenant') as string,
        token: verify.searchParams.get('token') as string,
      });
      expect([confirmed.statusCode, confirmed.body.includes('Address confirmed')]).toEqual([200, true]);
      expect(login.json().user.id).toBeDefined();
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${login.json().user.id}` })).json().emailVerified).toBe(true);
    });

    it('should mail a verification link that marks the address verified, in the user locale', async () => {
      const { key, slug } = await t.tenantWithKey();
      const user = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: {
            email: 'verif@example.com',
            locale: 'fr-FR',
            password: 'correct horse battery',
            sendVerificationEmail: true,
            sendWelcomeEmail: true,
          },
        })
      ).json();
      await waitFor(() => smtp.received.filter((m) => m.to.includes('verif@example.com')).length >= 2);
      const mails = smtp.received.filter((m) => m.to.includes('verif@example.com'));
      expect(mails.map((m) => m.subject).sort()).toEqual(
        [expect.stringContaining('Bienvenue'), expect.stringContaining('Confirmez')].sort(),
      );
      const verification = mails.find((m) => m.subject.startsWith('Confirmez')) as Received;
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/email-verifications/${tokenIn(verification.text)}`,
        headers: { 'x-roster-tenant': slug },
      });
      expect(res.statusCode).toBe(204);
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().emailVerified).toBe(true);
      expect(
        (await t.app.inject({ method: 'POST', url: '/v1/email-verifications/nope', headers: { 'x-roster-tenant': slug } })).json().code,
      ).toBe('TOKEN_INVALID');
    });

    it('should use the tenant template for a locale and list sent mail', async () => {
      const { key } = await t.tenantWithKey();
      await t.request(key, {
        method: 'PATCH',
        url: '/v1/settings',
        payload: {
          mail: {
            from: 'HR <hr@acme.example>',
            templates: { en: { welcome: { subject: 'Hi {{name}} from {{tenant}}', text: 'Login: {{login}}' } } },
          },
        },
      });
      await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: {
          email: 'templ@example.com',
          username: 'templ',
          givenName: 'Tem',
          password: 'correct horse battery',
          sendWelcomeEmail: true,
        },
      });
      await waitFor(() => smtp.received.some((m) => m.to.includes('templ@example.com')));
      const mail = smtp.received.find((m) => m.to.includes('templ@example.com')) as Received;
      expect(mail.subject).toMatch(/^Hi Tem from /);
      expect(mail.text.trim()).toBe('Login: templ');
      const listed = await pollMail(t, key, (mail) => mail[0]?.status === 'sent');
      expect(listed[0]).toMatchObject({ to: 'templ@example.com', from: 'HR <hr@acme.example>', status: 'sent' });
    });
  });
}

describe('mail without SMTP', () => {
  it('should keep mail as stored and show it through GET /v1/mail, its link without a token', async () => {
    const t = await createTestApp(testDialects[0]!);
    try {
      const { key } = await t.tenantWithKey();
      await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'nosmtp@example.com', sendWelcomeEmail: true } });
      const listed = await pollMail(t, key, (mail) => mail[0]?.status === 'stored');
      expect(listed).toHaveLength(1);
      expect(listed[0]!.status).toBe('stored');
      expect(listed[0]!.text).toContain('/set-password?');
      expect(listed[0]!.text).toContain('token=[redacted]');
    } finally {
      await t.close();
    }
  });
});
