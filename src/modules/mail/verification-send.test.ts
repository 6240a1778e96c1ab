import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokenIn, startSmtpSink, type SmtpSink } from '../../testing/smtp-sink.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: an admin sends a verification mail`, () => {
    let smtp: SmtpSink;
    let t: TestApp;
    let slug: string;
    let key: string;
    let tenantId: string;
    const send = (as: string, id: string) => t.request(as, { method: 'POST', url: `/v1/users/${id}/email-verification` });
    const verify = (token: string) =>
      t.app.inject({ method: 'POST', url: `/v1/email-verifications/${token}`, headers: { 'x-roster-tenant': slug } });

    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestApp(dialect, { env: { SMTP_URL: smtp.url } });
      ({ slug, key, tenantId } = await t.tenantWithKey());
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    it('should mail a link that verifies the address; only the newest link works; a verified address is refused', async () => {
      const user = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'unsure@acme.com' } });
      const id = user.json().id as string;
      expect(user.json().emailVerified).toBe(false);

      expect((await send(key, id)).statusCode).toBe(202);
      const first = linkTokenIn((await smtp.mailTo('unsure@acme.com', (m) => m.text.includes('/verify-email'))).text);
      expect((await send(key, id)).statusCode).toBe(202);
      const second = linkTokenIn(
        (await smtp.mailTo('unsure@acme.com', (m) => m.text.includes('/verify-email') && linkTokenIn(m.text) !== first)).text,
      );
      expect((await verify(first)).json()).toMatchObject({ code: 'TOKEN_INVALID' });
      expect((await verify(second)).statusCode).toBe(204);
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${id}` })).json().emailVerified).toBe(true);

      expect((await send(key, id)).json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: '/emailVerified', code: 'FIELD_INVALID' }],
      });
    });

    it('should need users:update, refuse a user without email, and answer 404 for an unknown id', async () => {
      const plain = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'plain@acme.com' } });
      const noEmail = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'nomail' } });
      const reader = await t.keyWithPermissions(tenantId, ['users:read']);
      expect((await send(reader, plain.json().id)).json()).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect((await send(key, noEmail.json().id)).json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: '/email', code: 'FIELD_REQUIRED' }],
      });
      expect((await send(key, '00000000-0000-7000-8000-000000000000')).json()).toMatchObject({ code: 'USER_NOT_FOUND' });
      const mails = await t.core.database.db
        .selectFrom('mailMessages')
        .select('id')
        .where('userId', '=', plain.json().id as string)
        .where('kind', '=', 'verify_email')
        .execute();
      expect(mails).toHaveLength(0);
    });
  });
}
