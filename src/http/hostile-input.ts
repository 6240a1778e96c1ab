import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, fieldError } from '../errors/app-error.js';
import { describeInputProblem, findInputProblem } from '../lib/safe-input.js';

/**
 * The one JSON body parser of every surface (native, SCIM, contracts): JSON text becomes a value
 * only if no member is named `__proto__`/`constructor`/`prototype` and nothing nests deeper than
 * MAX_INPUT_DEPTH. Both are checked by one iterative walk, so no body can overflow the stack.
 * @throws MALFORMED_JSON naming the member or the depth.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError('MALFORMED_JSON', { detail: 'The body is empty' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError('MALFORMED_JSON', {
      detail: error instanceof RangeError ? 'The body is nested too deeply' : 'The body is not valid JSON',
    });
  }
  const problem = findInputProblem(value);
  if (problem) throw new AppError('MALFORMED_JSON', { detail: describeInputProblem(problem) });
  return value;
}

/** Registers parseJsonBody for the given JSON media types in this scope (replacing Fastify's own). */
export function useJsonBodyParser(app: FastifyInstance, contentTypes: string[]): void {
  for (const type of contentTypes) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The body is a list of independent items (a batch, a SCIM Bulk): text that no store can hold is
     * reported per item by the core, so one bad item does not fail the others.
     */
    itemizedBody?: boolean;
  }
}

function textProblem(request: FastifyRequest): AppError | null {
  // The query parser builds objects on its own prototype: copy them to plain ones for the walk.
  const parts: Array<[string, unknown]> = [
    ['query', { ...(request.query as object) }],
    ['params', { ...(request.params as object) }],
  ];
  if (!request.routeOptions.config?.itemizedBody) parts.push(['body', request.body]);
  for (const [location, value] of parts) {
    const problem = findInputProblem(value, { text: true });
    if (problem?.kind !== 'invalid-text') continue;
    const error = { ...fieldError(problem.pointer, 'TEXT_INVALID'), ...(location === 'body' ? {} : { location }) };
    return new AppError('VALIDATION_FAILED', { errors: [error] });
  }
  return null;
}

/**
 * NUL characters and unpaired surrogates in a query, a path parameter or a body are refused with
 * VALIDATION_FAILED / TEXT_INVALID before any route runs: PostgreSQL cannot store a NUL (it would
 * answer 500) and UTF-8 cannot carry a lone surrogate (drivers would change the text silently).
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const error = textProblem(request);
    if (error) throw error;
  });
}
