import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

/**
 * Hostile input against every create surface (native, batch, import, SCIM, the five contracts):
 * generated keys that name the prototype chain, text no store can keep, deep nesting. Whatever is
 * sent, no answer is a 5xx, Object.prototype keeps its members, and another tenant is still served.
 */

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype'];
const prototypeMembers = () => Object.getOwnPropertyNames(Object.prototype).sort();
const BASELINE = prototypeMembers();

/** JSON text whose object names the given member, at a depth: JSON.stringify cannot write `__proto__` as a key. */
function jsonWithMember(path: string[], value: unknown, around: Record<string, unknown> = {}): string {
  let inner = JSON.stringify(value);
  for (const key of [...path].reverse()) inner = `{${JSON.stringify(key)}:${inner}}`;
  const rest = JSON.stringify(around).slice(1, -1);
  return `{${rest}${rest ? ',' : ''}${inner.slice(1, -1)}}`;
}

/** Generated hostile member paths: each holds a prototype name somewhere. */
const hostilePath = fc
  .tuple(
    fc.array(fc.constantFrom('attributes', 'address', 'name', 'emails', 'x', 'urn:ietf:params:scim:schemas:core:2.0:User'), {
      maxLength: 2,
    }),
    fc.constantFrom(...PROTOTYPE_NAMES),
    fc.array(fc.constantFrom('polluted', 'isAdmin', 'prototype', 'toString', 'detail'), { minLength: 0, maxLength: 2 }),
  )
  .map(([before, proto, after]) => [...before, proto, ...after]);

