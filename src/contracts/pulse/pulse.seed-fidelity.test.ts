import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../testing/preset-tenant.js';
import { pulseExamples } from '../testing/seed-examples.js';
import { compile, problems } from '../testing/seed-schemas.js';
import { pulseUserSchema } from '../testing/prose-seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 20: seed 001's examples on a tenant with the pulse preset (docs/contracts/pulse.md).
const validUser = compile({ ...pulseUserSchema, additionalProperties: false });

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Pulse accepts what seed 001 accepts (issue 20)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    const examples = pulseExamples();
    beforeAll(async () => {
      t = await createTestApp(dialect);
      // The seed's x-account-id example is "2311": an account named so (a slug of digits names the tenant first).
      tenant = await presetTenant(t, 'pulse', { slug: examples.accountId });
    });
    afterAll(async () => t?.close());

    const post = (body: unknown, account = examples.accountId) =>
      t.request(tenant.key, { method: 'POST', url: '/compat/pulse/users', payload: body as object, headers: { 'x-account-id': account } });
    let n = 0;
    const email = () => `p${++n}.${Math.random().toString(36).slice(2, 7)}@acme.com`;

    it("should take the seed's x-account-id example verbatim, with the example body's one member", async () => {
      expect(examples).toEqual({ body: { email: 'string' }, accountId: '2311' });
      const res = await post({ email: email() });
      expect(res.statusCode, res.body).toBe(201);
      expect(problems(validUser, res.json())).toEqual([]);
      expect(res.json().accounts[0].accountId).toBe(String((await t.core.tenants.getTenant(tenant.tenantId)).seq));
    });

    it('should refuse the example body\'s placeholder "string" as an email: the seed\'s User states format: email (documented deviation)', async () => {
      const res = await post(examples.body);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/email/);
    });

    it('should accept any phone and name text (no 400), the phone stored as E.164 when it reads as a number', async () => {
      for (const [phone, stored] of [
        ['+1 415 555 0132', '+14155550132'],
        ['(415) 555-0132', '(415) 555-0132'],
        ['N/A', 'N/A'],
        ['ext. 42', 'ext. 42'],
      ] as const) {
        const res = await post({ email: email(), phone, name: 'ÉLODIE de la Cruz' });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().phone).toBe(stored);
        expect(problems(validUser, res.json())).toEqual([]);
      }
    });
  });
}
