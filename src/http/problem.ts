import { Type } from 'typebox';
import { errorCodes, type ErrorCode } from '../errors/codes.js';
import type { FieldError } from '../errors/app-error.js';

/** RFC 9457 problem document, as the native API sends every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: Array<FieldError & { location?: string }>;
  requestId: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemTypeUri(code: ErrorCode): string {
  return `https://roster.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export function toProblem(
  code: ErrorCode,
  requestId: string,
  options: { detail?: string; errors?: Problem['errors']; details?: Record<string, unknown> } = {},
): Problem {
  const { status, title } = errorCodes[code];
  return {
    ...options.details,
    type: problemTypeUri(code),
    title,
    status,
    detail: options.detail ?? title,
    code,
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
    requestId,
  };
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable error code; see docs/errors.md' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'JSON Pointer into the request part' }),
          code: Type.String(),
          message: Type.String(),
          location: Type.Optional(Type.String({ description: '`query`, `params` or `headers` when not the body' })),
        }),
      ),
    ),
    requestId: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);
