import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../testing/preset-tenant.js';
import { fleetExamples } from '../testing/seed-examples.js';
import { compile, fleetSeed, problems } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 20: seed 004's example request works verbatim on a tenant with the fleet preset, and its free
// strings take any string (docs/contracts/fleet.md).
const seed = fleetSeed();
const validRequest = compile(seed.request);
const validCreated = compile(seed.responses['201']);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Fleet accepts what seed 004 accepts (issue 20)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let fleetKey: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await presetTenant(t, 'fleet');
      fleetKey = (
        await t.request(tenant.key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'fleet', role: 'admin', prefix: 'flt_sk_' } })
      ).json().secret;
    });
    afterAll(async () => t?.close());

    const post = (body: unknown, key = fleetKey) => t.request(key, { method: 'POST', url: '/compat/fleet/users', payload: body as object });
    let n = 0;
    const email = (domain = 'acme.com') => `f${++n}.${Math.random().toString(36).slice(2, 7)}@${domain}`;

    it("should create the user of the seed's example request, every example value verbatim", async () => {
      const { body, found } = fleetExamples();
      expect(found).toHaveLength(14);
      expect(problems(validRequest, body)).toEqual([]);
      const res = await post(body);
      expect(res.statusCode, res.body).toBe(201);
      expect(problems(validCreated, res.json())).toEqual([]);
      expect(res.json().data).toMatchObject({
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+33123456789',
        phone_country: 'FR',
        language: 'fr',
        position: 'Software engineer',
        arrival_date: '2024-01-15',
        departure_date: '2026-12-31',
        date_of_birth: '1990-05-21',
        city_of_birth: 'Paris',
        country_of_birth: 'FR',
        role: 'EMPLOYEE',
      });
      // hunter2 is the user's password: the preset runs the policy the seed states (none).
      const login = await t.request(undefined, {
        method: 'POST',
        url: '/v1/sessions',
        tenant: tenant.slug,
        payload: { login: 'ada@example.com', password: 'hunter2' },
      });
      expect(login.statusCode, login.body).toBe(201);
    });

    it('should never count the reserved documentation domains as personal, on any tenant, and still refuse real free-mail', async () => {
      const plain = await t.tenantWithKey();
      for (const domain of ['example.com', 'example.org', 'corp.example']) {
        expect((await post({ email: email(domain) }, plain.key)).statusCode, domain).toBe(201);
      }
      for (const domain of ['gmail.com', 'yahoo.fr']) {
        const res = await post({ email: email(domain) }, plain.key);
        expect(res.statusCode, domain).toBe(400);
        expect(res.json().error.fields[0].code).toBe('EMAIL_DOMAIN_FREE_MAIL');
      }
    });

    it('should refuse hunter2 on a tenant without the preset: the native password policy is the default', async () => {
      const plain = await t.tenantWithKey();
      const res = await post({ email: email(), password: 'hunter2' }, plain.key);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.fields.map((f: { field: string }) => f.field)).toContain('password');
    });

    it("should accept values outside Roster's vocabulary for every free-string member (no 400)", async () => {
      const variants: Array<Record<string, unknown>> = [
        { first_name: 'ÉLODIE', last_name: 'de la Cruz' },
        { first_name: '', last_name: '' },
        { phone: '01 23 45 67 89' },
        { phone: '(212) 736-5000' },
        { phone: 'N/A' },
        { phone: '' },
        { phone: '01 23 45 67 89', phone_country: '+33' },
        { phone: '01 23 45 67 89', phone_country: 'France' },
        { phone: '01 23 45 67 89', phone_country: 'fra' },
        { phone: '01 23 45 67 89', phone_country: 'n/a' },
        { phone_country: 'FR' },
        { password: 'a' },
        { password: 'password' },
        { language: 'fr_FR' },
        { language: 'French' },
        { language: 'EN-us' },
        { language: '' },
        { language: 'Français (France)' },
        { position: '' },
        { position: 'Chief Everything Officer (interim)' },
        { city_of_birth: 'SAINT-ÉTIENNE' },
        { city_of_birth: '' },
        { country_of_birth: 'France' },
        { country_of_birth: 'FRA' },
        { country_of_birth: 'fr' },
        { country_of_birth: 'Middle-earth' },
        { country_of_birth: '' },
      ];
      for (const extra of variants) {
        const body = { email: email(), ...extra };
        expect(problems(validRequest, body), JSON.stringify(extra)).toEqual([]);
        const res = await post(body);
        expect(res.statusCode, `${JSON.stringify(extra)} → ${res.body}`).toBe(201);
        expect(problems(validCreated, res.json()), JSON.stringify(extra)).toEqual([]);
      }
    });

    it('should remove spaces from a phone it cannot read and keep it, read national numbers with a dialing-code or named phone_country, and store country names as codes', async () => {
      const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [{ phone: '01 23 45 67 89' }, { phone: '0123456789', phone_country: null }],
        [
          { phone: '01 23 45 67 89', phone_country: '+33' },
          { phone: '+33123456789', phone_country: 'FR' },
        ],
        [
          { phone: '01 23 45 67 89', phone_country: 'France' },
          { phone: '+33123456789', phone_country: 'FR' },
        ],
        [
          { phone: '01 23 45 67 89', phone_country: 'n/a' },
          { phone: '0123456789', phone_country: 'n/a' },
        ],
        [{ country_of_birth: 'France' }, { country_of_birth: 'FR' }],
        [{ country_of_birth: 'DEU' }, { country_of_birth: 'DE' }],
        [{ country_of_birth: 'Middle-earth' }, { country_of_birth: 'Middle-earth' }],
        [{ language: 'fr_FR' }, { language: 'fr-FR' }],
        [{ language: '' }, { language: 'en' }],
        [{ language: 'Français (France)' }, { language: 'Français (France)' }],
      ];
      for (const [extra, expected] of cases) {
        const res = await post({ email: email(), ...extra });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().data, JSON.stringify(extra)).toMatchObject(expected);
      }
    });
  });
}
