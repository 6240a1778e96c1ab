import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

type Operation = { method: string; path: string };

/** `npm run soak` runs the larger variant: many more generated requests per route. */
const RUNS = process.env.SOAK === '1' ? 300 : 12;

/** The error body each part of the API documents: problem+json natively, SCIM's Error, each contract's own. */
function assertDocumentedError(op: Operation, status: number, body: string, contentType: string | undefined): void {
  if (status < 400) return;
  const json = JSON.parse(body) as Record<string, unknown>;
  if (op.path.startsWith('/scim/'))
    expect(json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status) });
  else if (op.path.startsWith('/compat/rollout')) expect(typeof json.errorMessage).toBe('string');
  else if (op.path.startsWith('/compat/pulse')) expect(json).toMatchObject({ error: expect.any(String), status });
  else if (op.path.startsWith('/compat/rocketchat')) expect(json.success === false || json.status === 'error').toBe(true);
  else if (op.path.startsWith('/compat/certification'))
    expect(typeof json.code === 'string' || typeof json.totalProcessed === 'number').toBe(true);
  else if (op.path.startsWith('/compat/fleet')) expect(json).toMatchObject({ error: { code: expect.any(String) } });
  else {
    expect(contentType).toContain('application/problem+json');
    expect(json).toMatchObject({ status, code: expect.any(String), title: expect.any(String) });
  }
}

// Values that break naive parsers and validators.
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    '\u0000',
    '\uFFFF',
    '\uD800',
    ''.padEnd(5000, 'x'),
    -0,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    'null',
    '{"a":1}',
  ),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'email', 'password', 'schemas', 'users', 'Operations'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

