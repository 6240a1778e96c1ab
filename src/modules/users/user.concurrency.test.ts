import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// On PostgreSQL these requests run on 10 pooled connections at once, so the losers really race the winner.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: concurrent creates`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { poolSize: 10 });
    });
    afterAll(async () => t?.close());

    const cases = (base: string) =>
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0 ? base.toUpperCase() : i % 3 === 1 ? base : base.replace(/^./, (c) => c.toUpperCase()),
      );

    it('should create exactly one user when 30 requests send one email in mixed case at once', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const responses = await Promise.all(
        cases('race@example.com').map((email) => t.request(key, { method: 'POST', url: '/v1/users', payload: { email } })),
      );
      const statuses = responses.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(29);
      for (const r of responses.filter((r) => r.statusCode === 409)) expect(r.json().code).toBe('USER_EMAIL_TAKEN');
      const rows = await t.core.database.db
        .selectFrom('users')
        .select('id')
        .where('tenantId', '=', tenantId)
        .where('deletedAt', 'is', null)
        .execute();
      expect(rows).toHaveLength(1);
    });

    it('should create exactly one user when 30 requests send one username in mixed case at once', async () => {
      const { key } = await t.tenantWithKey();
      const responses = await Promise.all(
        cases('racer.name').map((username) => t.request(key, { method: 'POST', url: '/v1/users', payload: { username } })),
      );
      expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.statusCode === 409 && r.json().code === 'USER_USERNAME_TAKEN')).toHaveLength(29);
    });

    it('should let exactly one of several concurrent PATCHes with the same If-Match win', async () => {
      const { key } = await t.tenantWithKey();
      const user = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'patched' } })).json();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, headers: { 'if-match': '"1"' }, payload: { nickname: `n${i}` } }),
        ),
      );
      expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(responses.filter((r) => r.statusCode === 412)).toHaveLength(9);
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${user.id}` })).json().version).toBe(2);
    });
  });
}
