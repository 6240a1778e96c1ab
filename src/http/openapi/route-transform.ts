import type { FastifySchema, RouteOptions } from 'fastify';
import { documentPath, operationIdOf } from './operation-ids.js';

/**
 * What every documented route gains on its way into the OpenAPI document, decided here once instead of
 * in each route file: its operationId, the credential it needs, the Idempotency-Key header where the
 * route honours it, the JSON Merge Patch media type on PATCH bodies and the upload types of imports.
 * Only the document changes: the route's own schema (which validates requests) is never touched.
 */

type SecurityRequirement = Record<string, string[]>;
type Schema = FastifySchema & { hide?: boolean; operationId?: string; security?: SecurityRequirement[]; consumes?: string[] };

export const BEARER: SecurityRequirement[] = [{ bearerAuth: [] }];

/**
 * Operations that need no credential, by `METHOD /path`. Every other route without a `security` of its
 * own is documented as needing a Bearer credential. `src/http/openapi/openapi-document.test.ts` calls
 * every operation without one, so this list and the server cannot drift apart.
 */
const SECURITY: Readonly<Record<string, SecurityRequirement[]>> = {
  'GET /healthz': [],
  'GET /readyz': [],
  // Open unless ROSTER_METRICS_TOKEN is set.
  'GET /metrics': [{}, { metricsToken: [] }],
  'POST /v1/sessions': [],
  'POST /v1/browser-sessions': [],
  'GET /v1/browser-sessions/current': [{ sessionCookie: [] }],
  // Signing out without a cookie is harmless and answers 204.
  'DELETE /v1/browser-sessions/current': [{ sessionCookie: [] }, {}],
  'POST /v1/email-verifications/{token}': [],
  'POST /v1/password-setups/{token}': [],
  // Forgot password: the person has no credential, by definition.
  'POST /v1/password-resets': [],
  'POST /compat/rocketchat/api/v1/login': [],
  // SCIM discovery describes the service, not a tenant (RFC 7644 §4).
  'GET /scim/v2/ServiceProviderConfig': [],
  'GET /scim/v2/ResourceTypes': [],
  'GET /scim/v2/ResourceTypes/{id}': [],
  'GET /scim/v2/Schemas': [],
  'GET /scim/v2/Schemas/{id}': [],
};

/** As src/http/idempotency.ts accepts it. */
const IDEMPOTENCY_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7E]+$',
  description:
    'Makes a retry safe: the first request with a key runs and its response is kept for 24 hours; a retry by the same credential with the ' +
    'same key and body gets that response again, marked `Idempotent-Replayed: true`, and creates nothing (one-time secrets such as ' +
    '`generatedPassword` are left out of a replay and named in `Idempotent-Omitted`). 1-255 visible ASCII characters, per credential.',
};

const TEXT_UPLOAD = { type: 'string', description: 'The file, streamed' };

/** POST /v1/imports reads its body as a stream (src/modules/imports/import.routes.ts), so it has no schema to validate with. */
const IMPORT_BODY = {
  description: 'The users to import, one record per row or line; streamed, never buffered whole.',
  content: {
    'text/csv': { schema: { ...TEXT_UPLOAD, description: 'CSV with a header row; columns are user fields (see `map` to rename them)' } },
    'application/x-ndjson': { schema: { ...TEXT_UPLOAD, description: 'One JSON user object per line, as the body of POST /v1/users' } },
    'application/ndjson': { schema: { ...TEXT_UPLOAD, description: 'As application/x-ndjson' } },
    'application/jsonl': { schema: { ...TEXT_UPLOAD, description: 'As application/x-ndjson' } },
  },
};

interface ObjectSchema {
  type?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

function withHeader(headers: unknown, name: string, schema: object): ObjectSchema {
  const base = (headers ?? { type: 'object' }) as ObjectSchema;
  return { ...base, type: 'object', properties: { ...base.properties, [name]: schema } };
}

export function transformRoute({ schema, url, route }: { schema: FastifySchema | undefined; url: string; route: RouteOptions }): {
  schema: FastifySchema;
  url: string;
} {
  const own = (schema ?? {}) as Schema;
  if (own.hide) return { schema: own, url };
  const method = String(route.method).toUpperCase();
  const key = `${method} ${documentPath(url)}`;
  const next: Schema = {
    ...own,
    operationId: own.operationId ?? operationIdOf(method, url),
    security: own.security ?? SECURITY[key] ?? BEARER,
  };
  if (route.config?.idempotent) next.headers = withHeader(own.headers, 'idempotency-key', IDEMPOTENCY_KEY);
  // The native API parses application/merge-patch+json as JSON on every route (src/http/server.ts), and its PATCH bodies are merge patches.
  if (method === 'PATCH' && own.body && !own.consumes && url.startsWith('/v1/'))
    next.consumes = ['application/json', 'application/merge-patch+json'];
  if (key === 'POST /v1/imports' && !own.body) next.body = IMPORT_BODY;
  return { schema: next, url };
}
