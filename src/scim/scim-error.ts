import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { URN } from './scim.constants.js';

/** RFC 7644 §3.12 `scimType` values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An AppError carrying the SCIM `scimType` the RFC defines for it. */
export function scimError(code: ErrorCode, scimType: ScimType | undefined, detail: string): AppError {
  return new AppError(code, { detail, ...(scimType ? { details: { scimType } } : {}) });
}

const TYPE_OF_CODE: Partial<Record<ErrorCode, ScimType>> = {
  USER_EMAIL_TAKEN: 'uniqueness',
  USER_USERNAME_TAKEN: 'uniqueness',
  USER_ATTRIBUTE_TAKEN: 'uniqueness',
  USER_EXTERNAL_ID_TAKEN: 'uniqueness',
  GROUP_CODE_TAKEN: 'uniqueness',
  VALIDATION_FAILED: 'invalidValue',
  MALFORMED_JSON: 'invalidSyntax',
  BAD_REQUEST: 'invalidSyntax',
};

/** The SCIM Error message: `status` as a string, `scimType` where the RFC has one, `detail` naming the fields. */
export function toScimError(error: AppError): { status: number; body: Record<string, unknown> } {
  const scimType = (error.details?.scimType as ScimType | undefined) ?? TYPE_OF_CODE[error.code];
  const fields = error.errors.map((e) => `${e.path.replace(/^\//, '').replaceAll('/', '.')}: ${e.message}`);
  const detail = fields.length > 0 ? `${error.message}: ${fields.join('; ')}` : error.message;
  return { status: error.status, body: { schemas: [URN.error], status: String(error.status), ...(scimType ? { scimType } : {}), detail } };
}
