import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, fleetSeed, problems } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const seed = fleetSeed();
const validRequest = compile(seed.request);
const validCreated = compile(seed.responses['201']);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Fleet contract (seed 004)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let fleetKey: string;
    let companyId: number;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      await t.request(tenant.key, {
        method: 'PATCH',
        url: '/v1/settings',
        payload: { defaultLocale: 'fr', email: { blockFreeMail: false } },
      });
      const key = await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/api-keys',
        payload: { name: 'fleet', role: 'admin', prefix: 'flt_sk_' },
      });
      expect(key.statusCode).toBe(201);
      fleetKey = key.json().secret;
      companyId =
        (await t.request(tenant.key, { method: 'GET', url: '/v1/settings' })).statusCode === 200
          ? (await t.core.tenants.getTenant(tenant.tenantId)).seq
          : 0;
    });
    afterAll(async () => t?.close());

    const post = (key: string | undefined, body: unknown) =>
      t.request(key, { method: 'POST', url: '/compat/fleet/users', payload: body as object });
    let n = 0;
    const email = (domain = 'acme.com') => `person${++n}.${Math.random().toString(36).slice(2, 7)}@${domain}`;

    it('should issue keys in Fleet form (flt_sk_…) that authenticate', () => {
      expect(fleetKey).toMatch(/^flt_sk_[A-Za-z0-9]{48}$/);
    });

    it('should create a user from the documented body and answer 201 in the documented shape', async () => {
      const body = {
        email: email(),
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+33 1 23 45 67 89',
        phone_country: 'FR',
        password: 'correct horse battery staple',
        position: 'Software engineer',
        arrival_date: '2024-01-15',
        departure_date: '2026-12-31T10:00:00Z',
        date_of_birth: '1990-05-21',
        city_of_birth: 'Paris',
        country_of_birth: 'FR',
        role: 'ADMIN',
      };
      expect(problems(validRequest, body)).toEqual([]);
      const res = await post(fleetKey, body);
      expect(res.statusCode).toBe(201);
      expect(problems(validCreated, res.json())).toEqual([]);
      expect(res.json().data).toEqual({
        id: expect.any(Number),
        company_id: companyId,
        email: body.email,
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+33123456789',
        phone_country: 'FR',
        language: 'fr',
        position: 'Software engineer',
        role: 'ADMIN',
        arrival_date: '2024-01-15',
        departure_date: '2026-12-31',
        date_of_birth: '1990-05-21',
        city_of_birth: 'Paris',
        country_of_birth: 'FR',
      });
      // The same user through the native API: stored once, with Roster's admin role and a password.
      const native = (await t.request(tenant.key, { method: 'GET', url: `/v1/users?email=${encodeURIComponent(body.email)}` })).json()
        .data[0];
      expect(native).toMatchObject({ seq: res.json().data.id, roles: ['admin'], hasPassword: true, locale: 'fr' });
    });

    it('should need only email, defaulting role to EMPLOYEE and language to the company default', async () => {
      const res = await post(fleetKey, { email: email() });
      expect(res.statusCode).toBe(201);
      expect(problems(validCreated, res.json())).toEqual([]);
      expect(res.json().data).toMatchObject({ role: 'EMPLOYEE', language: 'fr', first_name: null, phone: null, phone_country: null });
    });

    it('should honour phone_country for a national number', async () => {
      const res = await post(fleetKey, { email: email(), phone: '01 23 45 67 89', phone_country: 'FR' });
      expect(res.json().data).toMatchObject({ phone: '+33123456789', phone_country: 'FR' });
    });

    it('should refuse personal and disposable domains although the tenant allows personal ones', async () => {
      for (const [domain, code] of [
        ['gmail.com', 'EMAIL_DOMAIN_FREE_MAIL'],
        ['mailinator.com', 'EMAIL_DOMAIN_DISPOSABLE'],
      ]) {
        const res = await post(fleetKey, { email: email(domain) });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.fields).toEqual([expect.objectContaining({ field: 'email', code })]);
      }
      // The native API keeps the tenant's own policy.
      expect((await t.request(tenant.key, { method: 'POST', url: '/v1/users', payload: { email: email('gmail.com') } })).statusCode).toBe(
        201,
      );
    });

    it('should answer 400 naming Fleet fields, 409 for a taken email, in one error format', async () => {
      const missing = await post(fleetKey, { first_name: 'No email' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [expect.objectContaining({ field: 'email', code: 'FIELD_REQUIRED' })],
      });
      const bad = await post(fleetKey, { email: email(), date_of_birth: 'yesterday', role: 'OWNER' });
      expect(bad.statusCode).toBe(400);
      const taken = email();
      expect((await post(fleetKey, { email: taken })).statusCode).toBe(201);
      const again = await post(fleetKey, { email: taken.toUpperCase() });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatchObject({ code: 'USER_EMAIL_TAKEN', fields: [expect.objectContaining({ field: 'email' })] });
    });

    it('should answer 401 without a valid key and 403 without the permission or for ADMIN from a non-admin', async () => {
      expect((await post(undefined, { email: email() })).statusCode).toBe(401);
      expect((await post('flt_sk_' + 'x'.repeat(48), { email: email() })).json().error.code).toBe('UNAUTHENTICATED');
      const reader = await t.keyWithPermissions(tenant.tenantId, ['users:read']);
      expect((await post(reader, { email: email() })).statusCode).toBe(403);
      const creator = await t.keyWithPermissions(tenant.tenantId, ['users:create', 'users:read']);
      expect((await post(creator, { email: email() })).statusCode).toBe(201);
      const escalate = await post(creator, { email: email(), role: 'ADMIN' });
      expect(escalate.statusCode).toBe(403);
      expect(escalate.json().error.code).toBe('PERMISSION_DENIED');
    });
  });
}
