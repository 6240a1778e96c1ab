import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProhibitedPersonName, DEFAULT_PROHIBITED_NAME_CHARACTERS } from '../../rules/person-name.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 19 items 4 and 6: markup in person names (Keycloak's person-name-prohibited-characters) and
// names a tenant can make required, on every path that creates or changes a user.
const MARKUP = [
  '<script>alert(1)</script>',
  '</\\name>',
  '<form action="https://evil.example/steal">',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%253Cscript%253E',
  '%25253Cform%25253E',
  '＜script＞',
  'Ada\u0007Lovelace',
];
const FINE = ["Zoë O'Brien-Łukasz", 'José María de la Cruz', '李小龍', 'Jean-Luc Picard Jr.', 'Nguyễn Văn A'];

describe('person-name rule', () => {
  it('should refuse markup in its plain, URL-encoded (once or more), fullwidth and control-character forms', () => {
    for (const name of MARKUP) expect([name, isProhibitedPersonName(name, DEFAULT_PROHIBITED_NAME_CHARACTERS)]).toEqual([name, true]);
  });
  it('should accept real names, and refuse only the configured set when one is given', () => {
    for (const name of FINE) expect([name, isProhibitedPersonName(name, DEFAULT_PROHIBITED_NAME_CHARACTERS)]).toEqual([name, false]);
    expect(isProhibitedPersonName('Smith & Sons', '<>')).toBe(false);
    expect(isProhibitedPersonName('%3Cb%3E', '<>')).toBe(true);
    expect(isProhibitedPersonName('<b>', '')).toBe(false);
    expect(isProhibitedPersonName('a\u0000b', '')).toBe(true);
  });
});

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: person names`, () => {
    let t: TestApp;
    let n = 0;
    const u = () => `nm${++n}x${Math.random().toString(36).slice(2, 6)}`;

    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const countUsers = async (tenantId: string) =>
      (await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).execute()).length;
    const scim = (key: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
        payload,
      });
    async function runImport(key: string, csv: string) {
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(res.statusCode).toBe(202);
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 300 && job.status !== 'completed' && job.status !== 'failed'; i++) {
        job = (await t.request(key, { method: 'GET', url: `/v1/imports/${res.json().id}` })).json();
        if (job.status !== 'completed') await new Promise((r) => setImmediate(r));
      }
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id as string}/errors` })).json();
      return { job, errors: errors.data as Array<{ row: number; code: string; field: string }> };
    }

    it('should refuse markup in every name field of a native create, and store nothing', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      for (const field of ['givenName', 'familyName', 'displayName', 'nickname']) {
        for (const name of MARKUP) {
          const res = await t.request(key, {
            method: 'POST',
            url: '/v1/users',
            payload: { email: `${u()}@example.com`, [field]: `  ${name} ` },
          });
          expect([field, name, res.statusCode, res.json().errors?.[0]]).toEqual([
            field,
            name,
            400,
            expect.objectContaining({ path: `/${field}`, code: 'NAME_INVALID' }),
          ]);
        }
      }
      expect(await countUsers(tenantId)).toBe(0);
      for (const name of FINE) {
        const res = await t.request(key, {
          method: 'POST',
          url: '/v1/users',
          payload: { email: `${u()}@example.com`, givenName: name, displayName: name },
        });
        expect([name, res.statusCode, res.json().givenName]).toEqual([name, 201, name]);
      }
    });

    it('should refuse markup on update (PATCH) and SCIM create, and keep the stored name', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const user = (
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, givenName: 'Ada' } })
      ).json();
      for (const payload of [{ givenName: '<script>x</script>' }, { familyName: '%3Cform%3E' }, { displayName: '</\\name>' }]) {
        const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload });
        expect([payload, res.statusCode, res.json().errors?.[0]?.code]).toEqual([payload, 400, 'NAME_INVALID']);
      }
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json()).toMatchObject({
        givenName: 'Ada',
        familyName: null,
        displayName: null,
      });
      for (const name of [{ givenName: '<script>alert(1)</script>' }, { familyName: '%253Cscript%253E' }]) {
        const res = await scim(key, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: u(), name });
        expect([name, res.statusCode, res.json().scimType]).toEqual([name, 400, 'invalidValue']);
      }
      const display = await scim(key, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: u(),
        displayName: '<form action=x>',
      });
      expect(display.statusCode).toBe(400);
      expect(await countUsers(tenantId)).toBe(1);
    });

    it('should fail only the items with markup in a partial batch, and the whole atomic batch', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const items = [
        { email: `${u()}@example.com`, givenName: 'Grace' },
        { email: `${u()}@example.com`, givenName: '<script>x</script>' },
        { email: `${u()}@example.com`, familyName: '%3Cb%3E' },
      ];
      const partial = (await t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { mode: 'partial', users: items } })).json();
      expect(
        partial.results.map((r: { status: string; error?: { errors?: Array<{ code: string }> } }) => [
          r.status,
          r.error?.errors?.[0]?.code,
        ]),
      ).toEqual([
        ['created', undefined],
        ['failed', 'NAME_INVALID'],
        ['failed', 'NAME_INVALID'],
      ]);
      const atomic = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: { mode: 'atomic', users: [{ email: `${u()}@example.com` }, { email: `${u()}@example.com`, displayName: '</\\name>' }] },
        })
      ).json();
      expect(atomic.results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'failed']);
      expect(await countUsers(tenantId)).toBe(1);
    });

    it('should report imported rows with markup in a name as per-row errors', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const csv = [
        'email,givenName,familyName',
        `${u()}@example.com,Ada,Lovelace`,
        `${u()}@example.com,<script>alert(1)</script>,X`,
        `${u()}@example.com,Y,%3Cform%3E`,
      ].join('\n');
      const { job, errors } = await runImport(key, csv);
      expect(job).toMatchObject({ status: 'completed', created: 1, failed: 2 });
      expect(errors.map((e) => [e.row, e.code, e.field])).toEqual([
        [2, 'NAME_INVALID', 'givenName'],
        [3, 'NAME_INVALID', 'familyName'],
      ]);
      expect(await countUsers(tenantId)).toBe(1);
    });

    it('should follow the tenant setting names.prohibitedCharacters (a smaller set, or off)', async () => {
      const { key } = await t.tenantWithKey();
      const settings = await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: { prohibitedCharacters: '<>' } } });
      expect(settings.statusCode).toBe(200);
      expect(settings.json().names).toEqual({ prohibitedCharacters: '<>', required: [] });
      expect(
        (
          await t.request(key, {
            method: 'POST',
            url: '/v1/users',
            payload: { email: `${u()}@example.com`, displayName: 'Smith & Sons (Ltd)' },
          })
        ).statusCode,
      ).toBe(201);
      expect(
        (
          await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, displayName: '%253Cb%253E' } })
        ).json().errors[0].code,
      ).toBe('NAME_INVALID');
      await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: { prohibitedCharacters: '' } } });
      expect(
        (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, displayName: '<b>Bold</b>' } }))
          .statusCode,
      ).toBe(201);
      // null resets the member to Keycloak's default set.
      const reset = await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: null } });
      expect(reset.json().names.prohibitedCharacters).toBe(DEFAULT_PROHIBITED_NAME_CHARACTERS);
      expect(
        (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, displayName: '<b>Bold</b>' } }))
          .statusCode,
      ).toBe(400);
    });

    it('should refuse a missing or blank required name (names.required) on create, batch, import and update', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      // Not required by default: blank is no name.
      const blank = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, givenName: '   ' } });
      expect([blank.statusCode, blank.json().givenName]).toEqual([201, null]);
      expect(
        (await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: { required: ['givenName', 'familyName'] } } }))
          .statusCode,
      ).toBe(200);
      for (const payload of [
        {},
        { givenName: 'Ada' },
        { givenName: '   ', familyName: 'Lovelace' },
        { givenName: 'Ada', familyName: '\t \n' },
      ]) {
        const res = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, ...payload } });
        expect([payload, res.statusCode, res.json().errors?.every((e: { code: string }) => e.code === 'FIELD_REQUIRED')]).toEqual([
          payload,
          400,
          true,
        ]);
      }
      const ok = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${u()}@example.com`, givenName: ' Ada ', familyName: 'Lovelace' },
      });
      expect([ok.statusCode, ok.json().givenName]).toEqual([201, 'Ada']);
      for (const payload of [{ givenName: null }, { familyName: '  ' }]) {
        const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${ok.json().id}`, payload });
        expect([payload, res.statusCode, res.json().errors?.[0]?.code]).toEqual([payload, 400, 'FIELD_REQUIRED']);
      }
      const batch = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: {
            mode: 'partial',
            users: [
              { email: `${u()}@example.com`, givenName: 'A', familyName: 'B' },
              { email: `${u()}@example.com`, givenName: 'A' },
            ],
          },
        })
      ).json();
      expect(batch.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed']);
      const { errors } = await runImport(key, ['email,givenName,familyName', `${u()}@example.com,Ada,  `].join('\n'));
      expect(errors.map((e) => [e.row, e.code, e.field])).toEqual([[1, 'FIELD_REQUIRED', 'familyName']]);
      expect(await countUsers(tenantId)).toBe(3);
      expect(
        (await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { names: { required: ['middleName'] } } })).statusCode,
      ).toBe(400);
    });
  });
}
