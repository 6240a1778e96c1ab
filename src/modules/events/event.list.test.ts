import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

interface Listed {
  data: Array<{ id: string; type: string; occurredAt: string; actor: { id: string | null }; resource: { id: string } }>;
  nextCursor: string | null;
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: the audit log's filters and order`, () => {
    let t: TestApp;
    let key: string;
    let tenantId: string;
    let helper: string;
    const userIds: string[] = [];
    const list = async (query: string, as = key) => {
      const res = await t.request(as, { method: 'GET', url: `/v1/events?${query}` });
      expect(res.statusCode).toBe(200);
      return res.json() as Listed;
    };

    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ key, tenantId } = await t.tenantWithKey());
      helper = await t.keyWithPermissions(tenantId, ['users:create', 'users:read', 'users:update', 'events:read']);
      for (let i = 0; i < 5; i++) {
        const res = await t.request(i % 2 === 0 ? key : helper, { method: 'POST', url: '/v1/users', payload: { email: `e${i}@acme.com` } });
        expect(res.statusCode).toBe(201);
        userIds.push(res.json().id as string);
      }
      await t.request(helper, {
        method: 'PATCH',
        url: `/v1/users/${userIds[0]}`,
        payload: { givenName: 'Eve' },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('should list newest first with order=desc and page on in that order, the same events as oldest first', async () => {
      const ascending = await list('limit=500');
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Listed = await list(`order=desc&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages).toEqual(ascending.data.map((e) => e.id).reverse());
      expect(pages.length).toBeGreaterThanOrEqual(6);
    });

    it("should filter by actor, by resource (a user's history), by type and by time, together", async () => {
      const helperEvents = await list('actorId=' + (await list('type=user.updated')).data[0]?.actor.id);
      expect(helperEvents.data.map((e) => e.type).sort()).toEqual(['user.created', 'user.created', 'user.updated']);
      const history = await list(`resourceId=${userIds[0]}&order=desc`);
      expect(history.data.map((e) => e.type)).toEqual(['user.updated', 'user.created']);
      const all = await list('limit=500');
      const last = all.data.at(-1)!;
      expect((await list(`since=${encodeURIComponent(last.occurredAt)}`)).data.map((e) => e.id)).toContain(last.id);
      expect((await list(`until=${encodeURIComponent(last.occurredAt)}`)).data.map((e) => e.id)).not.toContain(last.id);
      expect((await list(`until=${encodeURIComponent(new Date(0).toISOString())}`)).data).toEqual([]);
      expect((await list(`type=user.created&resourceId=${userIds[0]}`)).data).toHaveLength(1);
    });

    it('should refuse an unknown order, a malformed cursor or time with a 400', async () => {
      for (const query of ['order=sideways', 'cursor=nope', 'since=yesterday']) {
        const res = await t.request(key, { method: 'GET', url: `/v1/events?${query}` });
        expect([query, res.statusCode, res.json().code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      }
    });
  });
}
