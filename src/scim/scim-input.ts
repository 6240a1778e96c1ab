import { isPrototypeKey, MAX_INPUT_DEPTH } from '../lib/safe-input.js';
import { URN } from './scim.constants.js';
import { scimError } from './scim-error.js';
import type { ScimResource } from './scim-user.mapper.js';

// Every attribute name Roster understands, so input in any letter case (Entra ID sends `Active`,
// some clients `UserName`) is read under its canonical name.
const NAMES = [
  'schemas',
  'id',
  'externalId',
  'userName',
  'name',
  'formatted',
  'familyName',
  'givenName',
  'middleName',
  'honorificPrefix',
  'honorificSuffix',
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'active',
  'password',
  'emails',
  'value',
  'type',
  'primary',
  'display',
  'phoneNumbers',
  'addresses',
  'streetAddress',
  'locality',
  'region',
  'postalCode',
  'country',
  'photos',
  'groups',
  'roles',
  'meta',
  'members',
  'employeeNumber',
  'costCenter',
  'organization',
  'division',
  'department',
  'manager',
  'Operations',
  'op',
  'path',
  'failOnErrors',
  'method',
  'bulkId',
  'version',
  'data',
  '$ref',
];
const CANONICAL = new Map(NAMES.map((n) => [n.toLowerCase(), n]));
const KNOWN_URNS = new Set<string>([URN.user, URN.enterprise, URN.group]);
const BOOLEAN_MEMBERS = new Set(['active', 'primary']);

/** The shared body parser refuses such bodies first (src/http/hostile-input.ts); SCIM's walks check again before recursing. */
export const tooDeep = () =>
  scimError('BAD_REQUEST', 'invalidSyntax', `The body nests arrays or objects deeper than ${MAX_INPUT_DEPTH} levels`);

/** `__proto__`, `constructor`, `prototype` in any letter case (SCIM attribute names are case-insensitive): never an attribute. */
export const isPrototypeName = (name: string): boolean => isPrototypeKey(name.toLowerCase());

/** An attribute name as Roster spells it (`UserName` → `userName`); an unknown name stays as given. */
export const canonicalName = (name: string): string => CANONICAL.get(name.toLowerCase()) ?? name;

/**
 * Canonical member names at every depth, and `"True"`/`"False"` turned into booleans where a boolean belongs.
 * Objects come out without a prototype: member names are data.
 * @throws BAD_REQUEST: invalidValue for a member named `__proto__`, `constructor` or `prototype`;
 * invalidSyntax for arrays and objects nested deeper than MAX_INPUT_DEPTH (checked before recursing further).
 */
export function normalizeInput(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'object' && value !== null && depth >= MAX_INPUT_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((v) => normalizeInput(v, key, depth + 1));
  if (typeof value === 'string' && BOOLEAN_MEMBERS.has(key) && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  if (typeof value !== 'object' || value === null) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) {
    // The shared JSON body parser refuses these already; this is the second lock, in any letter case.
    if (isPrototypeName(k)) throw scimError('BAD_REQUEST', 'invalidValue', `"${k}" is not an attribute name`);
    const name = k.startsWith('urn:')
      ? KNOWN_URNS.has(k)
        ? k
        : ([...KNOWN_URNS].find((u) => u.toLowerCase() === k.toLowerCase()) ?? k)
      : canonicalName(k);
    // eslint-disable-next-line no-restricted-syntax -- prototype names are refused above, and `out` has no prototype
    out[name] = normalizeInput(v, name, depth + 1);
  }
  return out;
}

/**
 * A resource body as the RFC requires it: an object whose `schemas` include the resource's core
 * schema and name no schema Roster does not know, with no extension object of an unknown schema.
 * @throws BAD_REQUEST (invalidSyntax).
 */
export function checkResource(body: unknown, core: string): ScimResource {
  const resource = normalizeInput(body);
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource))
    throw scimError('BAD_REQUEST', 'invalidSyntax', 'The body must be a SCIM resource object');
  const r = resource as ScimResource;
  const schemas = r.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(core)) throw scimError('BAD_REQUEST', 'invalidSyntax', `schemas must include "${core}"`);
  const unknown = [...schemas, ...Object.keys(r).filter((k) => k.startsWith('urn:'))].filter(
    (s) => typeof s !== 'string' || !KNOWN_URNS.has(s),
  );
  if (unknown.length > 0) throw scimError('BAD_REQUEST', 'invalidSyntax', `Unknown schema ${JSON.stringify(unknown[0])}`);
  return r;
}
