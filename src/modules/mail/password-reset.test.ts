import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokenIn, startSmtpSink, type SmtpSink } from '../../testing/smtp-sink.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { until } from '../../testing/until.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: forgot password and the admin's reset mail`, () => {
    let smtp: SmtpSink;
    let t: TestApp;
    let slug: string;
    let key: string;
    let tenantId: string;
    const resetMails = async (userId: string) =>
      (
        await t.core.database.db
          .selectFrom('mailMessages')
          .select('id')
          .where('userId', '=', userId)
          .where('kind', '=', 'password_reset')
          .execute()
      ).length;
    const forgot = (login: string, tenant = slug) =>
      t.app.inject({ method: 'POST', url: '/v1/password-resets', headers: { 'x-roster-tenant': tenant }, payload: { login } });
    const login = (name: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: { login: name, password } });

    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestApp(dialect, { env: { SMTP_URL: smtp.url } });
      ({ slug, key, tenantId } = await t.tenantWithKey());
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    it('should mail a working reset link for an existing login, by email or username, and end the old sessions', async () => {
      const created = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'forgetful@acme.com', username: 'forgetful', password: 'Old-Passw0rd-horse-42' },
      });
      expect(created.statusCode).toBe(201);
      const oldSession = (await login('forgetful', 'Old-Passw0rd-horse-42')).json().token as string;

      const res = await forgot('FORGETFUL@acme.com');
      expect(res.statusCode).toBe(202);
      const mail = await smtp.mailTo('forgetful@acme.com', (m) => m.text.includes('/set-password'));
      const token = linkTokenIn(mail.text);
      const set = await t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${token}`,
        headers: { 'x-roster-tenant': slug },
        payload: { password: 'New-Passw0rd-lantern-77' },
      });
      expect(set.statusCode).toBe(204);
      expect((await login('forgetful', 'New-Passw0rd-lantern-77')).statusCode).toBe(201);
      expect((await login('forgetful', 'Old-Passw0rd-horse-42')).statusCode).toBe(401);
      expect((await t.request(oldSession, { method: 'GET', url: '/v1/roles' })).statusCode).toBe(401);
    });

    it('should answer unknown logins, inactive users and unknown tenants exactly as known ones, and mail nothing', async () => {
      const inactive = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'gone@acme.com', active: false } });
      expect(inactive.statusCode).toBe(201);
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'marker2@acme.com' } })).statusCode).toBe(201);
      const answers = [
        await forgot('nobody@acme.com'),
        await forgot('gone@acme.com'),
        await forgot('x', 'no-such-tenant'),
        await forgot('marker2@acme.com'),
      ];
      for (const a of answers) {
        expect(a.statusCode).toBe(202);
        expect(a.body).toBe(answers[0]?.body);
        expect(a.headers['content-length']).toBe(answers[0]?.headers['content-length']);
      }
      // The known login's mail arrives; by then the others' work has run too, and left nothing.
      await until(() => smtp.received.some((m) => m.to.includes('marker2@acme.com')), "the known login's mail");
      expect(smtp.received.some((m) => m.to.includes('nobody@acme.com') || m.to.includes('gone@acme.com'))).toBe(false);
      expect(await resetMails(inactive.json().id as string)).toBe(0);
    });

    it('should send at most one reset mail a minute per user, however often it is asked', async () => {
      const user = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'spammed@acme.com' } });
      const id = user.json().id as string;
      for (let i = 0; i < 5; i++) expect((await forgot('spammed@acme.com')).statusCode).toBe(202);
      await until(async () => (await resetMails(id)) >= 1, 'a reset mail');
      // The requests are handled in order after their answers; one more known request marks the end of the queue.
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'marker3@acme.com' } })).statusCode).toBe(201);
      expect((await forgot('marker3@acme.com')).statusCode).toBe(202);
      await until(() => smtp.received.some((m) => m.to.includes('marker3@acme.com')), "the marker's mail");
      expect(await resetMails(id)).toBe(1);
    });

    it('should let an admin send a reset mail, guarded like setting the password', async () => {
      const admin = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'boss@acme.com', roles: ['admin'] } });
      const plain = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'plain@acme.com' } });
      const noEmail = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'nomail' } });
      const helpdesk = await t.keyWithPermissions(tenantId, ['users:read', 'users:update']);
      const send = (as: string, id: string) => t.request(as, { method: 'POST', url: `/v1/users/${id}/password-reset` });

      expect((await send(helpdesk, admin.json().id)).statusCode).toBe(403);
      expect(await resetMails(admin.json().id)).toBe(0);
      expect((await send(helpdesk, plain.json().id)).statusCode).toBe(202);
      await smtp.mailTo('plain@acme.com', (m) => m.text.includes('/set-password'));
      expect((await send(key, admin.json().id)).statusCode).toBe(202);
      expect((await send(key, noEmail.json().id)).json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: '/email', code: 'FIELD_REQUIRED' }],
      });
      expect((await send(key, '00000000-0000-7000-8000-000000000000')).statusCode).toBe(404);
      const reader = await t.keyWithPermissions(tenantId, ['users:read']);
      expect((await send(reader, plain.json().id)).statusCode).toBe(403);
    });
  });
}
