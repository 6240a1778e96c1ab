import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: concurrent single creates written as shared batches`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should give each request its own answer, error and request id, whatever arrived with it', async () => {
      const { key } = await t.tenantWithKey();
      const bodies = Array.from({ length: 40 }, (_, i) => ({ email: `co${i}@acme.com`, givenName: `Co ${i}` }));
      bodies[5] = { email: 'not-an-email', givenName: 'Bad' };
      bodies[6] = { email: 'co7@acme.com', givenName: 'Twin' }; // same email as item 7
      bodies[9] = { email: 'co9@acme.com', givenName: 'Co 9', roles: ['no-such-role'] } as (typeof bodies)[number];
      const answers = await Promise.all(
        bodies.map((payload, i) => t.request(key, { method: 'POST', url: '/v1/users', payload, headers: { 'x-request-id': `req-${i}` } })),
      );

      expect(answers[5]?.json()).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ path: '/email' })],
      });
      expect(answers[9]?.json()).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ path: '/roles/0' })],
      });
      const twins = [answers[6], answers[7]].map((a) => a?.statusCode).sort();
      expect(twins).toEqual([201, 409]);
      const created = answers.filter((a) => a.statusCode === 201);
      expect(created).toHaveLength(37);
      for (const [i, answer] of answers.entries()) {
        if (answer.statusCode !== 201) continue;
        expect(answer.headers['x-request-id']).toBe(`req-${i}`);
        expect(answer.json()).toMatchObject({ email: bodies[i]?.email, givenName: bodies[i]?.givenName });
      }
      const events = (await t.request(key, { method: 'GET', url: '/v1/events?type=user.created&limit=100' })).json().data as Array<{
        resource: { id: string };
        actor: { requestId: string };
      }>;
      expect(events).toHaveLength(37);
      const requestOf = new Map(events.map((e) => [e.resource.id, e.actor.requestId]));
      for (const [i, answer] of answers.entries()) if (answer.statusCode === 201) expect(requestOf.get(answer.json().id)).toBe(`req-${i}`);
    });

    it('should refuse only the inactive user when the key may not set activity, not the requests beside it', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const limited = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
      const answers = await Promise.all([
        t.request(limited, { method: 'POST', url: '/v1/users', payload: { email: 'on1@acme.com' } }),
        t.request(limited, { method: 'POST', url: '/v1/users', payload: { email: 'off@acme.com', active: false } }),
        t.request(limited, { method: 'POST', url: '/v1/users', payload: { email: 'on2@acme.com' } }),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([201, 403, 201]);
      expect(answers[1]?.json().code).toBe('PERMISSION_DENIED');
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=off@acme.com' })).json().data).toHaveLength(0);
    });
  });
}
