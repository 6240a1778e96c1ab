import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/secrets.js';
import { linkTokenIn, startSmtpSink, type SmtpSink } from '../../testing/smtp-sink.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';

const strip = (body: Record<string, unknown>) => {
  const { requestId: _requestId, ...rest } = body;
  return rest;
};
/** A live token looks like 40 base62 characters; the outbox must hold none. */
const LIVE_TOKEN = /token=[A-Za-z0-9]{20,}/;

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: mailed links and their tokens`, () => {
    let smtp: SmtpSink;
    let t: TestApp;
    let n = 0;
    const unique = (prefix: string) => `${prefix}${++n}x${Math.random().toString(36).slice(2, 6)}`;
    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestApp(dialect, {
        env: { SMTP_URL: smtp.url, ROSTER_PUBLIC_URL: 'https://id.example.com', ROSTER_MAIL_FROM_DOMAINS: 'acme.example,bücher.example' },
      });
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    const setPassword = (slug: string, token: string, password: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/password-setups/${encodeURIComponent(token)}`,
        headers: { 'x-roster-tenant': slug },
        payload: { password },
      });
    const verify = (slug: string, token: string) =>
      t.app.inject({ method: 'POST', url: `/v1/email-verifications/${encodeURIComponent(token)}`, headers: { 'x-roster-tenant': slug } });
    const login = (slug: string, loginName: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: { login: loginName, password } });
    const listMail = async (key: string) =>
      (await t.request(key, { method: 'GET', url: '/v1/mail' })).json().data as Array<{
        to: string;
        subject: string;
        text: string;
        status: string;
        from: string;
      }>;
    const storedMail = (tenantId: string) =>
      t.core.database.db
        .selectFrom('mailMessages')
        .select(['subject', 'textBody', 'toAddress', 'status', 'fromAddress'])
        .where('tenantId', '=', tenantId)
        .execute();

    /** A user with a welcome (set-password) and a verification mail, and the tokens the SMTP server received. */
    async function invited(key: string, extra: object = {}) {
      const email = `${unique('inv')}@acme.example`;
      const user = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email, roles: ['admin'], sendWelcomeEmail: true, sendVerificationEmail: true, ...extra },
        })
      ).json();
      const welcome = await smtp.mailTo(email, (m) => m.text.includes('/set-password'));
      const verification = await smtp.mailTo(email, (m) => m.text.includes('/verify-email'));
      return { user, email, setToken: linkTokenIn(welcome.text), verifyToken: linkTokenIn(verification.text) };
    }

    describe('H3: the outbox never shows a live link', () => {
      it('should show a settings:manage key sent mail with the token redacted, and keep no live token stored', async () => {
        const { key, slug, tenantId } = await t.tenantWithKey();
        const settingsOnly = await t.keyWithPermissions(tenantId, ['settings:manage']);
        const { email, setToken, verifyToken } = await invited(key);
        let listed = await listMail(settingsOnly);
        await until(async () => {
          listed = await listMail(settingsOnly);
          return listed.filter((m) => m.to === email && m.status === 'sent').length >= 2;
        }, 'both mails marked sent');
        const mine = listed.filter((m) => m.to === email);
        expect(mine.map((m) => m.status)).toEqual(['sent', 'sent']);
        for (const m of mine) {
          expect(m.text).toMatch(/https:\/\/id\.example\.com\/(set-password|verify-email)\?tenant=[^&\s]+&token=\[redacted\]/);
          expect(m.text).not.toMatch(LIVE_TOKEN);
          expect(m.text).not.toContain(setToken);
          expect(m.text).not.toContain(verifyToken);
        }
        // Stored state: neither the outbox nor the token table holds the tokens in clear.
        const rows = await storedMail(tenantId);
        expect(JSON.stringify(rows)).not.toMatch(LIVE_TOKEN);
        const tokens = await t.core.database.db.selectFrom('userTokens').select('tokenHash').where('tenantId', '=', tenantId).execute();
        expect(tokens.map((r) => r.tokenHash)).toEqual(expect.arrayContaining([sha256Hex(setToken), sha256Hex(verifyToken)]));
        expect(JSON.stringify(tokens)).not.toContain(setToken);
        // The mailed links still work.
        expect((await setPassword(slug, setToken, 'quiet harbour lantern 7')).statusCode).toBe(204);
        expect((await verify(slug, verifyToken)).statusCode).toBe(204);
      });

      it('should redact a link a tenant template puts in the subject, and links stored before the change', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const patched = await t.request(key, {
          method: 'PATCH',
          url: '/v1/settings',
          payload: {
            mail: { tokenTtlHours: 720, templates: { en: { welcome_set_password: { subject: 'Go {{link}}', text: 'nothing here' } } } },
          },
        });
        expect([patched.statusCode, patched.body]).toEqual([200, expect.anything()]);
        const email = `${unique('subj')}@acme.example`;
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { email, sendWelcomeEmail: true } });
        const received = await smtp.mailTo(email);
        const token = linkTokenIn(received.subject);
        // A row queued by an older version, with its token in clear.
        await t.core.database.db
          .insertInto('mailMessages')
          .values({
            tenantId,
            id: '00000000-0000-7000-8000-000000000001',
            userId: null,
            kind: 'welcome_set_password',
            fromAddress: 'Roster <no-reply@localhost>',
            toAddress: 'old@acme.example',
            subject: 'old',
            textBody: 'https://id.example.com/set-password?tenant=x&token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD&x=1',
            status: 'sent',
            attempts: 1,
            lastError: null,
            createdAt: new Date().toISOString(),
            sentAt: null,
          })
          .execute();
        const listed = await listMail(key);
        expect(JSON.stringify(listed)).not.toMatch(LIVE_TOKEN);
        expect(JSON.stringify(listed)).not.toContain(token);
        expect(listed.find((m) => m.to === email)?.subject).toBe(
          'Go https://id.example.com/set-password?tenant=' + received.subject.split('tenant=')[1]!.split('&')[0] + '&token=[redacted]',
        );
        expect(listed.find((m) => m.to === 'old@acme.example')?.text).toContain('token=[redacted]&x=1');
      });
    });

    describe('L4: a bad token answers alike, whatever the password', () => {
      it('should answer unknown, used, expired, malformed and other-purpose tokens identically, checking the token before the password', async () => {
        const { key, slug, tenantId } = await t.tenantWithKey();
        const used = await invited(key);
        expect((await setPassword(slug, used.setToken, 'quiet harbour lantern 7')).statusCode).toBe(204);
        expect((await verify(slug, used.verifyToken)).statusCode).toBe(204);
        const expired = await invited(key);
        await t.core.database.db
          .updateTable('userTokens')
          .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
          .where('tenantId', '=', tenantId)
          .where('tokenHash', 'in', [sha256Hex(expired.setToken), sha256Hex(expired.verifyToken)])
          .execute();
        const live = await invited(key);
        const otherTenant = await t.tenantWithKey();
        const foreign = await invited(otherTenant.key);

        const badForPassword = {
          unknown: 'A'.repeat(40),
          used: used.setToken,
          expired: expired.setToken,
          'other purpose': live.verifyToken,
          'other tenant': foreign.setToken,
          malformed: 'x',
          'very long': 'z'.repeat(900),
          punctuation: "'; drop table users; --",
          'reservation-like': `unsent:${live.user.id}`,
        };
        const reference = await setPassword(slug, 'nope', 'quiet harbour lantern 9');
        expect([reference.statusCode, reference.json().code]).toEqual([400, 'TOKEN_INVALID']);
        for (const [kind, token] of Object.entries(badForPassword)) {
          for (const password of ['quiet harbour lantern 9', 'short', 'password1', live.email]) {
            const res = await setPassword(slug, token, password);
            expect([kind, password, res.statusCode, strip(res.json())]).toEqual([kind, password, 400, strip(reference.json())]);
          }
        }
        const badForVerify = {
          unknown: 'B'.repeat(40),
          used: used.verifyToken,
          expired: expired.verifyToken,
          'other purpose': live.setToken,
          'other tenant': foreign.verifyToken,
          'very long': 'q'.repeat(900),
        };
        for (const [kind, token] of Object.entries(badForVerify)) {
          const res = await verify(slug, token);
          expect([kind, res.statusCode, strip(res.json())]).toEqual([kind, 400, strip(reference.json())]);
        }
        // Nothing was spent or changed by all that: the live tokens still work.
        expect((await setPassword(slug, live.setToken, 'short')).json().errors[0].code).toBe('PASSWORD_TOO_SHORT');
        expect((await setPassword(slug, live.setToken, 'quiet harbour lantern 8')).statusCode).toBe(204);
        expect((await verify(slug, live.verifyToken)).statusCode).toBe(204);
        expect((await t.request(key, { method: 'GET', url: `/v1/users/${expired.user.id}` })).json()).toMatchObject({
          hasPassword: false,
          emailVerified: false,
        });
      });
    });

    describe('M5: a password set through a link ends what was issued before', () => {
      const works = async (token: string) => (await t.request(token, { method: 'GET', url: '/v1/users?limit=1' })).statusCode;

      it('should end the personal tokens of an invited user when the welcome link sets the password', async () => {
        const { key, slug } = await t.tenantWithKey();
        const { user, email, setToken } = await invited(key);
        const personal = (await t.request(key, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'sync' } })).json()
          .token as string;
        expect(await works(personal)).toBe(200);
        expect((await setPassword(slug, setToken, 'quiet harbour lantern 7')).statusCode).toBe(204);
        expect(await works(personal)).toBe(401);
        expect((await login(slug, email, 'quiet harbour lantern 7')).statusCode).toBe(201);
      });

      it("should end every login session and personal token of a user whose password a link resets, and no one else's", async () => {
        const { key, slug, tenantId } = await t.tenantWithKey();
        const make = async () => {
          const email = `${unique('reset')}@acme.example`;
          const user = (
            await t.request(key, {
              method: 'POST',
              url: '/v1/users',
              payload: { email, roles: ['admin'], password: 'correct horse battery' },
            })
          ).json();
          const sessions = [
            (await login(slug, email, 'correct horse battery')).json().token as string,
            (await login(slug, email, 'correct horse battery')).json().token as string,
          ];
          const personal = (await t.request(key, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'sync' } })).json()
            .token as string;
          return { user, email, credentials: [...sessions, personal] };
        };
        const [victim, bystander] = [await make(), await make()];
        // A set-password link for the victim, issued as the mail worker would (only the hash is stored).
        const link = `reset${Math.random().toString(36).slice(2)}TokenForThisTest`;
        await t.core.database.db
          .insertInto('userTokens')
          .values({
            tenantId,
            tokenHash: sha256Hex(link),
            userId: victim.user.id,
            purpose: 'set_password',
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
            usedAt: null,
            createdAt: new Date().toISOString(),
          })
          .execute();
        for (const credential of [...victim.credentials, ...bystander.credentials]) expect(await works(credential)).toBe(200);
        expect((await setPassword(slug, link, 'a third harbour lantern 3')).statusCode).toBe(204);
        for (const credential of victim.credentials) expect(await works(credential)).toBe(401);
        for (const credential of bystander.credentials) expect(await works(credential)).toBe(200);
        const remaining = await t.core.database.db
          .selectFrom('sessions')
          .select('id')
          .where('tenantId', '=', tenantId)
          .where('userId', '=', victim.user.id)
          .execute();
        expect(remaining).toEqual([]);
        expect((await login(slug, victim.email, 'a third harbour lantern 3')).statusCode).toBe(201);
      });
    });

    describe('M6: the pages keep the token out of every URL they make', () => {
      const post = (url: string, fields: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(fields).toString(),
        });

      it('should give a refused password its form back with the token in the body only, and a dead link no form', async () => {
        const { key, slug } = await t.tenantWithKey();
        const { setToken } = await invited(key);
        for (const [password, confirm] of [
          ['password1', 'password1'],
          ['quiet harbour lantern 7', 'quiet harbour lantern 8'],
          ['x', 'x'],
        ]) {
          const res = await post('/set-password', {
            tenant: slug,
            token: setToken,
            password: password as string,
            confirm: confirm as string,
          });
          expect(res.statusCode).toBe(400);
          expect(res.body).toContain('<form method="post" action="/set-password">');
          expect(res.body).toContain(`name="token" value="${setToken}"`);
          expect(res.body).not.toMatch(/href="[^"]*token/);
          expect(res.body).not.toContain(`token=${setToken}`);
        }
        // A bad link says so first, even when the two passwords differ, and offers nothing to retry with.
        for (const fields of [
          { password: 'a', confirm: 'b' },
          { password: 'quiet harbour lantern 7', confirm: 'quiet harbour lantern 7' },
        ]) {
          const dead = await post('/set-password', { tenant: slug, token: 'A'.repeat(40), ...fields });
          expect([dead.statusCode, dead.body.includes('unknown, used or expired'), dead.body.includes('<form')]).toEqual([
            400,
            true,
            false,
          ]);
        }
        expect(
          (
            await post('/set-password', {
              tenant: slug,
              token: setToken,
              password: 'quiet harbour lantern 7',
              confirm: 'quiet harbour lantern 7',
            })
          ).statusCode,
        ).toBe(200);
      });
    });

    describe('L2: mail.from is limited to operator-allowed domains', () => {
      const patchFrom = (key: string, from: string) =>
        t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { mail: { from } } });

      it('should refuse senders outside ROSTER_MAIL_FROM_DOMAINS and accept a display name on an allowed address', async () => {
        const { key } = await t.tenantWithKey();
        for (const from of [
          'PayPal Security <security@paypal.com>',
          'security@paypal.com',
          'HR <hr@sub.acme.example>',
          'HR <hr@acme.example.evil.com>',
          'a@acme.example, b@evil.com',
          'HR <hr@acme.example> <x@evil.com>',
          'not an address',
          '"HR" <hr@evil.com>',
        ]) {
          const res = await patchFrom(key, from);
          expect([from, res.statusCode, res.json().code, res.json().errors?.[0]?.pointer ?? res.json().errors?.[0]?.path]).toEqual([
            from,
            400,
            'VALIDATION_FAILED',
            '/mail/from',
          ]);
          expect(res.json().errors[0].code).toBe('MAIL_FROM_NOT_ALLOWED');
        }
        for (const from of [
          'HR <hr@acme.example>',
          'HR <HR@ACME.EXAMPLE>',
          'Bücher <info@bücher.example>',
          'Acme People <no-reply@localhost>',
          'jobs@acme.example',
        ]) {
          expect([from, (await patchFrom(key, from)).statusCode]).toEqual([from, 200]);
        }
        expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().mail.from).toBe('jobs@acme.example');
      });

      it('should send as the operator when a stored sender is no longer allowed, keeping its display name', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        // Stored before the check (or before the operator narrowed the list).
        await t.core.database.db
          .updateTable('tenants')
          .set({ settings: JSON.stringify({ mail: { from: 'PayPal Security <security@paypal.com>' } }) })
          .where('id', '=', tenantId)
          .execute();
        const email = `${unique('spoof')}@acme.example`;
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email, password: 'correct horse battery', sendWelcomeEmail: true },
        });
        const received = await smtp.mailTo(email);
        expect(received.fromAddress).toBe('no-reply@localhost');
        expect(received.from).toContain('PayPal Security');
        // The worker records the sender it used once the SMTP server has accepted the mail: poll for that.
        let row = (await storedMail(tenantId)).find((m) => m.toAddress === email);
        for (let i = 0; i < 200 && row?.status !== 'sent'; i++) {
          await new Promise((r) => setTimeout(r, 20));
          row = (await storedMail(tenantId)).find((m) => m.toAddress === email);
        }
        expect([row?.status, row?.fromAddress]).toEqual(['sent', 'PayPal Security <no-reply@localhost>']);
        // An allowed sender goes out as set.
        expect((await patchFrom(key, 'HR <hr@acme.example>')).statusCode).toBe(200);
        const second = `${unique('ok')}@acme.example`;
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email: second, password: 'correct horse battery', sendWelcomeEmail: true },
        });
        expect((await smtp.mailTo(second)).fromAddress).toBe('hr@acme.example');
      });
    });
  });
}

