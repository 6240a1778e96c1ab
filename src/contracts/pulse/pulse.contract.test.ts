import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, problems, readSeed } from '../testing/seed-schemas.js';
import { pulseErrorSchema, pulseRequestSchema, pulseUserSchema } from '../testing/prose-seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const validUser = compile({ ...pulseUserSchema, additionalProperties: false });
const validError = compile(pulseErrorSchema);
const validRequest = compile(pulseRequestSchema);

describe('Pulse prose schema', () => {
  it('should name every member of the seed User schema', () => {
    const seed = readSeed('001_');
    const userSection = seed.slice(seed.indexOf('#/components/schemas/User'), seed.indexOf('#/components/schemas/Error'));
    const documented = [...userSection.matchAll(/^([A-Za-z]+):\ntype:/gm)].map((m) => m[1]).filter((name) => name !== 'items');
    expect(documented.sort()).toEqual(expect.arrayContaining(Object.keys(pulseUserSchema.properties).sort()));
  });
});

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Pulse contract (seed 001)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    let seq: number;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      seq = (await t.core.tenants.getTenant(tenant.tenantId)).seq;
    });
    afterAll(async () => t?.close());

    const post = (key: string | undefined, body: unknown, account: string | null = String(seq)) =>
      t.request(key, {
        method: 'POST',
        url: '/compat/pulse/users',
        payload: body as object,
        headers: account === null ? {} : { 'x-account-id': account },
      });
    let n = 0;
    const email = () => `pulse${++n}.${Math.random().toString(36).slice(2, 7)}@acme.com`;

    it('should create a user from the documented body and answer the documented User', async () => {
      const body = { email: email() };
      expect(problems(validRequest, body)).toEqual([]);
      const res = await post(tenant.key, body);
      expect(res.statusCode).toBe(201);
      expect(problems(validUser, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({
        id: expect.any(Number),
        email: body.email,
        active: true,
        notificationPreferences: {},
        flatRolesList: ['user'],
        flatPermissionsList: ['users:read'],
        accounts: [{ accountId: String(seq), usersPrimaryAccount: true, accountAdmin: false }],
      });
      // An API key has no email, so createdBy is left out rather than invented.
      expect(res.json().createdBy).toBeUndefined();
    });

    it('should map name, phone, team, picture and roles, and show the creating user by email', async () => {
      const team = (
        await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: { type: 'team', code: 'sales', name: 'Sales' } })
      ).json();
      const adminEmail = email();
      await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: adminEmail, password: 'correct horse battery staple', roles: ['admin'] },
      });
      const login = await t.request(undefined, {
        method: 'POST',
        url: '/v1/sessions',
        tenant: tenant.slug,
        payload: { login: adminEmail, password: 'correct horse battery staple' },
      });
      const session = login.json().token;
      // The account may be named by slug too.
      const res = await post(
        session,
        {
          email: email(),
          name: 'Grace Hopper',
          phone: '+1 415 555 0132',
          teamId: team.seq,
          imgSrc: 'https://img.acme.com/g.png',
          roles: ['admin'],
        },
        tenant.slug,
      );
      expect(res.statusCode).toBe(201);
      expect(problems(validUser, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({
        name: 'Grace Hopper',
        phone: '+14155550132',
        teamId: team.seq,
        imgSrc: 'https://img.acme.com/g.png',
        createdBy: adminEmail,
        updatedBy: adminEmail,
        flatRolesList: ['admin'],
        accounts: [{ accountAdmin: true }],
      });
    });

    it('should record user_created beside user.created on the event stream', async () => {
      const res = await post(tenant.key, { email: email() });
      const userId = (await t.request(tenant.key, { method: 'GET', url: `/v1/users?email=${encodeURIComponent(res.json().email)}` })).json()
        .data[0].id;
      const events = (await t.request(tenant.key, { method: 'GET', url: `/v1/events?resourceId=${userId}` })).json().data;
      expect(events.map((e: { type: string }) => e.type).sort()).toEqual(['user.created', 'user_created']);
    });

    it('should answer the documented Error for 400, 401, 403 and 409', async () => {
      for (const [res, status] of [
        [await post(tenant.key, { email: 'not an email' }), 400],
        [await post(tenant.key, { name: 'no email' }), 400],
        [await post(tenant.key, { email: email() }, null), 400],
        [await post(tenant.key, { email: email(), teamId: 99999 }), 400],
        [await post(undefined, { email: email() }), 401],
        [await post('rst_' + 'x'.repeat(48), { email: email() }), 401],
        [await post(await t.keyWithPermissions(tenant.tenantId, ['users:read']), { email: email() }), 403],
      ] as const) {
        expect(res.statusCode).toBe(status);
        expect(problems(validError, res.json())).toEqual([]);
        expect(res.json().status).toBe(status);
      }
      const taken = email();
      await post(tenant.key, { email: taken });
      const again = await post(tenant.key, { email: taken });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: 'Conflict', status: 409, message: expect.stringContaining('email') });
    });

    it("should refuse an account other than the key's own", async () => {
      const other = await t.tenantWithKey();
      const res = await post(tenant.key, { email: email() }, other.slug);
      expect(res.statusCode).toBe(403);
      expect(problems(validError, res.json())).toEqual([]);
    });
  });
}
