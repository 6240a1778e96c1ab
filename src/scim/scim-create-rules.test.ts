import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

// What SCIM compliance suites expect of a create or replace: userName is required (RFC 7643 §4.1.1),
// and externalId names one user of the tenant (409 uniqueness).
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: SCIM create and replace rules`, () => {
    let t: TestApp;
    let key: string;
    let tenantId: string;
    beforeAll(async () => {
      t = await createTestApp(dialect, { poolSize: 10 });
      ({ key, tenantId } = await t.tenantWithKey());
    });
    afterAll(async () => t?.close());

    const scim = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/scim/v2${url}`,
        headers: { authorization: `Bearer ${key}`, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
        ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
      });
    const liveCount = async () =>
      Number(
        (
          await t.core.database.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('tenantId', '=', tenantId)
            .where('deletedAt', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const expectUserNameRequired = (res: { statusCode: number; json(): Record<string, unknown> }) => {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
      expect(res.json().detail).toMatch(/userName/);
    };

    it('should refuse a User without userName, or with a blank or non-string one, and create nothing', async () => {
      const before = await liveCount();
      // Before, Roster made one up from the email and answered 201.
      expectUserNameRequired(await scim('POST', '/Users', { schemas: [USER], emails: [{ value: 'nouser@acme.com', primary: true }] }));
      expectUserNameRequired(await scim('POST', '/Users', { schemas: [USER], userName: '   ', emails: [{ value: 'blank@acme.com' }] }));
      expectUserNameRequired(await scim('POST', '/Users', { schemas: [USER], userName: 42, emails: [{ value: 'number@acme.com' }] }));
      // Attribute names are case-insensitive: `UserName` is userName.
      expect((await scim('POST', '/Users', { schemas: [USER], UserName: 'cased.name' })).statusCode).toBe(201);
      const bulk = await scim('POST', '/Bulk', {
        schemas: [BULK],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER], emails: [{ value: 'bulk@acme.com' }] } }],
      });
      expect(bulk.json().Operations[0]).toMatchObject({ status: '400', response: { scimType: 'invalidValue' } });
      expect(await liveCount()).toBe(before + 1);
    });

    it('should refuse a PUT or PATCH that leaves the User without userName, and change nothing', async () => {
      const user = (await scim('POST', '/Users', { schemas: [USER], userName: 'kept.name', title: 'Before' })).json();
      expectUserNameRequired(await scim('PUT', `/Users/${user.id}`, { schemas: [USER], title: 'After' }));
      expectUserNameRequired(await scim('PUT', `/Users/${user.id}`, { schemas: [USER], userName: '', title: 'After' }));
      expectUserNameRequired(
        await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'userName' }] }),
      );
      expect((await scim('GET', `/Users/${user.id}`)).json()).toMatchObject({
        userName: 'kept.name',
        title: 'Before',
        meta: { version: user.meta.version },
      });
    });

    it('should answer 409 uniqueness for an externalId another user holds, on POST, PUT and PATCH', async () => {
      const holder = (await scim('POST', '/Users', { schemas: [USER], userName: 'holder', externalId: '00u-okta-1' })).json();
      const dup = await scim('POST', '/Users', { schemas: [USER], userName: 'second', externalId: '00u-okta-1' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json()).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect(dup.json().detail).toMatch(/externalId/);

      const other = (await scim('POST', '/Users', { schemas: [USER], userName: 'other', externalId: '00u-okta-2' })).json();
      const put = await scim('PUT', `/Users/${other.id}`, { schemas: [USER], userName: 'other', externalId: '00u-okta-1' });
      expect([put.statusCode, put.json().scimType]).toEqual([409, 'uniqueness']);
      const patch = await scim('PATCH', `/Users/${other.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'externalId', value: '00u-okta-1' }],
      });
      expect([patch.statusCode, patch.json().scimType]).toEqual([409, 'uniqueness']);

      const found = (await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "00u-okta-1"')}`)).json();
      expect(found).toMatchObject({ totalResults: 1, Resources: [{ id: holder.id }] });
      expect((await scim('GET', `/Users/${other.id}`)).json().externalId).toBe('00u-okta-2');
    });

    it('should create exactly one User when 30 SCIM creates send one externalId at once', async () => {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => scim('POST', '/Users', { schemas: [USER], userName: `race${i}`, externalId: 'entra-race' })),
      );
      expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.statusCode === 409 && r.json().scimType === 'uniqueness')).toHaveLength(29);
      expect((await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "entra-race"')}`)).json().totalResults).toBe(1);
    });
  });
}
