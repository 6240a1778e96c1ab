import fs from 'node:fs';
import { fromSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * Request and response schemas taken from the seed documents themselves (copied here from
 * shared/seeds as fixtures), so the contract tests check Roster against the vendors' words and not
 * against a retyped copy. OpenAPI 3.0 schemas (`nullable`, `example`) are turned into JSON Schema
 * by @openapi-contrib/openapi-schema-to-json-schema, then compiled by Ajv.
 */
const SEEDS = new URL('./seeds/', import.meta.url);

export function readSeed(prefix: string): string {
  const file = fs.readdirSync(SEEDS).find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`no seed ${prefix}`);
  return fs.readFileSync(new URL(file, SEEDS), 'utf8');
}

/** The bodies of the fenced blocks of a markdown text with this info string (```json, ````yaml …). */
export function fencedBlocks(text: string, language: string): string[] {
  const pattern = new RegExp(String.raw`^(\`{3,})${language}[^\n]*\n([\s\S]*?)^\1\s*$`, 'gm');
  return [...text.matchAll(pattern)].map((m) => m[2] as string);
}

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);

export function toJsonSchema(schema: unknown): object {
  // The converter stamps draft-04; the keywords used are the same in the draft Ajv speaks.
  const { $schema: _draft, ...converted } = fromSchema(schema as Parameters<typeof fromSchema>[0]);
  return converted;
}

export function compile(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

/** Ajv's verdict as a list of readable problems (empty when valid), for clear test failures. */
export function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

type OpenApiDoc = { paths: Record<string, Record<string, OpenApiOperation>>; components?: { responses?: Record<string, OpenApiResponse> } };
type OpenApiResponse = { $ref?: string; content?: Record<string, { schema: unknown }> };
type OpenApiOperation = { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, OpenApiResponse> };

/** One operation of an OpenAPI document: its request schema per media type, and its response schemas (JSON) per status. */
export function operationSchemas(doc: OpenApiDoc, path: string, method: string) {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`no ${method} ${path} in the seed`);
  const resolve = (r: OpenApiResponse): OpenApiResponse =>
    r.$ref ? (doc.components?.responses?.[r.$ref.split('/').pop() as string] ?? r) : r;
  const request = Object.fromEntries(Object.entries(op.requestBody?.content ?? {}).map(([type, c]) => [type, toJsonSchema(c.schema)]));
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, r]) => [status, toJsonSchema(resolve(r).content?.['application/json']?.schema ?? {})]),
  );
  return { request, responses };
}

/** Seed 000, Rollout: the OpenAPI YAML in its ````yaml block. */
export function rolloutSeed() {
  const [yaml] = fencedBlocks(readSeed('000_'), 'yaml');
  return operationSchemas(YAML.parse(yaml as string) as OpenApiDoc, '/users', 'post');
}

/** Seed 002, Rocket.Chat: the OpenAPI JSON in its ````json block. */
export function rocketChatSeed() {
  const [json] = fencedBlocks(readSeed('002_'), 'json');
  return operationSchemas(JSON.parse(json as string) as OpenApiDoc, '/api/v1/users.create', 'post');
}

/** Seed 004, Fleet: its two ```json blocks are the request body schema and the 201 response schema. */
export function fleetSeed() {
  const [request, created] = fencedBlocks(readSeed('004_'), 'json').map((b) => toJsonSchema(JSON.parse(b)));
  return { request: request as object, responses: { '201': created as object } };
}
