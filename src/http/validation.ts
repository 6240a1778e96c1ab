import type { FastifySchemaCompiler } from 'fastify';
import { coercingAjv, strictAjv } from '../lib/json-schema.js';

/** Bodies strictly, everything else (text by nature) with coercion. */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  return ({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
}
