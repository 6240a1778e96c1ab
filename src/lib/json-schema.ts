import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { fieldError, type FieldError } from '../errors/app-error.js';
import type { FieldErrorCode } from '../errors/codes.js';

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options });
  // ajv-formats' CommonJS default export is typed for a different import style.
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/** Bodies are validated strictly: a number is not a string, unknown members are refused. */
export const strictAjv = makeAjv({ coerceTypes: false });
/** Query strings, params and headers arrive as text, so they are coerced. */
export const coercingAjv = makeAjv({ coerceTypes: 'array' });

export interface SchemaIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

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

const READ_ONLY_FIELDS = new Set(['id', 'tenantId', 'seq', 'createdAt', 'updatedAt', 'createdBy', 'version', 'hasPassword', 'permissions']);

/** ajv's errors → field errors: one per path, the path pointing at the offending member itself. */
export function fieldErrorsFromIssues(issues: SchemaIssue[], location?: string): Array<FieldError & { location?: string }> {
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
    const message =
      code === 'FIELD_READ_ONLY' ? `${path.slice(1)} is set by the server` : `${path || 'value'} ${issue.message ?? 'is invalid'}`;
    byPath.set(path, { ...fieldError(path, code, message), ...(location ? { location } : {}) });
  }
  return [...byPath.values()];
}

/** A validator for values inside a body (batch items, import rows), as strict as whole bodies. */
export function compileBodyValidator(schema: object): (value: unknown) => FieldError[] | undefined {
  const validate = strictAjv.compile(schema);
  return (value) => (validate(value) ? undefined : fieldErrorsFromIssues((validate.errors ?? []) as SchemaIssue[]));
}
