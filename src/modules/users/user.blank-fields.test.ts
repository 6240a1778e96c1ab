import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

// One reading of blank strings for every path (user.rules.ts): an empty or whitespace-only optional
// text field is absent. `email: ""` is "no email" where the tenant lets a user be without one (as in
// Keycloak), and FIELD_REQUIRED where the email is the username; names alike are stored as null.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: blank fields`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const create = (key: string, payload: Record<string, unknown>) => t.request(key, { method: 'POST', url: '/v1/users', payload });

    it('should read a blank email, username or name as absent on create and update', async () => {
      const { key } = await t.tenantWithKey();
      for (const blank of ['', '   ', '\t\n']) {
        const res = await create(key, {
          username: `blank${blank.length}`,
          email: blank,
          givenName: blank,
          familyName: 'Hopper',
          displayName: blank,
        });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({ email: null, givenName: null, displayName: null, familyName: 'Hopper' });
      }
      const both = await create(key, { email: '', username: ' ' });
      expect(both.statusCode).toBe(400);
      expect(both.json().errors).toEqual([expect.objectContaining({ path: '/email', code: 'IDENTIFIER_REQUIRED' })]);

      // An update with "" removes the email, as null does; a user with a username stays valid.
      const user = (await create(key, { username: 'had.mail', email: 'had@example.com', givenName: 'Ada' })).json();
      const cleared = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { email: '', givenName: ' ' } });
      expect(cleared.statusCode).toBe(200);
      expect(cleared.json()).toMatchObject({ email: null, givenName: null, username: 'had.mail' });
      // The address is free again.
      expect((await create(key, { email: 'had@example.com' })).statusCode).toBe(201);
      // A user whose email is its only identifier cannot lose it.
      const only = (await create(key, { email: 'only@example.com' })).json();
      const refused = await t.request(key, { method: 'PATCH', url: `/v1/users/${only.id}`, payload: { email: '  ' } });
      expect([refused.statusCode, refused.json().errors[0].code]).toEqual([400, 'IDENTIFIER_REQUIRED']);
    });

    it('should answer FIELD_REQUIRED naming email for a blank or missing one where the email is the username', async () => {
      const { key } = await t.tenantWithKey();
      await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { username: { emailAsUsername: true } } });
      for (const payload of [{ email: '' }, { email: ' ', givenName: 'Ada' }, { givenName: 'Ada' }]) {
        const res = await create(key, payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().errors).toEqual([expect.objectContaining({ path: '/email', code: 'FIELD_REQUIRED' })]);
      }
      expect((await create(key, { email: 'ada@example.com' })).json()).toMatchObject({
        email: 'ada@example.com',
        username: 'ada@example.com',
      });
    });

    it('should read blanks alike in batches, imports and SCIM', async () => {
      const { key } = await t.tenantWithKey();
      const batch = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: {
            users: [
              { username: 'in.batch', email: '', givenName: ' ' },
              { email: '', username: '' },
            ],
          },
        })
      ).json();
      expect(batch.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed']);
      expect(batch.results[0].user).toMatchObject({ email: null, givenName: null });
      expect(batch.results[1].error.errors[0]).toMatchObject({ path: '/email', code: 'IDENTIFIER_REQUIRED' });

      const csv = ['username,email,givenName', 'csv.one,,', 'csv.two, ,Two'].join('\n');
      const started = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(started.statusCode).toBe(202);
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 300 && job.status !== 'completed' && job.status !== 'failed'; i++) {
        job = (await t.request(key, { method: 'GET', url: `/v1/imports/${started.json().id}` })).json();
        if (job.status !== 'completed') await new Promise((r) => setImmediate(r));
      }
      expect(job).toMatchObject({ status: 'completed', created: 2, failed: 0 });
      const two = (await t.request(key, { method: 'GET', url: '/v1/users?username=csv.two' })).json().data[0];
      expect(two).toMatchObject({ email: null, givenName: 'Two' });

      const scim = await t.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify({
          schemas: [USER],
          userName: 'scim.blank',
          emails: [{ value: '', primary: true }],
          name: { givenName: '' },
        }),
      });
      expect(scim.statusCode).toBe(201);
      expect(scim.json().emails).toBeUndefined();
      expect(scim.json().name).toBeUndefined();
    });

    it('should refuse user@localhost and other single-label domains, as the README says', async () => {
      const { key } = await t.tenantWithKey();
      for (const email of ['user@localhost', 'root@intranet']) {
        const res = await create(key, { email });
        expect([res.statusCode, res.json().errors[0]]).toEqual([400, expect.objectContaining({ path: '/email', code: 'EMAIL_INVALID' })]);
      }
    });
  });
}