/** Generated text a store cannot keep as sent, inside otherwise ordinary text. */
const badText = fc
  .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uDBFFx', 'a\u0000b'), fc.string({ maxLength: 8 }))
  .map(([a, bad, b]) => `${a}${bad}${b}`);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: hostile input on every create surface`, () => {
    let t: TestApp;
    let attacker: { tenantId: string; slug: string; key: string };
    let victim: { tenantId: string; slug: string; key: string };
    let seq: number;
    let chat: { 'x-user-id': string; 'x-auth-token': string };
    let fleetKey: string;
    let n = 0;
    const unique = () => `h${++n}x${Math.random().toString(36).slice(2, 7)}`;

    beforeAll(async () => {
      t = await createTestApp(dialect);
      attacker = await t.tenantWithKey();
      victim = await t.tenantWithKey();
      expect((await t.request(victim.key, { method: 'POST', url: '/v1/users', payload: { email: 'victim@corp-b.com' } })).statusCode).toBe(
        201,
      );
      seq = (await t.core.tenants.getTenant(attacker.tenantId)).seq;
      fleetKey = (
        await t.request(attacker.key, { method: 'POST', url: '/v1/api-keys', payload: { name: 'fleet', role: 'admin', prefix: 'flt_sk_' } })
      ).json().secret;
      const password = 'correct horse battery staple';
      await t.request(attacker.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: 'chatadmin', email: 'chatadmin@acme.com', password, roles: ['admin'] },
      });
      const login = (
        await t.request(undefined, {
          method: 'POST',
          url: '/compat/rocketchat/api/v1/login',
          tenant: attacker.slug,
          payload: { user: 'chatadmin', password },
        })
      ).json();
      chat = { 'x-user-id': login.data.userId, 'x-auth-token': login.data.authToken };
      await t.request(attacker.key, { method: 'POST', url: '/v1/attributes', payload: { key: 'team', type: 'string' } });
    });
    afterAll(async () => t?.close());

    /** Nothing reached Object.prototype, and the other tenant is served as before. */
    async function expectUnharmed(names: string[] = []) {
      expect(prototypeMembers()).toEqual(BASELINE);
      for (const name of ['polluted', 'isAdmin', 'detail', ...names]) expect(({} as Record<string, unknown>)[name], name).toBeUndefined();
      const res = await t.request(victim.key, { method: 'GET', url: '/v1/users' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data.map((u: { email: string }) => u.email)).toContain('victim@corp-b.com');
    }

    async function importFile(body: string, contentType: string, query = '') {
      const res = await t.request(attacker.key, {
        method: 'POST',
        url: `/v1/imports${query}`,
        headers: { 'content-type': contentType },
        payload: body,
      });
      if (res.statusCode !== 202) return { res, job: undefined, errors: [] as Array<{ row: number; code: string; field: string | null }> };
      const job = await t.waitForImport(attacker.key, res.json().id);
      const errors = (await t.request(attacker.key, { method: 'GET', url: `/v1/imports/${job.id}/errors` })).json().data;
      return { res, job, errors: errors as Array<{ row: number; code: string; field: string | null }> };
    }

    /** Every create surface, each sending one JSON text body as its product would. */
    const surfaces: Array<{ name: string; send: (json: string) => Promise<{ statusCode: number }> }> = [
      {
        name: 'native',
        send: (json) =>
          t.request(attacker.key, { method: 'POST', url: '/v1/users', headers: { 'content-type': 'application/json' }, payload: json }),
      },
      {
        name: 'batch',
        send: (json) =>
          t.request(attacker.key, {
            method: 'POST',
            url: '/v1/users/batch',
            headers: { 'content-type': 'application/json' },
            payload: `{"users":[${json},{"email":"${unique()}@acme.com"}]}`,
          }),
      },
      {
        name: 'scim',
        send: (json) =>
          t.request(attacker.key, {
            method: 'POST',
            url: '/scim/v2/Users',
            headers: { 'content-type': 'application/scim+json' },
            payload: json,
          }),
      },
      {
        name: 'rollout',
        send: (json) =>
          t.app.inject({
            method: 'POST',
            url: '/compat/rollout/users',
            headers: { authorization: `Bearer ${attacker.key}`, 'x-rollout-credential-id': attacker.slug, 'content-type': 'text/plain' },
            payload: json,
          }),
      },
      {
        name: 'pulse',
        send: (json) =>
          t.request(attacker.key, {
            method: 'POST',
            url: '/compat/pulse/users',
            headers: { 'x-account-id': String(seq), 'content-type': 'application/json' },
            payload: json,
          }),
      },
      {
        name: 'rocketchat',
        send: (json) =>
          t.request(undefined, {
            method: 'POST',
            url: '/compat/rocketchat/api/v1/users.create',
            headers: { ...chat, 'content-type': 'application/json' },
            payload: json,
          }),
      },
      {
        name: 'certification',
        send: (json) =>
          t.request(attacker.key, {
            method: 'POST',
            url: '/compat/certification/users',
            headers: { 'content-type': 'application/json' },
            payload: json,
          }),
      },
      {
        name: 'fleet',
        send: (json) =>
          t.request(fleetKey, {
            method: 'POST',
            url: '/compat/fleet/users',
            headers: { 'content-type': 'application/json' },
            payload: json,
          }),
      },
    ];

    it('should refuse a CSV column with a prototype segment as a row error, creating the other rows (C1)', async () => {
      const good = unique();
      const csv = [
        'email,__proto__.detail,constructor.prototype.isAdmin,attributes.__proto__,address.constructor,prototype',
        `${good}@acme.com,,,,,`,
        `${unique()}@acme.com,POLLUTED,,,,`,
        `${unique()}@acme.com,,true,,,`,
        `${unique()}@acme.com,,,"{""polluted"":1}",,`,
        `${unique()}@acme.com,,,,Paris,`,
        `${unique()}@acme.com,,,,,x`,
      ].join('\n');
      const { res, job, errors } = await importFile(csv, 'text/csv');
      expect([res.statusCode, res.body]).toEqual([202, expect.any(String)]);
      expect(job).toMatchObject({ status: 'completed', processed: 6, created: 1, failed: 5 });
      expect(errors.map((e) => [e.row, e.code])).toEqual([2, 3, 4, 5, 6].map((row) => [row, 'FIELD_NAME_FORBIDDEN']));
      const created = (await t.request(attacker.key, { method: 'GET', url: `/v1/users?email=${good}@acme.com` })).json().data;
      expect(created).toHaveLength(1);
      await expectUnharmed();
    });

    it('should refuse NDJSON members and ?map= targets with prototype names (C1)', async () => {
      const good = unique();
      const lines = [
        `{"email":"${good}@acme.com"}`,
        jsonWithMember(['__proto__', 'detail'], 'POLLUTED', { email: `${unique()}@acme.com` }),
        jsonWithMember(['attributes', 'constructor', 'prototype', 'isAdmin'], true, { email: `${unique()}@acme.com` }),
        jsonWithMember(['address', 'prototype'], { polluted: 1 }, { email: `${unique()}@acme.com` }),
      ];
      const { job, errors } = await importFile(lines.join('\n'), 'application/x-ndjson');
      expect(job).toMatchObject({ status: 'completed', created: 1, failed: 3 });
      expect(errors.map((e) => e.code)).toEqual(['FIELD_NAME_FORBIDDEN', 'FIELD_NAME_FORBIDDEN', 'FIELD_NAME_FORBIDDEN']);

      for (const map of ['E=__proto__.detail', 'E=constructor', 'E=attributes.prototype']) {
        const { res } = await importFile(`E\n${unique()}@acme.com`, 'text/csv', `?map=${encodeURIComponent(map)}`);
        expect([map, res.statusCode, res.json().code]).toEqual([map, 400, 'VALIDATION_FAILED']);
      }
      // A map entry renaming an NDJSON member onto a prototype name fails the row.
      const renamed = await importFile(
        `{"E":"${unique()}@acme.com","T":"x"}`,
        'application/x-ndjson',
        `?map=${encodeURIComponent('T=team')}`,
      );
      expect(renamed.job).toMatchObject({ status: 'completed' });
      await expectUnharmed();
    });

    it('should answer 400 to JSON bodies naming a prototype member at any depth, on every surface', async () => {
      for (const path of [
        ['__proto__', 'polluted'],
        ['constructor', 'prototype', 'isAdmin'],
        ['attributes', '__proto__', 'detail'],
        ['address', 'constructor'],
        ['name', 'prototype'],
      ]) {
        const json = jsonWithMember(path, 'x', {
          email: `${unique()}@acme.com`,
          userName: unique(),
          username: unique(),
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        });
        for (const surface of surfaces) {
          const res = await surface.send(json);
          expect([surface.name, path.join('.'), res.statusCode]).toEqual([surface.name, path.join('.'), 400]);
        }
      }
      // Merge-patch settings and user patches go through the same parser.
      const user = (await t.request(attacker.key, { method: 'POST', url: '/v1/users', payload: { email: `${unique()}@acme.com` } })).json();
      for (const [url, type] of [
        ['/v1/settings', 'application/merge-patch+json'],
        [`/v1/users/${user.id}`, 'application/json'],
        [`/v1/users/${user.id}`, 'application/merge-patch+json'],
      ]) {
        const res = await t.request(attacker.key, {
          method: 'PATCH',
          url,
          headers: { 'content-type': type },
          payload: jsonWithMember(['password', '__proto__', 'minLength'], 1),
        });
        expect([url, type, res.statusCode, res.json().code]).toEqual([url, type, 400, 'MALFORMED_JSON']);
      }
      await expectUnharmed(['minLength']);
    });

    it('should refuse attribute keys that name the prototype chain, and keep inherited names ordinary', async () => {
      for (const key of ['constructor', 'prototype']) {
        const res = await t.request(attacker.key, { method: 'POST', url: '/v1/attributes', payload: { key, type: 'string' } });
        expect([key, res.statusCode, res.json().errors?.[0]?.code]).toEqual([key, 400, 'FIELD_NAME_FORBIDDEN']);
      }
      // `toString` and `valueOf` are inherited by plain objects: they must act as ordinary keys (unknown, then required).
      const unknown = await t.request(attacker.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${unique()}@acme.com`, attributes: { toString: 'x' } },
      });
      expect([unknown.statusCode, unknown.json().errors[0].code]).toEqual([400, 'ATTRIBUTE_UNKNOWN']);
      const tenant = await t.tenantWithKey();
      expect(
        (
          await t.request(tenant.key, {
            method: 'POST',
            url: '/v1/attributes',
            payload: { key: 'valueOf', type: 'string', required: true },
          })
        ).statusCode,
      ).toBe(201);
      const missing = await t.request(tenant.key, { method: 'POST', url: '/v1/users', payload: { email: `${unique()}@acme.com` } });
      expect([missing.statusCode, missing.json().errors[0].code]).toEqual([400, 'ATTRIBUTE_REQUIRED']);
      const ok = await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${unique()}@acme.com`, attributes: { valueOf: 'v' } },
      });
      expect([ok.statusCode, ok.json().attributes]).toEqual([201, { valueOf: 'v' }]);
    });

    it('should answer 400 TEXT_INVALID to NUL and unpaired surrogates in bodies, queries and logins (L6)', async () => {
      const bodies: Array<[string, string, object]> = [
        ['POST', '/v1/users', { email: `${unique()}@acme.com`, givenName: 'Ada\u0000' }],
        ['POST', '/v1/users', { email: `${unique()}@acme.com`, address: { city: 'Par\uD800is' } }],
        ['POST', '/v1/users', { email: `${unique()}@acme.com`, attributes: { team: 'core\u0000' } }],
        ['POST', '/v1/roles', { name: unique(), description: 'nul\u0000', permissions: ['users:read'] }],
        ['POST', '/v1/groups', { type: 'team', code: unique(), name: 'lone \uDC00' }],
        ['POST', '/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['user.created'], description: 'a\u0000b' }],
      ];
      for (const [method, url, payload] of bodies) {
        const res = await t.request(attacker.key, { method: method as 'POST', url, payload });
        expect([url, res.statusCode, res.json().errors?.[0]?.code]).toEqual([url, 400, 'TEXT_INVALID']);
      }
      for (const query of ['q=a%00b', 'name=%00', 'email=x%00%40acme.com', 'externalId=a%00']) {
        const res = await t.request(attacker.key, { method: 'GET', url: `/v1/users?${query}` });
        expect([query, res.statusCode]).toEqual([query, 400]);
      }
      const events = await t.request(attacker.key, { method: 'GET', url: '/v1/events?type=user.created%00' });
      expect(events.statusCode).toBe(400);
      for (const login of ['chatadmin\u0000', 'chat\uD800admin']) {
        const res = await t.request(undefined, {
          method: 'POST',
          url: '/v1/sessions',
          tenant: attacker.slug,
          payload: { login, password: 'whatever-it-is' },
        });
        expect([res.statusCode, res.json().errors?.[0]?.code]).toEqual([400, 'TEXT_INVALID']);
      }
      await expectUnharmed();
    });

    it('should fail only the item or row with bad text in a batch and an import (L6)', async () => {
      const good = [unique(), unique()];
      const batch = await t.request(attacker.key, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: {
          users: [
            { email: `${good[0]}@acme.com` },
            { email: `${unique()}@acme.com`, familyName: 'Nul\u0000' },
            { email: `${good[1]}@acme.com`, bio: 'fine' },
            { email: `${unique()}@acme.com`, nickname: '\uDBFF' },
          ],
        },
      });
      expect(batch.statusCode).toBeLessThan(500);
      const items = batch.json().results as Array<{ status: string; error?: { errors: Array<{ code: string; path: string }> } }>;
      expect(items.map((i) => i.status)).toEqual(['created', 'failed', 'created', 'failed']);
      expect(items[1]?.error?.errors[0]).toMatchObject({ code: 'TEXT_INVALID', path: '/familyName' });

      const rows = [
        `{"email":"${unique()}@acme.com"}`,
        JSON.stringify({ email: `${unique()}@acme.com`, givenName: 'a\u0000' }),
        `{"email":"${unique()}@acme.com"}`,
      ];
      const ndjson = await importFile(rows.join('\n'), 'application/x-ndjson');
      expect(ndjson.job).toMatchObject({ status: 'completed', created: 2, failed: 1 });
      expect(ndjson.errors).toEqual([expect.objectContaining({ row: 2, code: 'TEXT_INVALID', field: 'givenName' })]);
      const csv = await importFile(`email,givenName\n${unique()}@acme.com,Ann\n${unique()}@acme.com,B\u0000b\n`, 'text/csv');
      expect(csv.job).toMatchObject({ status: 'completed', created: 1, failed: 1 });
      await expectUnharmed();
    });

    it('should answer every generated hostile body on every surface with a 4xx or success, never harming another tenant', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...surfaces),
          fc.oneof(
            hostilePath.map((path) => jsonWithMember(path, 'x', { email: `${unique()}@acme.com`, userName: unique(), username: unique() })),
            fc
              .tuple(badText, fc.constantFrom('givenName', 'name', 'firstName', 'email', 'username', 'userName', 'displayName', 'lastName'))
              .map(([text, key]) => JSON.stringify({ email: `${unique()}@acme.com`, userName: unique(), [key]: text })),
            fc
              .integer({ min: 65, max: 3000 })
              .map((depth) => `{"email":"${unique()}@acme.com","x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
            fc
              .integer({ min: 65, max: 3000 })
              .map((depth) => `{"email":"${unique()}@acme.com","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`),
          ),
          async (surface, json) => {
            const res = await surface.send(json);
            expect([surface.name, res.statusCode < 500]).toEqual([surface.name, true]);
            expect(prototypeMembers()).toEqual(BASELINE);
          },
        ),
        { numRuns: process.env.SOAK ? 400 : 60 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            hostilePath.map((p) => p.join('.')),
            { minLength: 1, maxLength: 3 },
          ),
          async (columns) => {
            const header = ['email', ...columns].join(',');
            const { res, job } = await importFile(`${header}\n${unique()}@acme.com${',v'.repeat(columns.length)}\n`, 'text/csv');
            expect(res.statusCode).toBe(202);
            expect(job).toMatchObject({ status: 'completed', failed: 1 });
          },
        ),
        { numRuns: process.env.SOAK ? 50 : 8 },
      );
      await expectUnharmed(['x']);
    });
  });
}