for (const dialect of testDialects.slice(0, 1)) {
  describe(`${dialect.name}: generated bad input on every route`, () => {
    let t: TestApp;
    let operations: Operation[];
    let key: string;
    let slug: string;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { ROSTER_REQUEST_TIMEOUT_MS: '2000' } });
      ({ key, slug } = await t.tenantWithKey());
      const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
      operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
      );
      operations.push(
        { method: 'POST', path: '/scim/v2/Users' },
        { method: 'PATCH', path: '/scim/v2/Users/{id}' },
        { method: 'POST', path: '/scim/v2/Bulk' },
      );
    });
    afterAll(async () => t?.close());

    it(
      'should never answer 5xx, always in the documented error format, for generated bodies, queries and headers',
      { timeout: 1_800_000 },
      async () => {
        expect(operations.length).toBeGreaterThan(40);
        const statuses = new Map<number, number>();
        for (const op of operations) {
          await fc.assert(
            fc.asyncProperty(
              nasty,
              fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 90, maxLength: 1200 })),
              fc.dictionary(
                fc.constantFrom('limit', 'cursor', 'filter', 'count', 'startIndex', 'email', 'type', 'since', 'attributes'),
                fc.string({ maxLength: 30 }),
                { maxKeys: 3 },
              ),
              fc.constantFrom(
                'application/json',
                'application/scim+json',
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/xml',
              ),
              fc.dictionary(
                fc.constantFrom(
                  'if-match',
                  'if-none-match',
                  'idempotency-key',
                  'x-request-id',
                  'accept',
                  'x-user-id',
                  'x-auth-token',
                  'x-rollout-credential-id',
                ),
                fc.string({ maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, '')),
                { maxKeys: 3 },
              ),
              async (body, id, query, contentType, extraHeaders) => {
                const url = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(id || 'x'));
                const res = await t.app.inject({
                  method: op.method as 'GET',
                  url,
                  query,
                  headers: {
                    ...extraHeaders,
                    authorization: `Bearer ${key}`,
                    'x-roster-tenant': slug,
                    'x-account-id': slug,
                    'content-type': contentType,
                  },
                  ...(op.method === 'GET' || op.method === 'DELETE'
                    ? {}
                    : { payload: contentType === 'text/plain' ? String(JSON.stringify(body)) : JSON.stringify(body) }),
                });
                statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
                expect(res.statusCode, `${op.method} ${url}`).toBeLessThan(500);
                assertDocumentedError(op, res.statusCode, res.body, res.headers['content-type'] as string | undefined);
              },
            ),
            { numRuns: RUNS },
          );
        }
        // The generator reached past the gates: validation, lookups and successes all happened.
        expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 404, 415]));
        expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(operations.length * RUNS);
      },
    );

    const raw = (payload: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, url = '/v1/users') =>
      t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, ...headers }, payload });

    it('should answer clear 4xx to malformed, deep, huge, duplicated, mistyped and polluting bodies', async () => {
      const cases: Array<[string, Awaited<ReturnType<typeof raw>>, number, string]> = [
        ['malformed JSON', await raw('{"email": '), 400, 'MALFORMED_JSON'],
        ['deep nesting', await raw(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400, 'MALFORMED_JSON'],
        ['prototype pollution', await raw('{"email":"p@acme.com","__proto__":{"admin":true}}'), 400, 'MALFORMED_JSON'],
        ['constructor pollution', await raw('{"email":"p@acme.com","constructor":{"prototype":{"admin":true}}}'), 400, 'MALFORMED_JSON'],
        ['NUL byte', await raw('{"email":"nul\\u0000@acme.com"}'), 400, 'VALIDATION_FAILED'],
        [
          'invalid UTF-8',
          await raw(Buffer.from([0x7b, 0x22, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
          400,
          'VALIDATION_FAILED',
        ],
        ['number for a string', await raw('{"email":42}'), 400, 'VALIDATION_FAILED'],
        ['array for an object', await raw('[{"email":"a@acme.com"}]'), 400, 'VALIDATION_FAILED'],
        ['huge string', await raw(JSON.stringify({ email: 'x'.repeat(10_000) })), 400, 'VALIDATION_FAILED'],
        ['body over the limit', await raw(JSON.stringify({ bio: 'x'.repeat(2_000_000) })), 413, 'PAYLOAD_TOO_LARGE'],
        [
          'wrong content type',
          await raw('email=a@acme.com', { 'content-type': 'application/x-www-form-urlencoded' }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
        ['missing content type', await raw('{"email":"a@acme.com"}', {}), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [
          '1,001-user batch',
          await raw(
            JSON.stringify({ users: Array.from({ length: 1001 }, (_, i) => ({ email: `b${i}@acme.com` })) }),
            undefined,
            '/v1/users/batch',
          ),
          413,
          'BATCH_TOO_LARGE',
        ],
      ];
      for (const [name, res, status, code] of cases) {
        expect([name, res.statusCode, res.json().code]).toEqual([name, status, code]);
      }
      const badUrl = await t.app.inject({ url: '/v1/users/%E0%A4%A', headers: { authorization: `Bearer ${key}` } });
      expect([badUrl.statusCode, badUrl.json().code]).toEqual([400, 'BAD_REQUEST']);
      const longUrl = await t.app.inject({ url: `/v1/users/${'x'.repeat(1500)}`, headers: { authorization: `Bearer ${key}` } });
      expect([longUrl.statusCode, longUrl.json().code]).toEqual([414, 'URI_TOO_LONG']);
      // Duplicate keys: the last one wins, as JSON.parse does, and the value is still validated.
      const duplicate = await raw('{"email":"first@acme.com","email":"second@acme.com"}');
      expect([duplicate.statusCode, duplicate.json().email]).toEqual([201, 'second@acme.com']);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('should cut off a client that sends its body too slowly (slow loris)', { timeout: 20_000 }, async () => {
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.write(
        `POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":`,
      );
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        // One byte a second, never finishing.
        const drip = setInterval(() => socket.writable && socket.write(' '), 1000);
        socket.on('close', () => clearInterval(drip));
      });
      // ROSTER_REQUEST_TIMEOUT_MS is 2 s here: the server answers 408 (or closes) instead of waiting forever.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    });
  });
}
