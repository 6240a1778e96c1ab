import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { defaultPolicies } from './settings.defaults.js';

// PATCH /v1/settings is a JSON Merge Patch: `null` resets what it names to the default, a whole policy
// or one member of it, and leaves the rest as the tenant set it.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: settings null resets`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const patch = (key: string, payload: Record<string, unknown>) => t.request(key, { method: 'PATCH', url: '/v1/settings', payload });
    const read = async (key: string) => (await t.request(key, { method: 'GET', url: '/v1/settings' })).json();
    const stored = async (tenantId: string) => {
      const row = await t.core.database.db.selectFrom('tenants').select('settings').where('id', '=', tenantId).executeTakeFirstOrThrow();
      return (typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings) as Record<string, Record<string, unknown>>;
    };

    it('should reset one member of a policy to its default and keep the others', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      expect(
        (
          await patch(key, {
            email: { blockFreeMail: true, deniedDomains: ['rival.example'] },
            password: { minLength: 12, requireDigit: true },
          })
        ).statusCode,
      ).toBe(200);
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'free@gmail.com' } })).json().errors[0].code).toBe(
        'EMAIL_DOMAIN_FREE_MAIL',
      );

      // Refused with FIELD_TYPE before: a nested null was not part of the schema.
      const reset = await patch(key, { email: { blockFreeMail: null }, password: { minLength: null } });
      expect(reset.statusCode).toBe(200);
      expect(reset.json()).toMatchObject({
        email: { blockFreeMail: defaultPolicies.email.blockFreeMail, deniedDomains: ['rival.example'] },
        password: { minLength: defaultPolicies.password.minLength, requireDigit: true },
      });
      expect(await read(key)).toMatchObject({
        email: { blockFreeMail: false, deniedDomains: ['rival.example'] },
        password: { minLength: 8, requireDigit: true },
      });
      // The member is no longer stored, so a later change of the default reaches this tenant.
      const settings = await stored(tenantId);
      expect(settings.email).toEqual({ deniedDomains: ['rival.example'] });
      expect(settings.password).toEqual({ requireDigit: true });
      // And the policy really applies the default again.
      expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'free@gmail.com' } })).statusCode).toBe(201);
    });

    it('should reset members of every policy, arrays and nested templates included, and whole policies', async () => {
      const { key } = await t.tenantWithKey();
      const template = { subject: 'Bienvenue', text: 'Bonjour {{name}} : {{link}}' };
      expect(
        (
          await patch(key, {
            username: { reserved: ['boss'], emailAsUsername: true },
            batch: { maxSize: 10 },
            names: { required: ['givenName'] },
            mail: { tokenTtlHours: 24, templates: { fr: { welcome: template, verify_email: template }, de: { welcome: template } } },
          })
        ).statusCode,
      ).toBe(200);
      const res = await patch(key, {
        username: { reserved: null },
        batch: { maxSize: null },
        names: { required: null },
        mail: { templates: { fr: { welcome: null }, de: null } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        username: { reserved: [], emailAsUsername: true },
        batch: { maxSize: 1000 },
        names: { required: [] },
        mail: { tokenTtlHours: 24, templates: { fr: { verify_email: template } } },
      });
      expect(res.json().mail.templates.de).toBeUndefined();
      expect(res.json().mail.templates.fr.welcome).toBeUndefined();

      const whole = await patch(key, { username: null, mail: null });
      expect(whole.statusCode).toBe(200);
      expect(whole.json()).toMatchObject({ username: defaultPolicies.username, mail: { tokenTtlHours: 72, templates: {} } });
    });

    it('should still refuse what is not a reset: unknown members, wrong types, and half a mail template', async () => {
      const { key } = await t.tenantWithKey();
      const unknown = await patch(key, { email: { blockEverything: null } });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().errors).toContainEqual(expect.objectContaining({ path: '/email/blockEverything', code: 'FIELD_UNKNOWN' }));
      expect((await patch(key, { password: { minLength: 'twelve' } })).statusCode).toBe(400);
      // A template is replaced whole: a patch cannot leave one without its text.
      expect((await patch(key, { mail: { templates: { fr: { welcome: { subject: 'Only a subject' } } } } })).statusCode).toBe(400);
      expect((await read(key)).mail.templates).toEqual({});
    });
  });
}
