import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { normalizeInput } from './scim-input.js';
import { applyPatch, patchOperations } from './scim-patch.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Names a polluting request would leave on Object.prototype (or on a shared built-in function). */
const PROBES = ['polluted', 'x', 'rtProbe', 'detail', 'admin'];
const polluted = () => {
  const probe = {} as Record<string, unknown>;
  const fn = probe.toString as unknown as Record<string, unknown>;
  return PROBES.filter(
    (p) => probe[p] !== undefined || fn[p] !== undefined || (Object as unknown as Record<string, unknown>)[p] !== undefined,
  );
};

/** Paths that walk into `__proto__`, `constructor` or `prototype` some other way than the review's `__proto__.rtProbe`. */
const POLLUTING_PATHS = [
  '__proto__.polluted',
  'constructor.prototype.polluted',
  'name.__proto__.polluted',
  'emails[type eq "work"].__proto__',
  'emails[type eq "work"].constructor',
  'emails[__proto__ eq "x"].value',
  `${USER}:__proto__.polluted`,
  `${ENTERPRISE}:constructor.prototype.polluted`,
  'Constructor.Prototype.polluted',
  'roles[value eq "x"].prototype',
];

describe('applyPatch', () => {
  it('should refuse prototype paths and keep built-ins untouched even for names it accepts', () => {
    for (const path of ['constructor.prototype.polluted', '__proto__.polluted', 'name.constructor']) {
      expect(() => applyPatch({ name: {} }, [{ op: 'add', path, value: 'x' }])).toThrow(
        expect.objectContaining({ details: { scimType: 'invalidPath' } }),
      );
    }
    // Inherited members are not attributes: `toString.x` makes an own member of the copy, never of the shared function.
    const patched = applyPatch({ userName: 'a' }, [
      { op: 'add', path: 'toString.x', value: 'y' },
      { op: 'add', value: { hasOwnProperty: { x: 1 } } },
    ]);
    expect(Object.getPrototypeOf(patched)).toBeNull();
    expect(polluted()).toEqual([]);
  });
});

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: SCIM hostile input`, () => {
    let t: TestApp;
    let a: { tenantId: string; key: string };
    let other: { key: string };
    let readOnly: string;
    let userId: string;
    let groupId: string;

    beforeAll(async () => {
      t = await createTestApp(dialect);
      a = await t.tenantWithKey();
      other = await t.tenantWithKey();
      readOnly = await t.keyWithPermissions(a.tenantId, ['users:read']);
      const user = await scim(a.key, 'POST', '/Users', {
        schemas: [USER],
        userName: 'target',
        title: 'Before',
        emails: [{ value: 'target@acme.com', type: 'work' }],
      });
      userId = user.json().id;
      groupId = (await scim(a.key, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Target group' })).json().id;
    });
    afterAll(async () => t?.close());
    afterEach(async () => {
      // Nothing global changed, and another tenant's ordinary read still answers.
      expect(polluted()).toEqual([]);
      expect((await t.request(other.key, { method: 'GET', url: '/v1/users' })).statusCode).toBe(200);
    });

    const scim = (key: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/scim/v2${url}`,
        headers: { authorization: `Bearer ${key}`, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
        ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
      });
    const patchOp = (operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });
    const expectError = (res: { statusCode: number; json(): Record<string, unknown> }, status: number, scimType?: string) => {
      expect([res.statusCode, res.json()]).toEqual([
        status,
        expect.objectContaining({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}) }),
      ]);
    };
    const title = async () => (await scim(a.key, 'GET', `/Users/${userId}`)).json().title;

    it('should refuse every path that walks into a prototype with 400 invalidPath, on Users and Groups', async () => {
      for (const path of POLLUTING_PATHS) {
        for (const op of ['add', 'replace', 'remove']) {
          expectError(
            await scim(a.key, 'PATCH', `/Users/${userId}`, patchOp([{ op, path, value: { polluted: 'yes' } }])),
            400,
            'invalidPath',
          );
        }
        expectError(await scim(a.key, 'PATCH', `/Groups/${groupId}`, patchOp([{ op: 'add', path, value: 'yes' }])), 400, 'invalidPath');
      }
      // A refused operation aborts the whole request: the valid one before it is not applied either.
      expectError(
        await scim(
          a.key,
          'PATCH',
          `/Users/${userId}`,
          patchOp([
            { op: 'replace', path: 'title', value: 'Changed' },
            { op: 'add', path: 'name.__proto__.polluted', value: 1 },
          ]),
        ),
        400,
        'invalidPath',
      );
      expect(await title()).toBe('Before');
    });

    it('should refuse path-less values whose keys are prototype paths, and prototype names at any depth of a value', async () => {
      for (const value of [
        { 'name.__proto__.polluted': 'x' },
        { '__proto__.polluted': 'x' },
        { 'constructor.prototype.polluted': 'x' },
        { [`${ENTERPRISE}:__proto__.polluted`]: 'x' },
      ]) {
        expectError(await scim(a.key, 'PATCH', `/Users/${userId}`, patchOp([{ op: 'add', value }])), 400, 'invalidPath');
      }
      // Prototype member names inside a value: the shared JSON parser refuses them (invalidSyntax); past it, patchOperations does (invalidValue).
      for (const value of [
        { constructor: 'x' },
        { name: { prototype: { polluted: 1 } } },
        { addresses: [{ locality: 'x', constructor: { polluted: 1 } }] },
      ]) {
        expectError(await scim(a.key, 'PATCH', `/Users/${userId}`, patchOp([{ op: 'add', value }])), 400, 'invalidSyntax');
        expectError(
          await scim(a.key, 'PATCH', `/Users/${userId}`, patchOp([{ op: 'replace', path: 'name', value }])),
          400,
          'invalidSyntax',
        );
        expect(() => patchOperations(patchOp([{ op: 'add', value }]))).toThrow(
          expect.objectContaining({ details: { scimType: 'invalidValue' } }),
        );
      }
      const raw = `{"schemas":["${PATCH}"],"Operations":[{"op":"add","path":"name","value":{"__proto__":{"polluted":1}}}]}`;
      expectError(await scim(a.key, 'PATCH', `/Users/${userId}`, raw), 400, 'invalidSyntax');
      expect(() => patchOperations(JSON.parse(raw))).toThrow(expect.objectContaining({ details: { scimType: 'invalidValue' } }));
      // Inherited names that are no prototype path are just unknown attributes: stored nowhere, shared by no one.
      expect(
        (
          await scim(
            a.key,
            'PATCH',
            `/Users/${userId}`,
            patchOp([
              { op: 'add', path: 'toString.polluted', value: 'x' },
              { op: 'add', value: { valueOf: { polluted: 1 } } },
            ]),
          )
        ).statusCode,
      ).toBe(200);
      expect(await title()).toBe('Before');
    });

    it('should refuse a caller without users:update or groups:manage with 403 before reading the operations', async () => {
      for (const path of ['__proto__.rtProbe', 'constructor.prototype.polluted', 'title']) {
        expectError(await scim(readOnly, 'PATCH', `/Users/${userId}`, patchOp([{ op: 'add', path, value: 'x' }])), 403);
        expectError(await scim(readOnly, 'PATCH', `/Groups/${groupId}`, patchOp([{ op: 'add', path, value: 'x' }])), 403);
      }
      // Even a body that is not a PatchOp at all: the permission is the first thing checked.
      expectError(await scim(readOnly, 'PATCH', `/Users/${userId}`, { nonsense: true }), 403);
      expectError(await scim(readOnly, 'PUT', `/Users/${userId}`, { schemas: [USER], userName: 'target', title: 'Hijacked' }), 403);
      expectError(await scim(readOnly, 'PUT', `/Groups/${groupId}`, { schemas: [GROUP], displayName: 'Hijacked' }), 403);
      expect(await title()).toBe('Before');
      expect((await scim(a.key, 'GET', `/Groups/${groupId}`)).json().displayName).toBe('Target group');
    });

    it('should refuse the same paths inside /Bulk, per operation, and a read-only caller per operation with 403', async () => {
      const operations = POLLUTING_PATHS.slice(0, 5).map((path) => ({
        method: 'PATCH',
        path: `/Users/${userId}`,
        data: patchOp([{ op: 'add', path, value: 'x' }]),
      }));
      operations.push({
        method: 'PATCH',
        path: `/Groups/${groupId}`,
        data: patchOp([{ op: 'add', path: 'constructor.prototype.polluted', value: 'x' }]),
      });
      const res = await scim(a.key, 'POST', '/Bulk', { schemas: [BULK], Operations: operations });
      expect(res.statusCode).toBe(200);
      expect(res.json().Operations.map((o: { status: string; response: { scimType: string } }) => [o.status, o.response.scimType])).toEqual(
        operations.map(() => ['400', 'invalidPath']),
      );

      const denied = await scim(readOnly, 'POST', '/Bulk', {
        schemas: [BULK],
        Operations: [
          { method: 'PATCH', path: `/Users/${userId}`, data: patchOp([{ op: 'add', path: '__proto__.rtProbe', value: 'x' }]) },
          { method: 'PUT', path: `/Users/${userId}`, data: { schemas: [USER], userName: 'target', title: 'Hijacked' } },
          { method: 'PATCH', path: `/Groups/${groupId}`, data: patchOp([{ op: 'replace', path: 'displayName', value: 'Hijacked' }]) },
        ],
      });
      expect(denied.json().Operations.map((o: { status: string }) => o.status)).toEqual(['403', '403', '403']);
      expect(await title()).toBe('Before');
    });

    it('should answer 400 invalidSyntax to arrays or objects nested beyond 64 levels on every SCIM body, in both content types (L7)', async () => {
      const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
      const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
      const mixed = (n: number) => `${'[{"b":'.repeat(n)}0${'}]'.repeat(n)}`;
      const bodies = (deep: string): Array<['POST' | 'PUT' | 'PATCH', string, string]> => [
        ['POST', '/Users', `{"schemas":["${USER}"],"userName":"deep","x":${deep}}`],
        ['PUT', `/Users/${userId}`, `{"schemas":["${USER}"],"userName":"target","name":{"givenName":${deep}}}`],
        ['PATCH', `/Users/${userId}`, `{"schemas":["${PATCH}"],"Operations":[{"op":"add","path":"title","value":${deep}}]}`],
        ['PATCH', `/Users/${userId}`, `{"schemas":["${PATCH}"],"Operations":${deep}}`],
        ['POST', '/Groups', `{"schemas":["${GROUP}"],"displayName":"deep","members":${deep}}`],
        ['PATCH', `/Groups/${groupId}`, `{"schemas":["${PATCH}"],"Operations":[{"op":"add","path":"members","value":${deep}}]}`],
        [
          'POST',
          '/Bulk',
          `{"schemas":["${BULK}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"d","data":{"schemas":["${USER}"],"userName":"deep","x":${deep}}}]}`,
        ],
        ['POST', '/Bulk', `{"schemas":["${BULK}"],"Operations":${deep}}`],
      ];
      for (const deep of [arrays(100_000), objects(50_000), mixed(20_000), arrays(65), objects(70)]) {
        for (const [method, url, payload] of bodies(deep)) {
          for (const type of ['application/scim+json', 'application/json']) {
            const res = await t.app.inject({
              method,
              url: `/scim/v2${url}`,
              headers: { authorization: `Bearer ${a.key}`, 'content-type': type },
              payload,
            });
            expect([method, url, type, deep.length, res.statusCode, res.json().scimType, res.json().schemas]).toEqual([
              method,
              url,
              type,
              deep.length,
              400,
              'invalidSyntax',
              [ERROR],
            ]);
            expect(res.json().detail).toMatch(/nest/);
          }
        }
      }
      // The shared body parser refuses these first; SCIM's own walk is the second lock, for bodies that come another way.
      for (const deep of [arrays(100_000), objects(50_000)]) {
        expect(() => normalizeInput(JSON.parse(deep))).toThrow(expect.objectContaining({ details: { scimType: 'invalidSyntax' } }));
        expect(() => patchOperations({ schemas: [PATCH], Operations: [{ op: 'add', path: 'title', value: JSON.parse(deep) }] })).toThrow(
          expect.objectContaining({ details: { scimType: 'invalidSyntax' } }),
        );
      }
      // Nesting below the limit is still an ordinary (ignored) member.
      const shallow = await scim(
        a.key,
        'POST',
        '/Users',
        `{"schemas":["${USER}"],"userName":"shallow","x":${arrays(60)},"y":${objects(60)}}`,
      );
      expect(shallow.statusCode).toBe(201);
      // Filters nest too: parentheses and brackets beyond the limit are an invalidFilter, not a stack overflow.
      for (const filter of [
        `${'('.repeat(5000)}userName eq "x"${')'.repeat(5000)}`,
        `${'not ('.repeat(2000)}title pr${')'.repeat(2000)}`,
        `emails[${'('.repeat(3000)}value pr${')'.repeat(3000)}]`,
      ]) {
        for (const resource of ['Users', 'Groups']) {
          expectError(await scim(a.key, 'GET', `/${resource}?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
        }
      }
      const chained = Array.from({ length: 600 }, (_, i) => `title eq "t${i}"`).join(' or ');
      expect((await scim(a.key, 'GET', `/Users?filter=${encodeURIComponent(chained)}`)).statusCode).toBe(200);
    });

    it('should still apply ordinary patches: value filters, URN paths, path-less values', async () => {
      const res = await scim(
        a.key,
        'PATCH',
        `/Users/${userId}`,
        patchOp([
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'moved@acme.com' },
          { op: 'add', path: 'name', value: { givenName: 'Ada' } },
          { op: 'replace', value: { 'name.familyName': 'Lovelace', nickName: 'ada' } },
          { op: 'replace', path: `${USER}:title`, value: 'After' },
        ]),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        title: 'After',
        nickName: 'ada',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'moved@acme.com' }],
      });
      await scim(a.key, 'PATCH', `/Users/${userId}`, patchOp([{ op: 'replace', path: 'title', value: 'Before' }]));
    });
  });
}
