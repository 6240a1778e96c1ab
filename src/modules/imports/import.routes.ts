import { Transform } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { bearerToken, tenantContextOf } from '../../http/auth.js';
import { cookieCredential } from '../../http/browser-auth.js';
import { sha256Hex } from '../../lib/secrets.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { ImportFormat } from './import-records.js';
import { ImportErrorsSchema, ImportJobSchema, ImportQuerySchema } from './import.schemas.js';
import type { ImportService } from './import.service.js';
import { assertCanExport, exportUserText } from './user-export.js';
import type { UserService } from '../users/user.service.js';

const tags = ['Imports'];
const FORMATS: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/**
 * Counts the bytes of an upload and stops it past the limit. The error is read by whoever consumes
 * the stream (`readRecords` sees it even if it was raised before it started reading); it must not be
 * an unhandled 'error' event, which would end the process.
 */
function capped(source: Readable, limit: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new AppError('PAYLOAD_TOO_LARGE', { detail: `Uploads may be at most ${limit} bytes` }));
      else done(null, chunk);
    },
  });
  counter.on('error', () => undefined);
  return source.pipe(counter);
}

/**
 * The SHA-256 of the credential the request was authenticated with (the same choice as requireApiKey:
 * the Authorization header, else the session cookie), so the job can find a user's session again.
 */
function presentedTokenHash(request: FastifyRequest): string | undefined {
  const token =
    bearerToken(request.headers.authorization) ?? (request.headers.authorization === undefined ? cookieCredential(request) : undefined);
  return token === undefined ? undefined : sha256Hex(token);
}

export const importRoutes: FastifyPluginAsyncTypebox<{
  imports: ImportService;
  tenants: TenantService;
  maxBytes: number;
  /** For GET /v1/exports/users. */
  users: UserService;
  /** The store, for the password hashes of an export (passed through to user-export.ts). */
  db: Parameters<typeof exportUserText>[1];
}> = async (app, { imports, tenants, maxBytes, users, db }) => {
  // The upload is handed on as a stream: it is read row by row, never buffered whole.
  app.addContentTypeParser(Object.keys(FORMATS), (_request, payload, done) => done(null, payload));

  app.post(
    '/imports',
    {
      schema: {
        summary: 'Start an import job',
        description:
          'Body: CSV with a header row (`text/csv`) or NDJSON (`application/x-ndjson`), streamed. Answers 202 with the job once the upload is stored; ' +
          'a background worker then applies the rows with the rules of POST /v1/users (and, for `mode=upsert` or `sync`, of PATCH /v1/users/{id}). ' +
          'Jobs survive restarts and never apply a row twice. A header problem (unknown column, no identifier column) answers 422 IMPORT_HEADER_INVALID once for the file. ' +
          'With `dryRun=true` every row is checked the same way and the job counts what the real run would do, changing nothing. See docs/imports.md.',
        tags,
        security: bearer,
        headers: tenantHeader,
        querystring: ImportQuerySchema,
        response: { 202: ImportJobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await tenantContextOf(request, tenants);
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const format = FORMATS[type];
      if (!format) throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send text/csv or application/x-ndjson' });
      const job = await imports.submit(
        ctx,
        capped(request.body as Readable, maxBytes),
        format,
        request.query.map,
        request.query.dryRun ?? false,
        presentedTokenHash(request),
        {
          mode: request.query.mode ?? 'create',
          scope: {
            ...(request.query.scopeGroup === undefined ? {} : { group: request.query.scopeGroup }),
            ...(request.query.scopeExternalIdPrefix === undefined ? {} : { externalIdPrefix: request.query.scopeExternalIdPrefix }),
          },
        },
      );
      return reply.code(202).header('location', `/v1/imports/${job.id}`).send(job);
    },
  );

  app.get(
    '/imports/:id',
    {
      schema: {
        summary: 'Progress of an import job',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 200: ImportJobSchema, ...errorResponses },
      },
    },
    async (request) => imports.getImport(await tenantContextOf(request, tenants), request.params.id),
  );

  app.get(
    '/imports/:id/errors',
    {
      schema: {
        summary: 'Failed rows of an import job',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        querystring: Type.Object(
          {
            after: Type.Optional(
              Type.Integer({
                minimum: -1,
                description:
                  'Errors of rows after this one (default -1: from the start, with row 0, the users a sync could not deactivate)',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ImportErrorsSchema, ...errorResponses },
      },
    },
    async (request) =>
      imports.listErrors(await tenantContextOf(request, tenants), request.params.id, request.query.after ?? -1, request.query.limit ?? 100),
  );

  app.get(
    '/exports/users',
    {
      schema: {
        summary: 'Export every user, re-importable as is',
        description:
          'Streams every live user as CSV (`format=csv`, the columns an import reads; `roles` and `groups` split on `;`, `address` and `attributes` as JSON cells) ' +
          'or NDJSON (the user resource, one a line). Either file imports again with `POST /v1/imports` (create or upsert). ' +
          'With `passwordHashes=true` (needs `users:export-secrets`) each user carries its stored password hash (`passwordHash`), for moving users to another instance; ' +
          'a user holding a permission the caller lacks is exported without it. See docs/imports.md.',
        tags,
        security: bearer,
        headers: tenantHeader,
        querystring: Type.Object(
          {
            format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { description: 'Default csv' })),
            passwordHashes: Type.Optional(Type.Boolean({ description: "Add each user's password hash; needs users:export-secrets" })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.String({ description: 'text/csv or application/x-ndjson' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const ctx = await tenantContextOf(request, tenants);
      const format = request.query.format ?? 'csv';
      const options = { passwordHashes: request.query.passwordHashes === true };
      // Checked before the first byte is sent, so a refusal is a 403, not a cut stream.
      assertCanExport(ctx, options);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('cache-control', 'no-store')
        .send(Readable.from(exportUserText(users, db, ctx, format, options)) as unknown as string); // a stream is piped, not serialized
    },
  );
};
