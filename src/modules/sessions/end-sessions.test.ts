import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: an admin ends a user's sessions`, () => {
    let t: TestApp;
    let slug: string;
    let key: string;
    let tenantId: string;
    const PASSWORD = 'Sessions-End-horse-42';
    const login = (name: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': slug },
        payload: { login: name, password: PASSWORD },
      });
    const createUser = async (username: string, roles: string[] = ['user']) => {
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username, email: `${username}@acme.com`, password: PASSWORD, roles },
      });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    const end = (as: string, id: string) => t.request(as, { method: 'DELETE', url: `/v1/users/${id}/sessions` });

    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ slug, key, tenantId } = await t.tenantWithKey());
    });
    afterAll(async () => {
      await t?.close();
    });

    it('should end every login session of the user, keep personal tokens and other users, and record who did it', async () => {
      const id = await createUser('leaver');
      const other = await createUser('stayer');
      const sessionA = (await login('leaver')).json().token as string;
      const sessionB = (await login('leaver')).json().token as string;
      const otherSession = (await login('stayer')).json().token as string;
      const personal = await t.request(key, { method: 'POST', url: `/v1/users/${id}/tokens`, payload: { name: 'sync' } });
      expect(personal.statusCode).toBe(201);
      expect((await t.request(sessionA, { method: 'GET', url: `/v1/users/${id}` })).statusCode).toBe(200);

      const res = await end(key, id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ended: 2 });
      expect((await t.request(sessionA, { method: 'GET', url: `/v1/users/${id}` })).statusCode).toBe(401);
      expect((await t.request(sessionB, { method: 'GET', url: `/v1/users/${id}` })).statusCode).toBe(401);
      expect((await t.request(otherSession, { method: 'GET', url: `/v1/users/${other}` })).statusCode).toBe(200);
      expect((await t.request(personal.json().token as string, { method: 'GET', url: `/v1/users/${id}` })).statusCode).toBe(200);
      // The user can sign in again: nothing about the account changed.
      expect((await login('leaver')).statusCode).toBe(201);

      const events = await t.request(key, { method: 'GET', url: `/v1/events?resourceId=${id}&type=user.sessions_ended` });
      expect(events.json().data).toHaveLength(1);
      expect(events.json().data[0]).toMatchObject({
        type: 'user.sessions_ended',
        actor: { type: 'api_key' },
        resource: { type: 'user', id },
        data: { id, sessionsEnded: 2 },
      });
      expect(events.json().data[0].actor.id).toBeTruthy();
    });

    it('should need users:update, guard privileged users, and answer 404 for an unknown or malformed id', async () => {
      const admin = await createUser('bigboss', ['admin']);
      const plain = await createUser('plainjane');
      const adminSession = (await login('bigboss')).json().token as string;
      const helpdesk = await t.keyWithPermissions(tenantId, ['users:read', 'users:update']);
      const reader = await t.keyWithPermissions(tenantId, ['users:read']);

      expect((await end(reader, plain)).json()).toMatchObject({ code: 'PERMISSION_DENIED' });
      const refused = await end(helpdesk, admin);
      expect(refused.statusCode).toBe(403);
      expect((await t.request(adminSession, { method: 'GET', url: `/v1/users/${admin}` })).statusCode).toBe(200);
      expect((await end(helpdesk, plain)).statusCode).toBe(200);
      expect((await end(key, '00000000-0000-7000-8000-000000000000')).json()).toMatchObject({ code: 'USER_NOT_FOUND' });
      expect((await end(key, 'not-a-uuid')).statusCode).toBe(404);
      // Another tenant's key sees no such user.
      const other = await t.tenantWithKey();
      expect((await end(other.key, plain)).statusCode).toBe(404);
    });
  });
}
