import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options });
  // ajv-formats' CommonJS default export is typed for a different import style.
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a number is not a string, unknown members are refused);
 * query strings, params and headers arrive as text, so they are coerced.
 */
const strict = makeAjv({ coerceTypes: false });
const coercing = makeAjv({ coerceTypes: 'array' });

export interface SchemaIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A validator for values inside a body (batch items), with the same strictness as whole bodies. */
export function compileBodyValidator(schema: object): (value: unknown) => SchemaIssue[] | undefined {
  const validate = strict.compile(schema);
  return (value) => (validate(value) ? undefined : ((validate.errors ?? []) as SchemaIssue[]));
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
}
