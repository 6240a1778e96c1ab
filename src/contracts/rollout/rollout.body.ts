import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import qs from 'qs';
import { AppError } from '../../errors/app-error.js';
import { parseJsonBody } from '../../http/hostile-input.js';

/** Members that are objects or arrays, which a form may also send as JSON text. */
const STRUCTURED = new Set(['address', 'participatingOfficeIds']);

/**
 * A multipart form's fields as the JSON body they stand for: bracket notation (`address[city]`,
 * `participatingOfficeIds[]`) nests by `qs`, and structured members sent as JSON text are parsed.
 */
export function formToBody(fields: Record<string, unknown>): Record<string, unknown> {
  const body = qs.parse(fields as Record<string, string>, {
    depth: 3,
    arrayLimit: 200,
    parameterLimit: 500,
    allowPrototypes: false,
  }) as Record<string, unknown>;
  for (const key of STRUCTURED) {
    const value = body[key];
    // OpenAPI's default multipart encoding of an array is one plain part per item: one item is one part.
    if (key === 'participatingOfficeIds' && typeof value === 'string' && !/^\s*\[/.test(value)) {
      // eslint-disable-next-line no-restricted-syntax -- the fixed key participatingOfficeIds
      body[key] = [value];
      continue;
    }
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        // eslint-disable-next-line no-restricted-syntax -- key from STRUCTURED; the value is checked like any JSON body
        body[key] = parseJsonBody(value);
      } catch (error) {
        throw new AppError('MALFORMED_JSON', { detail: `${key}: ${(error as Error).message}` });
      }
    }
  }
  return body;
}

/**
 * The three body kinds Rollout's Create User accepts: JSON, `multipart/form-data` (fields only) and
 * `text/plain` holding JSON text. Registered in the Rollout scope only.
 */
export async function registerRolloutBodies(app: FastifyInstance): Promise<void> {
  await app.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fields: 200, fieldSize: 64 * 1024, files: 0, parts: 200 } });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(
        new AppError('MALFORMED_JSON', { detail: `A text/plain body must hold the user as JSON text: ${(error as Error).message}` }),
        undefined,
      );
    }
  });
  app.addHook('preValidation', async (request) => {
    if (request.isMultipart() && typeof request.body === 'object' && request.body !== null)
      request.body = formToBody(request.body as Record<string, unknown>);
  });
}
