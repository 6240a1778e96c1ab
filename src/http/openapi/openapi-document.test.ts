import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { operationIdOf } from './operation-ids.js';

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  servers?: Array<{ url: string }>;
  info: { license?: { name: string } };
  paths: Record<string, Record<string, Operation>>;
}

const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );

describe('operation names', () => {
  it('should read as verb and resource, from method and path', () => {
    expect(operationIdOf('GET', '/v1/users')).toBe('listUsers');
    expect(operationIdOf('POST', '/v1/users')).toBe('createUser');
    expect(operationIdOf('GET', '/v1/users/:id')).toBe('getUser');
    expect(operationIdOf('PATCH', '/v1/users/{id}')).toBe('updateUser');
    expect(operationIdOf('DELETE', '/v1/roles/:id')).toBe('deleteRole');
    expect(operationIdOf('GET', '/v1/webhooks/:id/deliveries')).toBe('listWebhookDeliveries');
    expect(operationIdOf('PUT', '/scim/v2/Users/:id')).toBe('replaceScimUser');
    expect(operationIdOf('POST', '/compat/fleet/users')).toBe('createFleetUser');
  });
});

// The document's security must be what the server does: public operations answer without a credential,
// the others refuse with 401.
for (const dialect of testDialects.slice(0, 1)) {
  describe(`${dialect.name}: the served OpenAPI document`, () => {
    let t: TestApp;
    let doc: Document;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      doc = (await t.app.inject({ url: '/openapi.json' })).json() as Document;
    });
    afterAll(async () => t?.close());

    it('should name every operation once, declare servers and the licence of package.json', () => {
      const ids = operationsOf(doc).map(({ op }) => op.operationId);
      expect(ids.filter((id) => !id || !/^[a-z][A-Za-z0-9]+$/.test(id))).toEqual([]);
      expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
      expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
      expect(doc.info.license?.name).toBe('MIT');
    });

    it("should show Roster's name on the reference page, not the generator's logo", async () => {
      const initializer = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
      expect(initializer.statusCode).toBe(200);
      const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(initializer.body)?.[1];
      expect(Buffer.from(logo ?? '', 'base64').toString('utf8')).toContain('Roster API');
    });

    it('should declare security on every operation, and the server should agree with it', { timeout: 60_000 }, async () => {
      const wrong: string[] = [];
      for (const { method, path, op } of operationsOf(doc)) {
        expect(op.security, `${method} ${path}`).toBeDefined();
        const anonymous = op.security!.length === 0 || op.security!.some((requirement) => Object.keys(requirement).length === 0);
        const url = path.replace(/\{[^}]+\}/g, 'x');
        // The documented example body, so that body validation (which may run first) does not answer for the credential check.
        const example = op.requestBody?.content['application/json']?.example ?? {};
        const res = await t.app.inject({
          method: method as 'GET',
          url,
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: example as object }),
        });
        if (anonymous === (res.statusCode === 401))
          wrong.push(`${method} ${path}: documented ${anonymous ? 'public' : 'secured'}, answered ${res.statusCode}`);
      }
      expect(wrong).toEqual([]);
    });

    it('should describe the Idempotency-Key header where it is honoured, and it should work there', async () => {
      const withKey = operationsOf(doc)
        .filter(({ op }) => op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'))
        .map(({ op }) => op.operationId);
      expect(withKey.sort()).toEqual(['createUser', 'createUsersBatch']);
      const { key } = await t.tenantWithKey();
      const send = () =>
        t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          headers: { 'idempotency-key': 'batch-1' },
          payload: { users: [{ username: 'idempotent1' }] },
        });
      const first = await send();
      const again = await send();
      expect([first.statusCode, again.headers['idempotent-replayed']]).toEqual([again.statusCode, 'true']);
    });

    it('should describe every upload type of POST /v1/imports, and accept each', async () => {
      const types = Object.keys(doc.paths['/v1/imports']!.post!.requestBody!.content);
      expect(types).toEqual(expect.arrayContaining(['text/csv', 'application/x-ndjson']));
      const { key } = await t.tenantWithKey();
      for (const [index, type] of types.entries()) {
        const email = `import${index}@example.com`;
        const payload = type === 'text/csv' ? `email\n${email}\n` : `${JSON.stringify({ email })}\n`;
        const res = await t.request(key, { method: 'POST', url: '/v1/imports?dryRun=true', headers: { 'content-type': type }, payload });
        expect([type, res.statusCode]).toEqual([type, 202]);
      }
    });

    it('should describe application/merge-patch+json on the native PATCH bodies, errors as problem documents and SCIM errors as SCIM', () => {
      const patches = operationsOf(doc).filter(({ method, path, op }) => method === 'PATCH' && path.startsWith('/v1/') && op.requestBody);
      expect(patches.length).toBeGreaterThan(3);
      for (const { path, op } of patches)
        expect(Object.keys(op.requestBody!.content), path).toEqual(['application/json', 'application/merge-patch+json']);
      expect(Object.keys(doc.paths['/v1/users']!.post!.responses['4XX']!.content!)).toEqual(['application/problem+json']);
      expect(Object.keys(doc.paths['/scim/v2/Users']!.post!.responses['4XX']!.content!)).toEqual(['application/scim+json']);
    });
  });
}
