import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

// H4 (ReDoS): tenant-written patterns reach the event loop through settings and attribute definitions.
// Every catastrophic pattern below would hold a backtracking engine for minutes on its input; the
// requests must come back (within vitest's testTimeout) with the ordinary answer.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: tenant patterns`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    let n = 0;
    const unique = (prefix = 'u') => `${prefix}${++n}x${Math.random().toString(36).slice(2, 7)}`;
    const settings = (key: string, body: object) => t.request(key, { method: 'PATCH', url: '/v1/settings', payload: body });
    const define = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/attributes', payload: body });
    const createUser = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/users', payload: body });
    const errorsOf = (res: { json(): { errors?: Array<{ path: string; code: string; message: string }> } }) => res.json().errors ?? [];

    it('should evaluate catastrophic username patterns in linear time', async () => {
      const { key } = await t.tenantWithKey();
      for (const [pattern, username] of [
        ['^([a-z]+)+$', `${'a'.repeat(60)}!`],
        ['^([a-z0-9]+[._-]?)*$', `${'ab1.'.repeat(15)}!`],
      ]) {
        expect((await settings(key, { username: { pattern } })).statusCode).toBe(200);
        const res = await createUser(key, { username });
        expect(res.statusCode).toBe(400);
        expect(errorsOf(res)).toEqual([expect.objectContaining({ path: '/username', code: 'USERNAME_INVALID' })]);
      }
      expect((await createUser(key, { username: 'alice.b-2' })).statusCode).toBe(201);
    });

    it('should evaluate catastrophic attribute patterns in linear time, without repeating the value', async () => {
      const { key } = await t.tenantWithKey();
      expect((await define(key, { key: 'code', type: 'string', pattern: '^(x|xx)+$' })).statusCode).toBe(201);
      expect((await define(key, { key: 'tags', type: 'string-list', pattern: '^(\\w+\\s?)*$' })).statusCode).toBe(201);
      const bad = await createUser(key, {
        username: unique(),
        attributes: { code: `${'x'.repeat(5_000)}!`, tags: ['ok tag', `${'tag '.repeat(2_000)}!`] },
      });
      expect(bad.statusCode).toBe(400);
      const errors = errorsOf(bad);
      expect(errors.map((e) => [e.path, e.code])).toEqual([
        ['/attributes/code', 'ATTRIBUTE_INVALID'],
        ['/attributes/tags', 'ATTRIBUTE_INVALID'],
      ]);
      for (const e of errors) expect(e.message.length).toBeLessThan(300);
      const good = await createUser(key, { username: unique(), attributes: { code: 'xxx', tags: ['one tag', 'two'] } });
      expect(good.statusCode).toBe(201);
      expect(good.json().attributes).toEqual({ code: 'xxx', tags: ['one tag', 'two'] });
    });

    it('should refuse at save, with 400 naming the field, patterns RE2 cannot run, and keep the stored one', async () => {
      const { key } = await t.tenantWithKey();
      await settings(key, { username: { pattern: '^[a-z]{2,20}$' } });
      for (const pattern of ['^([a-z])\\1+$', '^(?=.*[0-9])[a-z0-9]+$', '^(?!root)[a-z]+$', '^.{0,600}$']) {
        const res = await settings(key, { username: { pattern } });
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect(errorsOf(res)).toEqual([expect.objectContaining({ path: '/username/pattern', code: 'PATTERN_UNSUPPORTED' })]);
      }
      expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().username.pattern).toBe('^[a-z]{2,20}$');

      for (const pattern of ['(?<=@)corp\\.com$', '^(?<n>[a-z])\\k<n>$', '^a{2000}$']) {
        const res = await define(key, { key: unique('a'), type: 'string', pattern });
        expect(res.statusCode).toBe(400);
        expect(errorsOf(res)).toEqual([expect.objectContaining({ path: '/pattern', code: 'PATTERN_UNSUPPORTED' })]);
      }
      expect((await define(key, { key: 'dept', type: 'string', pattern: '^[A-Z]{3}$' })).statusCode).toBe(201);
      const patched = await t.request(key, { method: 'PATCH', url: '/v1/attributes/dept', payload: { pattern: '^(?!XXX)[A-Z]{3}$' } });
      expect(patched.statusCode).toBe(400);
      expect(errorsOf(patched)).toEqual([expect.objectContaining({ path: '/pattern', code: 'PATTERN_UNSUPPORTED' })]);
      const list = (await t.request(key, { method: 'GET', url: '/v1/attributes' })).json().data as Array<{ key: string; pattern?: string }>;
      expect(list.find((d) => d.key === 'dept')?.pattern).toBe('^[A-Z]{3}$');
    });

    it('should answer 400, never 500, when a pattern stored before these checks cannot be evaluated', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      expect((await define(key, { key: 'badge', type: 'string', pattern: '^B[0-9]+$' })).statusCode).toBe(201);
      // Written straight to the store, as a database from before this check holds them.
      await t.core.database.db
        .updateTable('tenants')
        .set({ settings: JSON.stringify({ username: { pattern: '^(\\w)\\1*$' } }) })
        .where('id', '=', tenantId)
        .execute();
      await t.core.database.db
        .updateTable('attributeDefinitions')
        .set({ definition: JSON.stringify({ type: 'string', pattern: '^(?=B)B[0-9]+$' }) })
        .where('tenantId', '=', tenantId)
        .where('key', '=', 'badge')
        .execute();

      const byName = await createUser(key, { username: 'aaa' });
      expect(byName.statusCode).toBe(400);
      expect(errorsOf(byName)).toEqual([expect.objectContaining({ path: '/username', code: 'PATTERN_UNSUPPORTED' })]);
      const byBadge = await createUser(key, { email: `${unique()}@acme.io`, attributes: { badge: 'B12' } });
      expect(byBadge.statusCode).toBe(400);
      expect(errorsOf(byBadge)).toEqual([
        expect.objectContaining({
          path: '/attributes/badge',
          code: 'ATTRIBUTE_INVALID',
          message: expect.stringContaining('an administrator must change it'),
        }),
      ]);

      // The admin sees why and repairs it; the same requests then pass.
      expect((await settings(key, { password: { minLength: 10 } })).json().errors).toEqual([
        expect.objectContaining({ path: '/username/pattern', code: 'PATTERN_UNSUPPORTED' }),
      ]);
      expect((await settings(key, { username: { pattern: '^(\\w)+$' } })).statusCode).toBe(200);
      expect((await t.request(key, { method: 'PATCH', url: '/v1/attributes/badge', payload: { pattern: '^B[0-9]+$' } })).statusCode).toBe(
        200,
      );
      expect((await createUser(key, { username: 'aaa', attributes: { badge: 'B12' } })).statusCode).toBe(201);
    });
  });
}