describe('mail without SMTP_URL: no token exists in clear anywhere', () => {
  for (const dialect of testDialects) {
    it.skipIf(!dialect.available)(`${dialect.name}: stored mail keeps its link redacted and the default sender rules apply`, async () => {
      const t = await createTestApp(dialect);
      try {
        const { key, tenantId } = await t.tenantWithKey();
        const settingsOnly = await t.keyWithPermissions(tenantId, ['settings:manage']);
        await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email: 'nosmtp@acme.example', roles: ['admin'], sendWelcomeEmail: true, sendVerificationEmail: true },
        });
        let listed: Array<{ status: string; text: string }> = [];
        for (let i = 0; i < 200 && !(listed.length === 2 && listed.every((m) => m.status === 'stored')); i++) {
          listed = (await t.request(settingsOnly, { method: 'GET', url: '/v1/mail' })).json().data;
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(listed.map((m) => m.status)).toEqual(['stored', 'stored']);
        for (const m of listed) expect(m.text).toMatch(/\?tenant=[^&\s]+&token=\[redacted\]/);
        const stored = await t.core.database.db.selectFrom('mailMessages').select('textBody').where('tenantId', '=', tenantId).execute();
        expect(JSON.stringify(stored)).not.toMatch(LIVE_TOKEN);
        // No usable token exists at all: only reservations, which no presented token matches.
        const tokens = await t.core.database.db.selectFrom('userTokens').select('tokenHash').where('tenantId', '=', tenantId).execute();
        expect(tokens).toHaveLength(2);
        for (const { tokenHash } of tokens) expect(tokenHash).not.toMatch(/^[0-9a-f]{64}$/);
        // Without ROSTER_MAIL_FROM_DOMAINS only the built-in sender's address is allowed, under any name.
        expect(
          (await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { mail: { from: 'HR <hr@acme.example>' } } })).json()
            .errors[0].code,
        ).toBe('MAIL_FROM_NOT_ALLOWED');
        expect(
          (await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { mail: { from: 'Acme <no-reply@localhost>' } } }))
            .statusCode,
        ).toBe(200);
      } finally {
        await t.close();
      }
    });
  }
});
