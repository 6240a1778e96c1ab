import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { fieldErrorsFromIssues, type SchemaIssue } from '../lib/json-schema.js';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from './problem.js';

/** ajv's errors of a request part → field errors; `location` says which part when it is not the body. */
export function fieldErrorsFromValidation(issues: SchemaIssue[], context: string | undefined): Problem['errors'] {
  return fieldErrorsFromIssues(issues, context && context !== 'body' ? (context === 'querystring' ? 'query' : context) : undefined);
}

function codeForFastifyError(error: FastifyError): ErrorCode {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'MALFORMED_JSON';
    default:
      if (error.statusCode === 413) return 'PAYLOAD_TOO_LARGE';
      if (error.statusCode === 415) return 'UNSUPPORTED_MEDIA_TYPE';
      if (error.statusCode === 404) return 'ROUTE_NOT_FOUND';
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? 'BAD_REQUEST' : 'INTERNAL';
  }
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * Any error a route can end with, as an AppError: schema failures become VALIDATION_FAILED with
 * their field errors, Fastify's own errors their catalog code, and anything else INTERNAL (logged
 * here, never shown). Every adapter maps the result to its own body.
 */
export function asAppError(error: FastifyError, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) {
    return new AppError('VALIDATION_FAILED', {
      errors: fieldErrorsFromValidation(error.validation as SchemaIssue[], error.validationContext),
    });
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error, request);
  const code = codeForFastifyError(error);
  if (code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
  return new AppError(code);
}

/** Seconds a client is told to wait when the database is unreachable: about one failover detection round. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The database is unreachable, shutting down or read-only (a failover): the request may well succeed in a
 * few seconds, so it is SERVICE_UNAVAILABLE with Retry-After on every surface, never a 500. A write that
 * got this answer was not committed by Roster's request (its transaction did not reach COMMIT, or its
 * connection died before the answer); retrying with the same Idempotency-Key is safe.
 */
function databaseUnavailable(error: FastifyError, request: FastifyRequest): AppError {
  request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
  return new AppError('SERVICE_UNAVAILABLE', {
    detail: 'The database is not reachable at the moment (a restart or failover); try again shortly',
    details: { retryAfter: DATABASE_RETRY_AFTER_SECONDS },
    cause: error,
  });
}

/** Errors that say when to come back (429, 503) carry `retryAfter` seconds: every API sends it as Retry-After. */
export function setRetryAfter(reply: FastifyReply, error: AppError): void {
  if (typeof error.details?.retryAfter === 'number') reply.header('retry-after', String(error.details.retryAfter));
}

/** Every error of the native API leaves through here as application/problem+json; nothing internal leaks. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = asAppError(error, request);
    setRetryAfter(reply, appError);
    return sendProblem(
      reply,
      toProblem(appError.code, String(request.id), {
        detail: appError.message,
        errors: appError.errors,
        ...(appError.details ? { details: appError.details } : {}),
      }),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      toProblem('ROUTE_NOT_FOUND', String(request.id), { detail: `No route ${request.method} ${request.url.split('?')[0]}` }),
    ),
  );
}
