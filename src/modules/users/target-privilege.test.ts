import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// H1: `users:update` (or `users:delete`, `groups:manage`) on a user holding more permissions than the
// caller: nothing the caller could use to act as that user changes, on any path (native, SCIM, Bulk, groups).
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: privilege guard on changes to more privileged users`, () => {
    let t: TestApp;
    let slug: string;
    let tenantId: string;
    let admin: string;
    let helpdesk: string;
    let n = 0;
    const u = () => `tp${++n}x${Math.random().toString(36).slice(2, 6)}`;
    const BOSS_PASSWORD = 'Boss-Original-Passw0rd!';

    const newBoss = async () => {
      const res = await t.request(admin, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: u(), email: `${u()}@corp-a.com`, password: BOSS_PASSWORD, roles: ['admin'], emailVerified: true },
      });
      expect(res.statusCode).toBe(201);
      return res.json() as { id: string; username: string; email: string; version: number };
    };
    const login = (loginName: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: { login: loginName, password } });
    const row = (id: string) => t.core.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const scim = (key: string, method: 'PATCH' | 'PUT' | 'DELETE' | 'POST' | 'GET', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}`, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    const patchOp = (...operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations });

    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ slug, tenantId, key: admin } = await t.tenantWithKey('admin'));
      helpdesk = await t.keyWithPermissions(tenantId, ['users:read', 'users:update']);
    });
    afterAll(async () => t?.close());

    it('should refuse helpdesk setting an admin password natively (password and passwordHash), and the old password still logs in', async () => {
      const boss = await newBoss();
      const before = await row(boss.id);
      for (const payload of [
        { password: 'Helpdesk-0wned-the-b0ss!' },
        { passwordHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' },
        { password: null },
      ]) {
        const res = await t.request(helpdesk, { method: 'PATCH', url: `/v1/users/${boss.id}`, payload });
        expect([payload, res.statusCode, res.json().code]).toEqual([payload, 403, 'PERMISSION_DENIED']);
      }
      expect(await row(boss.id)).toEqual(before);
      expect((await login(boss.username, 'Helpdesk-0wned-the-b0ss!')).statusCode).toBe(401);
      expect((await login(boss.username, BOSS_PASSWORD)).statusCode).toBe(201);
    });

    it('should refuse helpdesk changing the email, username, verification, roles, groups or active state of an admin', async () => {
      const boss = await newBoss();
      const group = (
        await t.request(admin, { method: 'POST', url: '/v1/groups', payload: { type: 'team', code: u(), name: 'Team' } })
      ).json();
      const setActive = await t.keyWithPermissions(tenantId, ['users:read', 'users:update', 'users:set-active']);
      const before = await row(boss.id);
      const attempts: Array<[string, object]> = [
        [helpdesk, { email: 'attacker@evil-domain.example' }],
        [helpdesk, { email: 'ATTACKER@evil-domain.example', displayName: 'Still the boss' }],
        [helpdesk, { username: u() }],
        [helpdesk, { emailVerified: false }],
        [helpdesk, { roles: [] }],
        [helpdesk, { groups: [group.id] }],
        [setActive, { active: false }],
      ];
      for (const [key, payload] of attempts) {
        const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${boss.id}`, payload });
        expect([payload, res.statusCode, res.json().code]).toEqual([payload, 403, 'PERMISSION_DENIED']);
      }
      expect(await row(boss.id)).toEqual(before);
      // What gives no way in stays open to helpdesk: a profile field of the admin, and credentials of users it covers.
      expect(
        (await t.request(helpdesk, { method: 'PATCH', url: `/v1/users/${boss.id}`, payload: { displayName: 'The Boss' } })).statusCode,
      ).toBe(200);
      const member = (await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: u(), roles: ['user'] } })).json();
      expect(
        (await t.request(helpdesk, { method: 'PATCH', url: `/v1/users/${member.id}`, payload: { password: 'Member-Reset-Passw0rd!' } }))
          .statusCode,
      ).toBe(200);
    });

    it('should refuse deleting an admin with only users:delete, and let an admin do it', async () => {
      const boss = await newBoss();
      const deleter = await t.keyWithPermissions(tenantId, ['users:read', 'users:delete']);
      const res = await t.request(deleter, { method: 'DELETE', url: `/v1/users/${boss.id}` });
      expect([res.statusCode, res.json().code]).toEqual([403, 'PERMISSION_DENIED']);
      const scimDelete = await scim(deleter, 'DELETE', `/scim/v2/Users/${boss.id}`);
      expect(scimDelete.statusCode).toBe(403);
      expect((await row(boss.id)).deletedAt).toBeNull();
      expect((await t.request(admin, { method: 'DELETE', url: `/v1/users/${boss.id}` })).statusCode).toBe(204);
    });

    it('should refuse the same changes through SCIM PATCH, PUT and Bulk, per operation', async () => {
      const boss = await newBoss();
      const before = await row(boss.id);
      const patches = [
        patchOp({ op: 'replace', path: 'password', value: 'Scim-Helpdesk-Takeover-99' }),
        patchOp({ op: 'replace', value: { password: 'Scim-Helpdesk-Takeover-98' } }),
        patchOp({ op: 'replace', path: 'emails', value: [{ value: 'attacker@evil-domain.example', primary: true }] }),
        patchOp({ op: 'replace', path: 'userName', value: u() }),
      ];
      for (const body of patches) {
        const res = await scim(helpdesk, 'PATCH', `/scim/v2/Users/${boss.id}`, body);
        expect([body.Operations, res.statusCode, res.json().status]).toEqual([body.Operations, 403, '403']);
      }
      const current = (await scim(admin, 'GET', `/scim/v2/Users/${boss.id}`)).json();
      const replaced = await scim(helpdesk, 'PUT', `/scim/v2/Users/${boss.id}`, { ...current, password: 'Scim-Put-Takeover-0001' });
      expect(replaced.statusCode).toBe(403);
      const member = (await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: u(), roles: ['user'] } })).json();
      const bulk = await scim(helpdesk, 'POST', '/scim/v2/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          {
            method: 'PATCH',
            path: `/Users/${boss.id}`,
            data: patchOp({ op: 'replace', path: 'password', value: 'Bulk-Helpdesk-Takeover-1' }),
          },
          { method: 'PATCH', path: `/Users/${member.id}`, data: patchOp({ op: 'replace', path: 'displayName', value: 'Member' }) },
        ],
      });
      expect(bulk.json().Operations.map((o: { status: string }) => o.status)).toEqual(['403', '200']);
      expect(await row(boss.id)).toEqual(before);
      expect((await login(boss.username, 'Scim-Helpdesk-Takeover-99')).statusCode).toBe(401);
      // A SCIM change that keeps the guarded values is allowed: a round-tripped resource with a new display name.
      const renamed = await scim(helpdesk, 'PUT', `/scim/v2/Users/${boss.id}`, { ...current, displayName: 'Boss via SCIM' });
      expect(renamed.statusCode).toBe(200);
    });

    it('should refuse groups:manage adding an admin to, or taking it out of, a group (SCIM Groups), or deleting its group', async () => {
      const boss = await newBoss();
      const member = (await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: u(), roles: [] } })).json();
      const groupsKey = await t.keyWithPermissions(tenantId, ['groups:manage', 'users:read']);
      const group = (
        await scim(groupsKey, 'POST', '/scim/v2/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: `Admins ${u()}`,
          members: [{ value: member.id }],
        })
      ).json();
      const members = async () =>
        (await scim(admin, 'GET', `/scim/v2/Groups/${group.id}`))
          .json()
          .members.map((m: { value: string }) => m.value)
          .sort();

      const add = await scim(
        groupsKey,
        'PATCH',
        `/scim/v2/Groups/${group.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: boss.id }] }),
      );
      expect(add.statusCode).toBe(403);
      const put = await scim(groupsKey, 'PUT', `/scim/v2/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: group.displayName,
        members: [{ value: member.id }, { value: boss.id }],
      });
      expect(put.statusCode).toBe(403);
      expect(await members()).toEqual([member.id]);

      // The admin joins through an admin; then groups:manage can neither take it out nor delete the group around it.
      expect(
        (await scim(admin, 'PATCH', `/scim/v2/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: boss.id }] })))
          .statusCode,
      ).toBe(200);
      const removeOne = await scim(
        groupsKey,
        'PATCH',
        `/scim/v2/Groups/${group.id}`,
        patchOp({ op: 'remove', path: `members[value eq "${boss.id}"]` }),
      );
      expect(removeOne.statusCode).toBe(403);
      const replaceAll = await scim(
        groupsKey,
        'PATCH',
        `/scim/v2/Groups/${group.id}`,
        patchOp({ op: 'replace', path: 'members', value: [{ value: member.id }] }),
      );
      expect(replaceAll.statusCode).toBe(403);
      expect((await t.request(groupsKey, { method: 'DELETE', url: `/v1/groups/${group.id}` })).json().code).toBe('PERMISSION_DENIED');
      expect(await members()).toEqual([boss.id, member.id].sort());
      // Changes that leave the admin where it is pass: a replacement keeping it, and removing the plain member.
      const keep = await scim(groupsKey, 'PUT', `/scim/v2/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: group.displayName,
        members: [{ value: boss.id }],
      });
      expect(keep.statusCode).toBe(200);
      expect(await members()).toEqual([boss.id]);
    });

    it('should let a platform key and a tenant admin change and delete an admin', async () => {
      const boss = await newBoss();
      expect(
        (
          await t.request(t.platformKey, {
            method: 'PATCH',
            url: `/v1/users/${boss.id}`,
            tenant: slug,
            payload: { password: 'Platform-Reset-Passw0rd!' },
          })
        ).statusCode,
      ).toBe(200);
      expect((await login(boss.username, 'Platform-Reset-Passw0rd!')).statusCode).toBe(201);
      expect(
        (await t.request(admin, { method: 'PATCH', url: `/v1/users/${boss.id}`, payload: { email: `${u()}@corp-a.com` } })).statusCode,
      ).toBe(200);
      expect((await t.request(admin, { method: 'DELETE', url: `/v1/users/${boss.id}` })).statusCode).toBe(204);
    });
  });
}
