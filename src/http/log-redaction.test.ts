import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { redactQuery, UrlRedactor } from './log-redaction.js';

const sqlite = testDialects.find((d) => d.name === 'sqlite') as (typeof testDialects)[number];

/** Token shapes a mail link or a client may carry: base64url, hex, and a short mixed one. Unique per test run. */
function tokens(): string[] {
  const salt = Math.random().toString(36).slice(2, 8);
  return [
    `Zk9xQ2${salt}hXv-_3mP0aLwR8sTqYbN4cJdEeUfGgHiIjKk`,
    `9f86d081884c7d659a2feaa0c55ad015${salt}a3bf4f1b2b0b822cd15d6c15b0f00a08`,
    `tok${salt}Q7`,
  ];
}

for (const level of ['info', 'trace']) {
  describe(`mail tokens never reach the log (M6), LOG_LEVEL=${level}`, () => {
    let t: TestApp;
    let tenant: { slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(sqlite, { env: { LOG_LEVEL: level } });
      tenant = await t.tenantWithKey();
    });
    afterAll(async () => t?.close());

    const logOf = () => t.logs.lines.join('\n');

    it('should redact token query values of the mail pages and any secret-looking query parameter', async () => {
      const [a, b, c] = tokens() as [string, string, string];
      const requests = [
        `/set-password?tenant=${tenant.slug}&token=${a}`,
        `/set-password?token=${b}&tenant=${tenant.slug}`,
        `/verify-email?tenant=${tenant.slug}&token=${c}`,
        `/set-password?tenant=${tenant.slug}&%74oken=${a}`,
        `/set-password?tenant=${tenant.slug}&token=${b}&token=${c}`,
      ];
      // (Only the log is asserted here: a repeated token parameter currently answers 500 from the page, reported separately.)
      for (const url of requests) await t.app.inject({ method: 'GET', url });
      for (const url of [
        `/v1/users?access_token=${a}`,
        `/v1/users?api_key=${b}&limit=1`,
        `/v1/users?client_secret=${c}`,
        `/v1/users?code=${a}&password=${b}`,
      ]) {
        await t.request(tenant.key, { method: 'GET', url });
      }
      const log = logOf();
      for (const token of [a, b, c]) expect(log).not.toContain(token);
      // The request is still logged, with its route and the tenant it named.
      expect(log).toContain(`"url":"/set-password?tenant=${tenant.slug}&token=[redacted]"`);
      expect(log).toContain('"url":"/v1/users?api_key=[redacted]&limit=1"');
    });

    it('should redact token path segments of the token routes, however the URL is spelled and whatever the method', async () => {
      const [a, b, c] = tokens() as [string, string, string];
      const sends = [
        { method: 'POST', url: `/v1/password-setups/${a}`, payload: { password: 'Correct-Horse-Battery-91' } },
        { method: 'POST', url: `/v1/email-verifications/${b}`, payload: {} },
        { method: 'POST', url: `/v1/password-setups/${c}`, payload: { password: 'x' } },
        // Methods the routes do not have (404), and odd spellings of the path.
        { method: 'GET', url: `/v1/password-setups/${a}` },
        { method: 'PUT', url: `/v1/email-verifications/${c}?x=1` },
        { method: 'POST', url: `/v1//password-setups/${b}/`, payload: {} },
        { method: 'POST', url: `/V1/Password-Setups/${c}`, payload: {} },
        { method: 'POST', url: `/v1/password%2Dsetups/${a}/extra`, payload: {} },
        // URLs Fastify refuses before routing: a malformed escape, a segment over the router's limit.
        { method: 'POST', url: `/v1/password-setups/${b}%E0%A4%A`, payload: {} },
        { method: 'POST', url: `/v1/email-verifications/${c}${'x'.repeat(1200)}`, payload: {} },
        { method: 'GET', url: `/set-password/%E0%A4%A?token=${a}` },
      ] as const;
      for (const send of sends) {
        const res = await t.app.inject({ ...send, headers: { 'x-roster-tenant': tenant.slug } });
        expect(res.statusCode).toBeLessThan(500);
      }
      const log = logOf();
      for (const token of [a, b, c]) expect(log).not.toContain(token);
      expect(log).toContain('"route":"/v1/password-setups/:token","url":"/v1/password-setups/[redacted]"');
      expect(log).toContain('"route":"/v1/email-verifications/:token","url":"/v1/email-verifications/[redacted]"');
    });
  });
}

describe('UrlRedactor', () => {
  it('should keep ids and ordinary query values, and redact only secrets', () => {
    expect(redactQuery('limit=10&cursor=abc&email=a%40b.c')).toBe('limit=10&cursor=abc&email=a%40b.c');
    expect(redactQuery('tenant=acme&token=s3cr3t&signature=x&flag')).toBe('tenant=acme&token=[redacted]&signature=[redacted]&flag');
    const redactor = new UrlRedactor();
    expect(redactor.redact('/v1/users/0b5c/tokens/1234?limit=2')).toBe('/v1/users/0b5c/tokens/1234?limit=2');
  });
});
