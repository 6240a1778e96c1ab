import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../testing/preset-tenant.js';
import { rolloutExamples } from '../testing/seed-examples.js';
import { compile, problems, rolloutSeed } from '../testing/seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 20: every member seed 000 types as a plain string takes any string; what Roster can normalise is
// stored normalised, the rest as sent, and nothing is refused (docs/contracts/rollout.md).
const seed = rolloutSeed();
const validRequest = compile(seed.request['application/json'] as object);
const validCreated = compile(seed.responses['201'] as object);

async function multipart(fields: Array<[string, string]>): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [k, v] of fields) form.append(k, v);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type') as string };
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Rollout accepts what seed 000 accepts (issue 20)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await presetTenant(t, 'rollout');
      for (const code of ['LON', 'PAR'])
        await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: { type: 'office', code, name: code } });
      await t.request(tenant.key, { method: 'POST', url: '/v1/roles', payload: { name: 'sales-agent', permissions: [] } });
    });
    afterAll(async () => t?.close());

    let n = 0;
    const person = (extra: Record<string, unknown> = {}) => {
      const username = `rf${++n}x${Math.random().toString(36).slice(2, 7)}`;
      return {
        email: `${username}@acme.com`,
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+44 20 7946 0958',
        role: 'user',
        status: 'active',
        username,
        type: 'employee',
        address: { type: 'work', street: '1 Main St', city: 'London', state: 'LDN', code: 'N1 9GU', country: 'GB' },
        ...extra,
      };
    };
    const post = (payload: unknown, headers: Record<string, string> = {}, key = tenant.key) =>
      t.app.inject({
        method: 'POST',
        url: '/compat/rollout/users',
        headers: { authorization: `Bearer ${key}`, ...headers },
        payload: payload as string,
      });
    const stored = async (id: string) => (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${id}` })).json();

    it('should find no example in the seed (its schema gives types only), so every member is exercised below', () => {
      expect(rolloutExamples().found).toEqual([]);
    });

    it("should accept values outside Roster's vocabulary for every free-string member (no 400)", async () => {
      const variants: Array<Record<string, unknown>> = [
        { status: 'pending' },
        { status: 'Invited' },
        { status: 'ACTIVE' },
        { status: 'Disabled' },
        { status: '' },
        { role: 'Admin' },
        { role: 'USER' },
        { role: 'Sales Agent' },
        { role: 'Regional Director' },
        { role: '' },
        {
          address: {
            type: 'Head Office',
            street: '1600 Pennsylvania Ave',
            city: 'Washington',
            state: 'District of Columbia',
            code: '20500',
            country: 'United States',
          },
        },
        { address: { type: 'home', street: 'x', city: 'y', state: 'z', code: 'n/a', country: 'USA', county: 'Some County' } },
        { address: { type: '', street: '', city: '', state: '', code: '', country: 'Middle-earth' } },
        { phone: '(212) 736-5000' },
        { phone: 'N/A' },
        { phone: 'ext. 42' },
        { phone: '' },
        { username: 'jo' },
        { username: 'j' },
        { username: 'Ada Lovelace' },
        { timezone: 'Eastern Standard Time' },
        { timezone: 'romance standard time' },
        { timezone: 'Mars/Olympus' },
        { timezone: 'EST' },
        { firstName: '', lastName: 'DE LA CRUZ', type: 'Contractor (external)' },
      ];
      for (const extra of variants) {
        const body = person(extra);
        expect(problems(validRequest, body), JSON.stringify(extra)).toEqual([]);
        const res = await post(body);
        expect(res.statusCode, `${JSON.stringify(extra)} → ${res.body}`).toBe(201);
        expect(problems(validCreated, res.json()), JSON.stringify(extra)).toEqual([]);
      }
    });

    it("should keep status as the client's word and deactivate only on words meaning so", async () => {
      for (const [status, active] of [
        ['pending', true],
        ['Invited', true],
        ['Disabled', false],
        ['SUSPENDED', false],
        ['blocked', false],
      ] as const) {
        const res = await post(person({ status }));
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()[0].status).toBe(status);
        expect((await stored(res.json()[0].id)).active, status).toBe(active);
      }
    });

    it('should find roles without case or by their slug, and give the default role for a role the tenant lacks', async () => {
      for (const [role, roles, answered] of [
        ['Admin', ['admin'], 'admin'],
        ['USER', ['user'], 'user'],
        ['Sales Agent', ['sales-agent'], 'sales-agent'],
        ['Regional Director', ['user'], 'Regional Director'],
      ] as const) {
        const res = await post(person({ role }));
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()[0].role).toBe(answered);
        expect((await stored(res.json()[0].id)).roles, role).toEqual(roles);
      }
    });

    it('should store countries as ISO codes from names and alpha-3, Windows zones as IANA, and keep the rest as sent', async () => {
      const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [{ address: { ...person().address, country: 'United States' } }, { address: { country: 'US' } }],
        [{ address: { ...person().address, country: 'USA' } }, { address: { country: 'US' } }],
        [{ address: { ...person().address, country: 'Middle-earth' } }, { address: { country: 'Middle-earth' } }],
        [{ timezone: 'Eastern Standard Time' }, { timezone: 'America/New_York' }],
        [{ timezone: 'Mars/Olympus' }, { timezone: 'Mars/Olympus' }],
        [{ phone: '+44 20 7946 0958' }, { phone: '+442079460958' }],
        [{ phone: '(212) 736-5000' }, { phone: '(212) 736-5000' }],
        [{ phone: 'N/A' }, { phone: 'N/A' }],
      ];
      for (const [extra, expected] of cases) {
        const res = await post(person(extra));
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()[0], JSON.stringify(extra)).toMatchObject(expected);
        expect(await stored(res.json()[0].id), JSON.stringify(extra)).toMatchObject(expected);
      }
    });

    it('should let a user whose values were kept as sent be updated later', async () => {
      const res = await post(person({ phone: 'N/A', timezone: 'Mars/Olympus', address: { ...person().address, country: 'Middle-earth' } }));
      const id = res.json()[0].id;
      const patched = await t.request(tenant.key, { method: 'PATCH', url: `/v1/users/${id}`, payload: { givenName: 'Augusta' } });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ givenName: 'Augusta', phone: 'N/A', timezone: 'Mars/Olympus' });
      // A native update that changes the phone is held to the native rule.
      expect((await t.request(tenant.key, { method: 'PATCH', url: `/v1/users/${id}`, payload: { phone: 'still N/A' } })).statusCode).toBe(
        400,
      );
    });

    it("should take a one-item participatingOfficeIds sent as one plain multipart part (OpenAPI's default encoding)", async () => {
      for (const office of ['LON', 'PAR']) {
        const body = person();
        const form = await multipart([
          ...Object.entries(body)
            .filter(([k]) => k !== 'address')
            .map(([k, v]) => [k, String(v)] as [string, string]),
          ...Object.entries(body.address).map(([k, v]) => [`address[${k}]`, v] as [string, string]),
          ['participatingOfficeIds', office],
        ]);
        const res = await post(form.payload, { 'content-type': form.contentType });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()[0].offices).toEqual([{ id: office }]);
      }
    });

    it('should accept short usernames on a tenant with the rollout preset, and not on a default tenant', async () => {
      expect((await post(person({ username: 'yo' }))).statusCode).toBe(201);
      const plain = await t.tenantWithKey();
      const res = await post(person({ username: 'yo' }), {}, plain.key);
      expect(res.statusCode).toBe(400);
      expect(res.json().errorMessage).toContain('username');
    });
  });
}
