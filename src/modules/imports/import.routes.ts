import { Transform } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
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

export const importRoutes: FastifyPluginAsyncTypebox<{ imports: ImportService; tenants: TenantService; maxBytes: number }> = async (
  app,
  { imports, tenants, maxBytes },
) => {
  // The upload is handed on as a stream: it is read row by row, never buffered whole.
  app.addContentTypeParser(Object.keys(FORMATS), (_request, payload, done) => done(null, payload));

  app.post(
    '/imports',
    {
      schema: {
        summary: 'Start an import job',
        description:
          'Body: CSV with a header row (`text/csv`) or NDJSON (`application/x-ndjson`), streamed. Answers 202 with the job once the upload is stored; ' +
          'a background worker then creates the users with the rules of POST /v1/users. Jobs survive restarts and never create a row twice. ' +
          'With `dryRun=true` every row is checked the same way (against existing users and within each batch of 500 rows) and nothing is created.',
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
          { after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
          { additionalProperties: false },
        ),
        response: { 200: ImportErrorsSchema, ...errorResponses },
      },
    },
    async (request) =>
      imports.listErrors(await tenantContextOf(request, tenants), request.params.id, request.query.after ?? 0, request.query.limit ?? 100),
  );
};
