import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

// Published bcrypt vector ("U*U", OpenBSD), imported as a user's hash.
const BCRYPT = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: secrets never leak`, () => {
    let t: TestApp;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    beforeAll(async () => {
      receiver = await startReceiver();
      t = await createTestApp(dialect);
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });

    it('should keep passwords, hashes, keys and tokens out of responses, errors, events, webhook payloads and logs', async () => {
      const { key, slug } = await t.tenantWithKey();
      const seen: string[] = [];
      const call = async (k: string | undefined, options: Parameters<TestApp['request']>[1], { record = true } = {}) => {
        const res = await t.request(k, options);
        if (record) seen.push(JSON.stringify(res.headers), res.body);
        return res;
      };
      // Answers that hand a secret out once, by design, are not recorded; everything after them is.
      const webhook = await call(key, { method: 'POST', url: '/v1/webhooks', payload: { url: receiver.url } }, { record: false });
      const webhookSecret = webhook.json().secret as string;
      const password = 'Correct-Horse-Battery-91';
      const user = (
        await call(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email: 'secret@acme.com', username: 'secret', password, roles: ['admin'] },
        })
      ).json();
      await call(key, { method: 'POST', url: '/v1/users', payload: { email: 'imported@acme.com', passwordHash: BCRYPT } });
      const generated = (
        await call(key, { method: 'POST', url: '/v1/users', payload: { email: 'gen@acme.com', generatePassword: true } }, { record: false })
      ).json().generatedPassword as string;
      await call(key, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: {
          users: [
            { email: 'batch@acme.com', password: 'Another-Secret-Pass-77' },
            { email: 'bad', password: 'Third-Secret-Pass-55' },
          ],
        },
      });
      const session = (
        await call(
          undefined,
          { method: 'POST', url: '/v1/sessions', tenant: slug, payload: { login: 'secret', password } },
          { record: false },
        )
      ).json().token as string;
      const personal = (
        await call(key, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'p' } }, { record: false })
      ).json().token as string;
      const newKey = (
        await call(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'k2', role: 'user' } }, { record: false })
      ).json().secret as string;

      // Failures that carry the secrets in the request.
      await call(undefined, { method: 'POST', url: '/v1/sessions', tenant: slug, payload: { login: 'secret', password: `${password}x` } });
      await call(key, { method: 'POST', url: '/v1/users', payload: { email: 'weak@acme.com', password: 'secret' } });
      await call(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { password: 'Brand-New-Secret-Pass-19' } });
      await call(`${newKey}x`, { method: 'GET', url: '/v1/users' });
      await call(session, { method: 'GET', url: `/v1/users/${user.id}` });
      await call(personal, { method: 'GET', url: '/v1/users' });
      await call(key, {
        method: 'POST',
        url: '/v1/users',
        headers: { 'content-type': 'application/json' },
        payload: `{"email":"x@acme.com","password":"${password}",`,
      });
      await call(key, { method: 'GET', url: '/v1/users?limit=200' });
      await call(key, { method: 'GET', url: '/v1/events?limit=200' });
      await receiver.waitFor((r) => r.length >= 5);
      const deliveries = await call(key, { method: 'GET', url: `/v1/webhooks/${webhook.json().id}/deliveries` });
      expect(deliveries.statusCode).toBe(200);

      const secrets = [
        password,
        'Another-Secret-Pass-77',
        'Third-Secret-Pass-55',
        'Brand-New-Secret-Pass-19',
        generated,
        session,
        personal,
        newKey,
        key,
        webhookSecret,
        BCRYPT,
      ];
      const places = {
        responses: seen.join('\n'),
        'webhook payloads': receiver.received.map((r) => r.body).join('\n'),
        logs: t.logs.lines.join('\n'),
      };
      for (const [where, text] of Object.entries(places)) {
        for (const secret of secrets) expect(text.includes(secret), `${where} contain a secret`).toBe(false);
        expect(text, where).not.toMatch(/\$argon2id\$|\$2[aby]\$\d\d\$/);
      }
      expect(places.logs).toContain('request completed');
    });
  });
}
