import { errorCodes, fieldErrorCodes, type ErrorCode, type FieldErrorCode } from './codes.js';

/** One broken rule on one field. `path` is a JSON Pointer into the request body (`/address/country`). */
export interface FieldError {
  path: string;
  code: FieldErrorCode;
  message: string;
}

export function fieldError(path: string, code: FieldErrorCode, message?: string): FieldError {
  return { path, code, message: message ?? fieldErrorCodes[code] };
}

/**
 * The single error type of Roster. The HTTP status comes from the catalog, never from the throw site.
 * Each adapter (native API, SCIM, a seed contract) turns it into its own body.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[];
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    options: { detail?: string; errors?: FieldError[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(options.detail ?? errorCodes[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.errors = options.errors ?? [];
    this.details = options.details;
  }
}

/** `assert(user, 'USER_NOT_FOUND')`: narrows `value` or throws the code. */
export function assert<T>(value: T, code: ErrorCode, detail?: string): asserts value is NonNullable<T> {
  if (value === undefined || value === null || value === false) throw new AppError(code, detail === undefined ? {} : { detail });
}

/** Throws VALIDATION_FAILED listing every collected field error, if there are any. */
export function throwIfFieldErrors(errors: FieldError[]): void {
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', { errors });
}
