import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { FieldErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from './problem.js';

const READ_ONLY_FIELDS = new Set(['id', 'tenantId', 'seq', 'createdAt', 'updatedAt', 'createdBy', 'version', 'hasPassword']);

const keywordCodes: Record<string, FieldErrorCode> = {
  required: 'FIELD_REQUIRED',
  additionalProperties: 'FIELD_UNKNOWN',
  type: 'FIELD_TYPE',
  anyOf: 'FIELD_TYPE',
  maxLength: 'FIELD_TOO_LONG',
  maxItems: 'FIELD_TOO_LONG',
  maxProperties: 'FIELD_TOO_LONG',
  minLength: 'FIELD_TOO_SHORT',
  minItems: 'FIELD_TOO_SHORT',
  minimum: 'FIELD_OUT_OF_RANGE',
  maximum: 'FIELD_OUT_OF_RANGE',
};

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** ajv's errors → our field errors: one per path, the path pointing at the offending member itself. */
export function fieldErrorsFromValidation(issues: AjvIssue[], context: string | undefined): Problem['errors'] {
  const byPath = new Map<string, FieldError & { location?: string }>();
  for (const issue of issues) {
    let path = issue.instancePath;
    let code = keywordCodes[issue.keyword] ?? 'FIELD_INVALID';
    if (issue.keyword === 'required') path += `/${String(issue.params.missingProperty)}`;
    if (issue.keyword === 'additionalProperties') {
      const name = String(issue.params.additionalProperty);
      path += `/${name}`;
      if (issue.instancePath === '' && READ_ONLY_FIELDS.has(name)) code = 'FIELD_READ_ONLY';
    }
    if (byPath.has(path)) continue;
    const message = code === 'FIELD_READ_ONLY' ? `${path.slice(1)} is set by the server` : `${path || 'value'} ${issue.message ?? 'is invalid'}`;
    byPath.set(path, { path, code, message, ...(context && context !== 'body' ? { location: context === 'querystring' ? 'query' : context } : {}) });
  }
  return [...byPath.values()];
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

/** Every error of the native API leaves through here as application/problem+json; nothing internal leaks. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const requestId = String(request.id);
    if (error instanceof AppError) {
      return sendProblem(reply, toProblem(error.code, requestId, { detail: error.message, errors: error.errors, ...(error.details ? { details: error.details } : {}) }));
    }
    if (error.validation) {
      const errors = fieldErrorsFromValidation(error.validation as AjvIssue[], error.validationContext);
      return sendProblem(reply, toProblem('VALIDATION_FAILED', requestId, { errors }));
    }
    const code = codeForFastifyError(error);
    if (code === 'INTERNAL') {
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, toProblem('INTERNAL', requestId));
    }
    return sendProblem(reply, toProblem(code, requestId));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, toProblem('ROUTE_NOT_FOUND', String(request.id), { detail: `No route ${request.method} ${request.url.split('?')[0]}` })));
}
