import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: remembered API keys (ROSTER_AUTH_CACHE_MS)`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { ROSTER_AUTH_CACHE_MS: '400' } });
    });
    afterAll(async () => t?.close());

    it('should apply a revocation and a role change made through this process at once', async () => {
      const { key } = await t.tenantWithKey();
      const other = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'soon revoked' } })).json();
      expect((await t.request(other.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      expect((await t.request(key, { method: 'DELETE', url: `/v1/api-keys/${other.id}` })).statusCode).toBe(204);
      expect((await t.request(other.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);

      const role = (
        await t.request(key, { method: 'POST', url: '/v1/roles', payload: { name: 'reader', permissions: ['users:read'] } })
      ).json();
      const reader = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'reader', role: 'reader' } })).json()
        .secret;
      expect((await t.request(reader, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      await t.request(key, {
        method: 'PATCH',
        url: `/v1/roles/${role.id}`,
        payload: { permissions: ['events:read'] },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect((await t.request(reader, { method: 'GET', url: '/v1/users' })).json().code).toBe('PERMISSION_DENIED');
    });

    it('should notice a revocation made by another process within the configured time, not later', async () => {
      const { key } = await t.tenantWithKey();
      const other = (await t.request(key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'revoked elsewhere' } })).json();
      expect((await t.request(other.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      // As `roster keys revoke` in another process does: straight in the database.
      await t.core.database.db.updateTable('apiKeys').set({ revokedAt: new Date().toISOString() }).where('id', '=', other.id).execute();
      // This process remembered the key: still accepted for the moment, without a database read…
      expect((await t.request(other.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      // …and refused once the configured time has passed.
      await sleep(450);
      expect((await t.request(other.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
    });
  });
}
