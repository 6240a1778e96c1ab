import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import fastJson from 'fast-json-stringify';
import { coercingAjv, strictAjv } from '../lib/json-schema.js';

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

/**
 * Bodies strictly, everything else (text by nature) with coercion. Each validator is compiled on its
 * route's first request, not at start: Roster has a few hundred route schemas (native, SCIM, five
 * contracts), and compiling them all up front cost most of the start time and tens of MiB that a
 * deployment using one protocol never needs.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  return ({ schema, httpPart }) => {
    let compiled: Validate | undefined;
    const validate: Validate = (data) => {
      compiled ??= (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object) as Validate;
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    };
    return validate as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

/** Response serializers (fast-json-stringify, as Fastify's default) built on first use, for the same reason. */
export function createSerializerCompiler(): FastifySerializerCompiler<unknown> {
  return ({ schema }) => {
    let stringify: ((data: unknown) => string) | undefined;
    return (data) => (stringify ??= fastJson(schema as Parameters<typeof fastJson>[0]) as (data: unknown) => string)(data);
  };
}
