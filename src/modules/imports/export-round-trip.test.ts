import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import type { ImportJob } from './import.schemas.js';

const PASSWORD = 'a long passphrase for the round trip';

/** What a user is, without what the server sets (ids, times, versions). */
function comparable(user: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, tenantId: _t, seq: _s, createdAt: _c, updatedAt: _u, createdBy: _b, version: _v, groups, ...rest } = user;
  return { ...rest, groups: (groups as Array<{ type: string; code: string }>).map((g) => `${g.type}:${g.code}`) };
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: export is the import's inverse`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    async function seed(key: string) {
      await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'dept', code: 'ops', name: 'Ops' } });
      const users = [
        {
          email: 'ada@acme.com',
          username: 'ada',
          password: PASSWORD,
          givenName: 'Ada',
          familyName: 'Lovelace',
          displayName: 'Ada L.',
          nickname: 'Countess',
          bio: 'Wrote the first program; "quotes", commas, and\nnew lines',
          phone: '+33612345678',
          locale: 'fr-FR',
          timezone: 'Europe/Paris',
          position: 'Analyst',
          arrivalDate: '2020-01-02',
          dateOfBirth: '1990-12-10',
          cityOfBirth: 'London',
          countryOfBirth: 'GB',
          address: { street: '1 Main St', city: 'Paris', country: 'FR' },
          externalId: 'hr-1',
          userType: 'employee',
          pictureUrl: 'https://example.com/ada.png',
          emailVerified: true,
          requirePasswordChange: true,
          roles: ['user'],
          groups: ['dept:ops'],
        },
        { username: 'bob', givenName: 'Bob', position: '=SUM(A1)', active: false },
      ];
      for (const payload of users) {
        const res = await t.request(key, { method: 'POST', url: '/v1/users', payload });
        expect(res.statusCode, res.body).toBe(201);
      }
    }
    async function list(key: string) {
      return ((await t.request(key, { method: 'GET', url: '/v1/users?limit=100' })).json().data as Array<Record<string, unknown>>)
        .map(comparable)
        .sort((a, b) => String(a.username).localeCompare(String(b.username)));
    }

    for (const [format, type, mode] of [
      ['csv', 'text/csv', 'create'],
      ['ndjson', 'application/x-ndjson', 'upsert'],
    ] as const) {
      it(`should re-import a ${format} export into another tenant (${mode}) with every field, and password hashes only with users:export-secrets`, async () => {
        const source = await t.tenantWithKey();
        await seed(source.key);
        // Hashes need the dedicated permission: a key with users:read alone is refused before anything is sent.
        const reader = await t.keyWithPermissions(source.tenantId, ['users:read']);
        const refused = await t.request(reader, { method: 'GET', url: `/v1/exports/users?format=${format}&passwordHashes=true` });
        expect([refused.statusCode, refused.json().code]).toEqual([403, 'PERMISSION_DENIED']);
        const plain = await t.request(reader, { method: 'GET', url: `/v1/exports/users?format=${format}` });
        expect(plain.statusCode).toBe(200);
        expect(plain.body).not.toContain('$argon2');
        if (format === 'csv') expect(plain.body.split('\n')[0]).toContain(',bio,');

        const exported = await t.request(source.key, { method: 'GET', url: `/v1/exports/users?format=${format}&passwordHashes=true` });
        expect(exported.statusCode).toBe(200);
        expect(exported.headers['content-type']).toContain(type);
        expect(exported.body).toContain('$argon2id$');

        const target = await t.tenantWithKey();
        await t.request(target.key, { method: 'POST', url: '/v1/groups', payload: { type: 'dept', code: 'ops', name: 'Ops' } });
        const res = await t.request(target.key, {
          method: 'POST',
          url: `/v1/imports?mode=${mode}`,
          headers: { 'content-type': type },
          payload: exported.body,
        });
        expect(res.statusCode, res.body).toBe(202);
        const job: ImportJob = await t.waitForImport(target.key, res.json().id);
        expect(job).toMatchObject({ status: 'completed', created: 2, failed: 0 });

        expect(await list(target.key)).toEqual(await list(source.key));
        // The hash came along: Ada signs in to the new tenant with her old password.
        const login = await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'x-roster-tenant': target.slug },
          payload: { login: 'ada', password: PASSWORD },
        });
        expect(login.statusCode).toBe(201);
      });
    }
  });
}
