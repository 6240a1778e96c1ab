import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: tenants API`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should create a tenant with a platform key, with settings and built-in roles', async () => {
      const res = await t.request(t.platformKey, {
        method: 'POST',
        url: '/v1/tenants',
        payload: { slug: 'acme-corp', name: 'Acme', defaultLocale: 'fr-fr', defaultTimezone: 'Europe/Paris' },
      });
      expect(res.statusCode).toBe(201);
      const tenant = res.json();
      expect(tenant).toMatchObject({
        slug: 'acme-corp',
        name: 'Acme',
        defaultLocale: 'fr-FR',
        defaultTimezone: 'Europe/Paris',
        seq: expect.any(Number),
      });
      expect(res.headers.location).toBe(`/v1/tenants/${tenant.id}`);
      const roles = await t.core.database.db.selectFrom('roles').select('name').where('tenantId', '=', tenant.id).orderBy('name').execute();
      expect(roles.map((r) => r.name)).toEqual(['admin', 'user']);
      // Users of the tenant get its defaults.
      const user = await t.request(t.platformKey, { method: 'POST', url: '/v1/users', tenant: 'acme-corp', payload: { username: 'jean' } });
      expect(user.json()).toMatchObject({ locale: 'fr-FR', timezone: 'Europe/Paris' });
    });

    it('should reject a duplicate slug with 409 and a bad slug, locale or zone with 400', async () => {
      await t.request(t.platformKey, { method: 'POST', url: '/v1/tenants', payload: { slug: 'dupe' } });
      const dup = await t.request(t.platformKey, { method: 'POST', url: '/v1/tenants', payload: { slug: 'dupe' } });
      expect([dup.statusCode, dup.json().code]).toEqual([409, 'TENANT_SLUG_TAKEN']);
      const bad = await t.request(t.platformKey, {
        method: 'POST',
        url: '/v1/tenants',
        payload: { slug: 'Not A Slug', defaultLocale: '??', defaultTimezone: 'Nowhere' },
      });
      expect(bad.statusCode).toBe(400);
      expect(
        bad
          .json()
          .errors.map((e: { code: string }) => e.code)
          .sort(),
      ).toEqual(['LOCALE_INVALID', 'SLUG_INVALID', 'TIMEZONE_INVALID']);
    });

    it('should refuse tenant management to tenant keys with 403', async () => {
      const { key } = await t.tenantWithKey('admin');
      const res = await t.request(key, { method: 'POST', url: '/v1/tenants', payload: { slug: 'sneaky' } });
      expect([res.statusCode, res.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      expect((await t.request(key, { method: 'GET', url: '/v1/tenants' })).statusCode).toBe(403);
    });

    it('should list tenants a page at a time', async () => {
      for (const slug of ['list-a', 'list-b', 'list-c'])
        await t.request(t.platformKey, { method: 'POST', url: '/v1/tenants', payload: { slug } });
      const first = (await t.request(t.platformKey, { method: 'GET', url: '/v1/tenants?limit=2' })).json();
      expect(first.data).toHaveLength(2);
      const second = (await t.request(t.platformKey, { method: 'GET', url: `/v1/tenants?limit=200&cursor=${first.nextCursor}` })).json();
      const slugs = [...first.data, ...second.data].map((x: { slug: string }) => x.slug);
      expect(slugs).toEqual(expect.arrayContaining(['list-a', 'list-b', 'list-c']));
      expect(new Set(slugs).size).toBe(slugs.length);
    });
  });
}
