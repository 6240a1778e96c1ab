import { parse, type Filter } from 'scim2-parse-filter';
import { MAX_INPUT_DEPTH } from '../lib/safe-input.js';
import { URN } from './scim.constants.js';
import { scimError } from './scim-error.js';
import type { ScimResource } from './scim-user.mapper.js';

/** Attributes compared exactly (RFC 7643 `caseExact: true`); every other string compares case-insensitively. */
const CASE_EXACT = new Set(['id', 'externalid', 'meta.version', 'members.value', 'groups.value']);
const DATES = new Set(['meta.created', 'meta.lastmodified']);

/** `urn:…:User:name.givenName` → ['name', 'givenName'] under the extension object when it is one. */
function segments(path: string): string[] {
  if (!path.toLowerCase().startsWith('urn:')) return path.split('.');
  const known = [URN.user, URN.group, URN.enterprise].find((u) => path.toLowerCase().startsWith(`${u.toLowerCase()}:`));
  if (!known) return [path];
  const rest = path.slice(known.length + 1).split('.');
  return known === URN.enterprise ? [known, ...rest] : rest;
}

/** A path as one lower-cased key without the core schema URN: `urn:…:User:name.givenName` → `name.givenname`. */
export const attributeKey = (path: string): string => segments(path).join('.').toLowerCase();

/** Every value at a path, arrays flattened, member names matched case-insensitively. */
export function valuesAt(resource: unknown, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const segment of segments(path)) {
    const next: unknown[] = [];
    for (const item of current.flatMap((c) => (Array.isArray(c) ? c : [c]))) {
      if (typeof item !== 'object' || item === null) continue;
      const key = Object.keys(item).find((k) => k.toLowerCase() === segment.toLowerCase());
      if (key !== undefined) next.push((item as Record<string, unknown>)[key]);
    }
    current = next;
  }
  return current.flatMap((c) => (Array.isArray(c) ? c : [c])).filter((v) => v !== undefined && v !== null);
}

type Comparable = string | number | boolean;

function comparable(value: unknown, path: string): Comparable | undefined {
  const key = segments(path).join('.').toLowerCase();
  if (DATES.has(key) && typeof value === 'string') return Date.parse(value);
  if (typeof value === 'string') return CASE_EXACT.has(key) ? value : value.toLowerCase();
  return typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

function compare(op: string, actual: unknown, expected: unknown, path: string): boolean {
  const a = comparable(actual, path);
  const e = comparable(expected, path);
  if (a === undefined || e === undefined) return op === 'ne';
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return typeof a === 'string' && typeof e === 'string' && a.includes(e);
    case 'sw':
      return typeof a === 'string' && typeof e === 'string' && a.startsWith(e);
    case 'ew':
      return typeof a === 'string' && typeof e === 'string' && a.endsWith(e);
    case 'gt':
      return typeof a === typeof e && a > e;
    case 'ge':
      return typeof a === typeof e && a >= e;
    case 'lt':
      return typeof a === typeof e && a < e;
    case 'le':
      return typeof a === typeof e && a <= e;
    default:
      return false;
  }
}

export function matches(resource: unknown, f: Filter): boolean {
  switch (f.op) {
    case 'and':
      return f.filters.every((c) => matches(resource, c));
    case 'or':
      return f.filters.some((c) => matches(resource, c));
    case 'not':
      return !matches(resource, f.filter);
    case '[]':
      return valuesAt(resource, f.attrPath).some((item) => matches(item, f.valFilter));
    case 'pr':
      return valuesAt(resource, f.attrPath).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
    default: {
      const values = valuesAt(resource, f.attrPath);
      if (f.op === 'ne') return values.length === 0 || values.every((v) => compare('ne', v, f.compValue, f.attrPath));
      return values.some((v) => compare(f.op, v, f.compValue, f.attrPath));
    }
  }
}

/** @throws BAD_REQUEST (invalidFilter) for a filter that does not parse, or nests parentheses and brackets deeper than MAX_INPUT_DEPTH. */
export function parseFilter(text: string): Filter {
  let depth = 0;
  for (const c of text.replace(/"(?:[^"\\]|\\.)*"?/g, '""')) {
    if (c === '(' || c === '[') depth += 1;
    else if (c === ')' || c === ']') depth -= 1;
    if (depth > MAX_INPUT_DEPTH)
      throw scimError('BAD_REQUEST', 'invalidFilter', `The filter nests parentheses deeper than ${MAX_INPUT_DEPTH} levels`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw scimError('BAD_REQUEST', 'invalidFilter', `The filter does not parse: ${(error as Error).message}`);
  }
}

/** An equality on one attribute at the top of a filter, which an index can answer instead of a scan. */
export function indexedEquality(f: Filter): { attribute: string; value: string } | undefined {
  if (f.op !== 'eq' || typeof f.compValue !== 'string') return undefined;
  const attribute = segments(f.attrPath).join('.').toLowerCase();
  return ['username', 'externalid', 'emails.value', 'emails', 'id'].includes(attribute) ? { attribute, value: f.compValue } : undefined;
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): `id` and `schemas` always stay. */
export function project(resource: ScimResource, attributes: string | undefined, excluded: string | undefined): ScimResource {
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean)
      .map((a) => segments(a).map((s) => s.toLowerCase()));
  const include = list(attributes);
  const exclude = list(excluded);
  const always = new Set(['id', 'schemas']);
  // Keys are the resource's own members, set on an object without a prototype.
  /* eslint-disable no-restricted-syntax */
  const out = Object.create(null) as ScimResource;
  for (const [key, value] of Object.entries(resource)) {
    const k = key.toLowerCase();
    if (include.length > 0 && !always.has(k)) {
      const wanted = include.filter((p) => p[0] === k);
      if (wanted.length === 0) continue;
      if (wanted.some((p) => p.length === 1) || typeof value !== 'object' || value === null || Array.isArray(value)) out[key] = value;
      else out[key] = Object.fromEntries(Object.entries(value).filter(([sub]) => wanted.some((p) => p[1] === sub.toLowerCase())));
      continue;
    }
    const dropped = exclude.filter((p) => p[0] === k);
    if (dropped.some((p) => p.length === 1) && !always.has(k)) continue;
    if (dropped.length > 0 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).filter(([sub]) => !dropped.some((p) => p[1] === sub.toLowerCase())));
    } else out[key] = value;
  }
  /* eslint-enable no-restricted-syntax */
  return out;
}

/** Sorts by the first value at `sortBy`; resources without one come last (RFC 7644 §3.4.2.3). */
export function sortResources(resources: ScimResource[], sortBy: string | undefined, order: string | undefined): ScimResource[] {
  if (!sortBy) return resources;
  const direction = order?.toLowerCase() === 'descending' ? -1 : 1;
  const key = (r: ScimResource) => comparable(valuesAt(r, sortBy)[0], sortBy);
  return [...resources].sort((x, y) => {
    const a = key(x);
    const b = key(y);
    if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
    return a < b ? -direction : a > b ? direction : 0;
  });
}
