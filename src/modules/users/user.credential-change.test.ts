import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62, sha256Hex } from '../../lib/secrets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// M5: a password change or a deactivation ends the user's sessions and personal tokens for good.
// L3: a new email is unverified, and no verification link mailed before verifies it.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: what a password, activity or email change ends`, () => {
    let t: TestApp;
    let slug: string;
    let tenantId: string;
    let admin: string;
    let n = 0;
    const u = () => `cc${++n}x${Math.random().toString(36).slice(2, 6)}`;
    const PASSWORD = 'Original-Passw0rd-42!';

    const newUser = async (extra: object = {}) => {
      const res = await t.request(admin, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: u(), email: `${u()}@corp-a.com`, password: PASSWORD, roles: ['user'], ...extra },
      });
      expect(res.statusCode).toBe(201);
      return res.json() as { id: string; username: string; email: string };
    };
    /** A login session and a personal token of the user, both working. */
    const credentialsOf = async (user: { id: string; username: string }) => {
      const session = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': slug },
        payload: { login: user.username, password: PASSWORD },
      });
      expect(session.statusCode).toBe(201);
      const personal = await t.request(admin, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'client' } });
      expect(personal.statusCode).toBe(201);
      const tokens = [session.json().token as string, personal.json().token as string];
      for (const token of tokens) expect(await status(token)).toBe(200);
      return tokens;
    };
    const status = async (token: string) => (await t.request(token, { method: 'GET', url: '/v1/users' })).statusCode;
    const scimPatch = (id: string, operations: unknown[]) =>
      t.app.inject({
        method: 'PATCH',
        url: `/scim/v2/Users/${id}`,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/scim+json' },
        payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations },
      });

    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ slug, tenantId, key: admin } = await t.tenantWithKey('admin'));
    });
    afterAll(async () => t?.close());

    it('should end sessions and personal tokens when the password is changed natively, by imported hash, removed, or through SCIM', async () => {
      const changes: Array<(id: string) => Promise<number>> = [
        async (id) =>
          (await t.request(admin, { method: 'PATCH', url: `/v1/users/${id}`, payload: { password: 'Completely-New-Passw0rd-42' } }))
            .statusCode,
        async (id) =>
          (
            await t.request(admin, {
              method: 'PATCH',
              url: `/v1/users/${id}`,
              payload: { passwordHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' },
            })
          ).statusCode,
        async (id) => (await t.request(admin, { method: 'PATCH', url: `/v1/users/${id}`, payload: { password: null } })).statusCode,
        async (id) => (await scimPatch(id, [{ op: 'replace', path: 'password', value: 'Scim-New-Passw0rd-4242' }])).statusCode,
      ];
      for (const [i, change] of changes.entries()) {
        const user = await newUser();
        const tokens = await credentialsOf(user);
        expect([i, await change(user.id)]).toEqual([i, 200]);
        for (const token of tokens) expect([i, await status(token)]).toEqual([i, 401]);
      }
    });

    it('should end them on deactivation (native and SCIM) so that reactivation brings none back', async () => {
      const deactivations: Array<(id: string, active: boolean) => Promise<number>> = [
        async (id, active) => (await t.request(admin, { method: 'PATCH', url: `/v1/users/${id}`, payload: { active } })).statusCode,
        async (id, active) => (await scimPatch(id, [{ op: 'replace', path: 'active', value: active }])).statusCode,
      ];
      for (const [i, setActive] of deactivations.entries()) {
        const user = await newUser();
        const tokens = await credentialsOf(user);
        expect(await setActive(user.id, false)).toBe(200);
        for (const token of tokens) expect([i, await status(token)]).toEqual([i, 401]);
        expect(await setActive(user.id, true)).toBe(200);
        for (const token of tokens) expect([i, 'reactivated', await status(token)]).toEqual([i, 'reactivated', 401]);
        // The user itself can sign in again.
        expect(
          (
            await t.app.inject({
              method: 'POST',
              url: '/v1/sessions',
              headers: { 'x-roster-tenant': slug },
              payload: { login: user.username, password: PASSWORD },
            })
          ).statusCode,
        ).toBe(201);
      }
    });

    it('should leave sessions alone on a change that is neither (a profile field)', async () => {
      const user = await newUser();
      const tokens = await credentialsOf(user);
      expect(
        (await t.request(admin, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { displayName: 'Renamed' } })).statusCode,
      ).toBe(200);
      for (const token of tokens) expect(await status(token)).toBe(200);
    });

    /** A verification link for the user as the mail module would mail it (only its hash is stored). */
    const verificationToken = async (userId: string) => {
      const token = randomBase62(43);
      const now = new Date();
      await t.core.database.db
        .insertInto('userTokens')
        .values({
          tenantId,
          tokenHash: sha256Hex(token),
          userId,
          purpose: 'verify_email',
          expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
          usedAt: null,
          createdAt: now.toISOString(),
        })
        .execute();
      return token;
    };
    const verify = (token: string) =>
      t.app.inject({ method: 'POST', url: `/v1/email-verifications/${token}`, headers: { 'x-roster-tenant': slug } });
    const stored = async (id: string) =>
      (await t.request(admin, { method: 'GET', url: `/v1/users/${id}` })).json() as { email: string; emailVerified: boolean };

    it('should clear emailVerified when the email changes (native and SCIM), unless the request sets it', async () => {
      const helpdesk = await t.keyWithPermissions(tenantId, ['users:read', 'users:update']);
      const native = await newUser({ emailVerified: true });
      expect(
        (await t.request(helpdesk, { method: 'PATCH', url: `/v1/users/${native.id}`, payload: { email: 'attacker@evil-domain.example' } }))
          .statusCode,
      ).toBe(200);
      expect(await stored(native.id)).toMatchObject({ email: 'attacker@evil-domain.example', emailVerified: false });

      const viaScim = await newUser({ emailVerified: true });
      expect(
        (await scimPatch(viaScim.id, [{ op: 'replace', path: 'emails', value: [{ value: `${u()}@other.example`, primary: true }] }]))
          .statusCode,
      ).toBe(200);
      expect((await stored(viaScim.id)).emailVerified).toBe(false);

      const explicit = await newUser({ emailVerified: true });
      expect(
        (
          await t.request(admin, {
            method: 'PATCH',
            url: `/v1/users/${explicit.id}`,
            payload: { email: `${u()}@corp-a.com`, emailVerified: true },
          })
        ).statusCode,
      ).toBe(200);
      expect((await stored(explicit.id)).emailVerified).toBe(true);
      // Keeping the address keeps the flag.
      expect(
        (await t.request(admin, { method: 'PATCH', url: `/v1/users/${explicit.id}`, payload: { displayName: 'Same address' } })).statusCode,
      ).toBe(200);
      expect((await stored(explicit.id)).emailVerified).toBe(true);
    });

    it('should void verification links mailed to the old address (native and SCIM change), and keep them when the address stays', async () => {
      const native = await newUser();
      const nativeToken = await verificationToken(native.id);
      expect(
        (await t.request(admin, { method: 'PATCH', url: `/v1/users/${native.id}`, payload: { email: 'new-unverified@other.example' } }))
          .statusCode,
      ).toBe(200);
      expect((await verify(nativeToken)).json().code).toBe('TOKEN_INVALID');
      expect((await stored(native.id)).emailVerified).toBe(false);

      const viaScim = await newUser();
      const scimToken = await verificationToken(viaScim.id);
      expect(
        (await scimPatch(viaScim.id, [{ op: 'replace', path: 'emails', value: [{ value: `${u()}@other.example`, primary: true }] }]))
          .statusCode,
      ).toBe(200);
      expect((await verify(scimToken)).json().code).toBe('TOKEN_INVALID');
      expect((await stored(viaScim.id)).emailVerified).toBe(false);

      const kept = await newUser();
      const keptToken = await verificationToken(kept.id);
      expect(
        (await t.request(admin, { method: 'PATCH', url: `/v1/users/${kept.id}`, payload: { displayName: 'Same address' } })).statusCode,
      ).toBe(200);
      expect((await verify(keptToken)).statusCode).toBe(204);
      expect((await stored(kept.id)).emailVerified).toBe(true);
    });
  });
}
