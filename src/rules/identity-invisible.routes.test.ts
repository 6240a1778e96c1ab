import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

// Names that render as `admin`, `root` or an existing user's name (M1), beyond the review's payloads.
const LOOK_ALIKE_NAMES = [
  'admin\u3164',
  '\u3164admin',
  'root\u115f',
  'ad\u00admin',
  'boss2\u3164',
  'boss2\uffa0',
  'bo\u1160ss2',
  'boss2\u034f',
  'boss2\u180e',
  'boss2\u2060',
  'boss2\ufe0f',
  'boss2\u{e0020}',
  'boss2\u{1d173}',
  'Ｂoss2\u3164',
];
// Addresses that IDNA would silently store as boss2@corp-a.com (M2).
const LOOK_ALIKE_EMAILS = [
  'boss2@corp-a.co\u034fm',
  'boss2@corp-a.com\ufe0f',
  'boss2@\u00adcorp-a.com',
  'boss2@corp\u200b-a.com',
  'boss2\u3164@corp-a.com',
];

describe.each(testDialects)('invisible characters in identities ($name)', (dialect) => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    if (!dialect.available) return;
    t = await createTestApp(dialect);
    ({ key } = await t.tenantWithKey());
    const boss = await t.request(key, {
      method: 'POST',
      url: '/v1/users',
      payload: { username: 'boss2', email: 'boss2@corp-a.com', password: 'Tr0ub4dor&3-horse-staple' },
    });
    expect(boss.statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  const userCount = async () => (await t.request(key, { method: 'GET', url: '/v1/users?limit=200' })).json().data.length as number;

  describe.skipIf(!dialect.available)('', () => {
    it('should refuse look-alike usernames and addresses on the native API, whatever the tenant pattern', async () => {
      const before = await userCount();
      for (const pattern of [undefined, '^.+$']) {
        if (pattern)
          expect((await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { username: { pattern } } })).statusCode).toBe(200);
        for (const username of LOOK_ALIKE_NAMES) {
          const res = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username } });
          expect([JSON.stringify(username), res.statusCode, res.json().errors?.[0]?.code]).toEqual([
            JSON.stringify(username),
            400,
            'USERNAME_INVALID',
          ]);
        }
        for (const email of LOOK_ALIKE_EMAILS) {
          const res = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email } });
          expect([JSON.stringify(email), res.statusCode, res.json().errors?.[0]?.code]).toEqual([
            JSON.stringify(email),
            400,
            'EMAIL_INVALID',
          ]);
        }
        const batch = await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: { mode: 'partial', users: LOOK_ALIKE_NAMES.map((username) => ({ username })) },
        });
        expect(batch.statusCode).toBeLessThan(500);
        expect(await userCount()).toBe(before);
      }
      // Renaming an existing user into a look-alike is refused the same way.
      const ada = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'ada-invisible' } })).json();
      const renamed = await t.request(key, { method: 'PATCH', url: `/v1/users/${ada.id}`, payload: { username: 'admin\u3164' } });
      expect([renamed.statusCode, renamed.json().errors?.[0]?.code]).toEqual([400, 'USERNAME_INVALID']);
      await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { username: { pattern: '^[\\p{L}\\p{N}._-]{3,64}$' } } });
    });

    it('should refuse them through SCIM too', async () => {
      const before = await userCount();
      const scim = (payload: unknown) =>
        t.app.inject({
          method: 'POST',
          url: '/scim/v2/Users',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
          payload: JSON.stringify(payload),
        });
      for (const userName of LOOK_ALIKE_NAMES) {
        const res = await scim({ schemas: [USER], userName });
        expect([JSON.stringify(userName), res.statusCode, res.json().scimType]).toEqual([JSON.stringify(userName), 400, 'invalidValue']);
      }
      for (const email of LOOK_ALIKE_EMAILS) {
        const res = await scim({ schemas: [USER], userName: `scim${Math.random().toString(36).slice(2, 8)}`, emails: [{ value: email }] });
        expect([JSON.stringify(email), res.statusCode, res.json().scimType]).toEqual([JSON.stringify(email), 400, 'invalidValue']);
      }
      expect(await userCount()).toBe(before);
    });

    it('should let an invisible variant of a login find the account it shows', async () => {
      const { slug } = await t.tenantWithKey().then(async (other) => {
        const made = await t.request(other.key, {
          method: 'POST',
          url: '/v1/users',
          payload: { username: 'carol', email: 'carol@corp-a.com', password: 'Tr0ub4dor&3-horse-staple' },
        });
        expect(made.statusCode).toBe(201);
        return other;
      });
      for (const login of ['carol@corp-a.co\u034fm', 'carol@corp-a.com\ufe0f', 'car\u00adol', 'carol\u3164', 'CAROL@corp-a.com']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'x-roster-tenant': slug },
          payload: { login, password: 'Tr0ub4dor&3-horse-staple' },
        });
        expect([JSON.stringify(login), res.statusCode, res.json().user?.username]).toEqual([JSON.stringify(login), 201, 'carol']);
      }
    });
  });
});
