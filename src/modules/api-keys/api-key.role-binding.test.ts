import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up as migration0009 } from '../../db/migrations/0009_api_key_role_id.js';
import { tenantPermissions } from '../roles/permissions.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// H2: keys hold their role by id; renaming, editing or deleting a role is guarded like a grant.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: API keys bound to roles by id`, () => {
    let t: TestApp;
    let tenantId: string;
    let admin: string;
    let n = 0;
    const u = () => `rb${++n}x${Math.random().toString(36).slice(2, 6)}`;
    const superhrPermissions = [
      'users:create',
      'users:read',
      'users:update',
      'users:delete',
      'users:set-active',
      'settings:manage',
      'webhooks:manage',
      'events:read',
    ];
    const post = async (key: string, url: string, payload: object) => {
      const res = await t.request(key, { method: 'POST', url, payload });
      expect([url, res.statusCode]).toEqual([url, 201]);
      return res.json();
    };
    const settingsStatus = async (key: string) => (await t.request(key, { method: 'GET', url: '/v1/settings' })).statusCode;

    beforeAll(async () => {
      // A long-lived principal cache: role changes made here must still apply at once.
      t = await createTestApp(dialect, { env: { ROSTER_AUTH_CACHE_MS: '60000' } });
      ({ tenantId, key: admin } = await t.tenantWithKey('admin'));
    });
    afterAll(async () => t?.close());

    async function setup() {
      const rolemgr = await t.keyWithPermissions(tenantId, ['roles:manage', 'keys:manage', 'users:read']);
      const superhr = await post(admin, '/v1/roles', { name: u(), permissions: superhrPermissions });
      const pawn = await post(rolemgr, '/v1/roles', { name: u(), permissions: ['users:read'] });
      const pawnKey = await post(rolemgr, '/v1/api-keys', { name: 'pawnkey', role: pawn.name });
      expect(await settingsStatus(pawnKey.secret)).toBe(403);
      return { rolemgr, superhr, pawn, pawnKey };
    }

    it('should refuse renaming a richer role onto the name a key holds, and a rename by an admin arms nothing', async () => {
      const { rolemgr, superhr, pawn, pawnKey } = await setup();
      const oldName = `${pawn.name}-old`;
      expect((await t.request(rolemgr, { method: 'PATCH', url: `/v1/roles/${pawn.id}`, payload: { name: oldName } })).statusCode).toBe(200);
      const armed = await t.request(rolemgr, { method: 'PATCH', url: `/v1/roles/${superhr.id}`, payload: { name: pawn.name } });
      expect([armed.statusCode, armed.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      expect((await t.request(admin, { method: 'GET', url: `/v1/roles/${superhr.id}` })).json().name).toBe(superhr.name);
      // An admin may rename both ways; the key still holds its own role, shown by its current name.
      expect((await t.request(admin, { method: 'PATCH', url: `/v1/roles/${superhr.id}`, payload: { name: pawn.name } })).statusCode).toBe(
        200,
      );
      expect(await settingsStatus(pawnKey.secret)).toBe(403);
      expect((await t.request(pawnKey.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      const listed = (await t.request(admin, { method: 'GET', url: '/v1/api-keys' }))
        .json()
        .data.find((k: { id: string }) => k.id === pawnKey.id);
      expect(listed.role).toBe(oldName);
    });

    it('should refuse editing, renaming or deleting a role holding permissions the caller lacks, and apply an allowed edit at once', async () => {
      const { rolemgr, superhr, pawn, pawnKey } = await setup();
      const superKey = await post(admin, '/v1/api-keys', { name: 'superhr-key', role: superhr.name });
      for (const payload of [
        { permissions: ['users:read'] },
        { permissions: [...superhrPermissions, 'roles:manage'] },
        { description: 'mine now' },
        { name: u() },
      ]) {
        const res = await t.request(rolemgr, { method: 'PATCH', url: `/v1/roles/${superhr.id}`, payload });
        expect([payload, res.statusCode, res.json().code]).toEqual([payload, 403, 'PERMISSION_DENIED']);
      }
      expect((await t.request(rolemgr, { method: 'DELETE', url: `/v1/roles/${superhr.id}` })).statusCode).toBe(403);
      expect((await t.request(admin, { method: 'GET', url: `/v1/roles/${superhr.id}` })).json()).toMatchObject({
        name: superhr.name,
        description: '',
        permissions: superhrPermissions,
      });
      expect(await settingsStatus(superKey.secret)).toBe(200);
      // rolemgr cannot arm its own pawn either: that would grant settings:manage, which it lacks.
      expect(
        (
          await t.request(rolemgr, {
            method: 'PATCH',
            url: `/v1/roles/${pawn.id}`,
            payload: { permissions: ['users:read', 'settings:manage'] },
          })
        ).statusCode,
      ).toBe(403);
      // An admin's edit reaches the key at once, through the cache of this process.
      expect(
        (
          await t.request(admin, {
            method: 'PATCH',
            url: `/v1/roles/${pawn.id}`,
            payload: { permissions: ['users:read', 'settings:manage'] },
          })
        ).statusCode,
      ).toBe(200);
      expect(await settingsStatus(pawnKey.secret)).toBe(200);
    });

    it('should refuse keys of a deleted role, also after a new role takes its name', async () => {
      const { pawn, pawnKey } = await setup();
      expect((await t.request(pawnKey.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      expect((await t.request(admin, { method: 'DELETE', url: `/v1/roles/${pawn.id}` })).statusCode).toBe(204);
      expect((await t.request(pawnKey.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
      await post(admin, '/v1/roles', { name: pawn.name, permissions: [...tenantPermissions] });
      expect(await settingsStatus(pawnKey.secret)).toBe(401);
      expect((await t.request(pawnKey.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
    });

    it('should refuse revoking a key whose role holds permissions the caller lacks', async () => {
      const { rolemgr, superhr, pawnKey } = await setup();
      const superKey = await post(admin, '/v1/api-keys', { name: 'superhr-key', role: superhr.name });
      const adminKey = await post(admin, '/v1/api-keys', { name: 'admin-key', role: 'admin' });
      for (const key of [superKey, adminKey]) {
        const res = await t.request(rolemgr, { method: 'DELETE', url: `/v1/api-keys/${key.id}` });
        expect([key.name, res.statusCode, res.json().code]).toEqual([key.name, 403, 'PERMISSION_DENIED']);
        expect((await t.request(key.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      }
      expect((await t.request(rolemgr, { method: 'DELETE', url: `/v1/api-keys/${pawnKey.id}` })).statusCode).toBe(204);
      expect((await t.request(admin, { method: 'DELETE', url: `/v1/api-keys/${superKey.id}` })).statusCode).toBe(204);
    });

    it('should bind keys made before migration 0009 to the role their name named then, and refuse keys of no role', async () => {
      const { key: otherAdmin, tenantId: other } = await t.tenantWithKey('admin');
      const reader = await post(otherAdmin, '/v1/api-keys', { name: 'reader', role: 'user' });
      const orphan = await post(otherAdmin, '/v1/api-keys', { name: 'orphan', role: 'user' });
      // Back to the api_keys of before 0009: keys carry a role name only, one of them a name no role has.
      // (The migration itself is run, not the migrator: later migrations may exist.)
      const { db, dialect: name } = t.core.database;
      const raw = db.withoutPlugins();
      await sql`drop index api_keys_role_idx`.execute(raw);
      await sql`alter table api_keys drop column role_id`.execute(raw);
      await sql`update api_keys set role = 'ghost' where id = ${orphan.id}`.execute(raw);

      await migration0009(raw, name);
      t.core.apiKeys.forgetAuthenticated();
      const userRole = await db
        .selectFrom('roles')
        .select('id')
        .where('tenantId', '=', other)
        .where('name', '=', 'user')
        .executeTakeFirstOrThrow();
      const stored = await db.selectFrom('apiKeys').select(['id', 'roleId']).where('id', 'in', [reader.id, orphan.id]).execute();
      expect(Object.fromEntries(stored.map((k) => [k.id, k.roleId]))).toEqual({ [reader.id]: userRole.id, [orphan.id]: null });
      expect((await t.request(reader.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
      expect((await t.request(reader.secret, { method: 'POST', url: '/v1/users', payload: { username: u() } })).statusCode).toBe(403);
      // A role created later with the orphan's name does not arm it.
      await post(otherAdmin, '/v1/roles', { name: 'ghost', permissions: [...tenantPermissions] });
      expect((await t.request(orphan.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
      // Platform keys keep every permission.
      expect((await t.request(t.platformKey, { method: 'GET', url: '/v1/tenants' })).statusCode).toBe(200);
    });
  });
}
