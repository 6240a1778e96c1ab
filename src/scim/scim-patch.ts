import type { Filter } from 'scim2-parse-filter';
import { URN } from './scim.constants.js';
import { scimError } from './scim-error.js';
import { matches, parseFilter } from './scim-filter.js';
import { canonicalName, isPrototypeName, normalizeInput } from './scim-input.js';
import type { ScimResource } from './scim-user.mapper.js';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/**
 * A path's words outside quoted strings (split on `.`, `[`, `]`, `:`, blanks and parentheses).
 * @throws BAD_REQUEST (invalidPath) when one is `__proto__`, `constructor` or `prototype`, in any letter case.
 */
export function checkPath(path: string): void {
  const words = path.replace(/"(?:[^"\\]|\\.)*"?/g, ' ').split(/[.[\]:\s()]+/);
  const bad = words.find(isPrototypeName);
  if (bad !== undefined)
    throw scimError('BAD_REQUEST', 'invalidPath', `The path ${JSON.stringify(path)} names "${bad}", which is not an attribute`);
}

/**
 * A PatchOp body's operations in the RFC's form. Accepts what real providers send: capitalised
 * ops (`Replace`, from Entra ID), string booleans, and a value object without `path` whose keys
 * are paths themselves (`{"name.givenName": "Ada"}`).
 * @throws BAD_REQUEST: invalidSyntax for a body that is not a PatchOp; invalidPath for a path naming a
 * prototype member; invalidValue for such a member name inside a value.
 */
export function patchOperations(body: unknown): PatchOperation[] {
  const message = normalizeInput(body) as { schemas?: unknown; Operations?: unknown };
  if (!Array.isArray(message?.schemas) || !message.schemas.includes(URN.patchOp))
    throw scimError('BAD_REQUEST', 'invalidSyntax', `schemas must be ["${URN.patchOp}"]`);
  if (!Array.isArray(message.Operations) || message.Operations.length === 0)
    throw scimError('BAD_REQUEST', 'invalidSyntax', 'Operations must list at least one operation');
  return message.Operations.flatMap((raw: unknown): PatchOperation[] => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw scimError('BAD_REQUEST', 'invalidSyntax', 'Each operation must be an object');
    const o = raw as { op?: unknown; path?: unknown; value?: unknown };
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw scimError('BAD_REQUEST', 'invalidSyntax', `Unknown op ${JSON.stringify(o.op)}`);
    if (o.path !== undefined && o.path !== null && typeof o.path !== 'string')
      throw scimError('BAD_REQUEST', 'invalidPath', 'path must be a string');
    const path = typeof o.path === 'string' && o.path.trim() !== '' ? o.path.trim() : undefined;
    if (path !== undefined) checkPath(path);
    if (op === 'remove' && path === undefined) throw scimError('BAD_REQUEST', 'noTarget', 'remove needs a path');
    const value = path === undefined ? o.value : normalizeInput(o.value, path.split('.').pop() ?? '');
    // A path-less value whose keys are paths is a list of operations on those paths.
    if (path === undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [k] of entries) checkPath(k);
      const pathKeys = entries.filter(([k]) => k.includes('.') && !k.startsWith('urn:'));
      if (pathKeys.length > 0) {
        const rest = entries.filter(([k]) => !pathKeys.some(([p]) => p === k));
        return [
          ...pathKeys.map(([k, v]) => ({ op, path: k, value: normalizeInput(v, k.split('.').pop() ?? '') }) as PatchOperation),
          ...(rest.length > 0 ? [{ op, value: normalizeInput(Object.fromEntries(rest)) } as PatchOperation] : []),
        ];
      }
      return [{ op, value: normalizeInput(value) }];
    }
    return [{ op, ...(path !== undefined ? { path } : {}), ...(value !== undefined ? { value } : {}) }];
  });
}

type Node = Record<string, unknown>;

const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy made of objects without a prototype, so no member name can reach shared state. */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (!isObject(value)) return value;
  const out = Object.create(null) as Node;
  // eslint-disable-next-line no-restricted-syntax -- `out` has no prototype; prototype names never get past patchOperations
  for (const [k, v] of Object.entries(value)) out[k] = copy(v);
  return out as T;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
}

/** The own member of `node` named `name` in any letter case (SCIM attribute names are case-insensitive). */
const keyOf = (node: Node, name: string): string | undefined => Object.keys(node).find((k) => k.toLowerCase() === name.toLowerCase());
const get = (node: Node, name: string): unknown => {
  const key = keyOf(node, name);
  return key === undefined ? undefined : node[key];
};
function put(node: Node, name: string, value: unknown): void {
  // eslint-disable-next-line no-restricted-syntax -- every node is a prototype-less copy, and names passed checkPath and the attribute grammar
  node[keyOf(node, name) ?? canonicalName(name)] = value;
}
function drop(node: Node, name: string): void {
  const key = keyOf(node, name);
  if (key !== undefined) delete node[key];
}

interface Target {
  /** The extension object holding the attribute, when the path names one. */
  extension?: string;
  attribute?: string;
  filter?: Filter;
  sub?: string;
}

const NAME = '[A-Za-z$][\\w$-]*';
const PATH = new RegExp(`^(${NAME})(?:\\[(.*)\\])?(?:\\.(${NAME}))?$`, 's');

/**
 * RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`, with an optional schema URN prefix.
 * @throws BAD_REQUEST (invalidPath).
 */
function parsePath(path: string): Target {
  let rest = path;
  let extension: string | undefined;
  if (path.toLowerCase().startsWith('urn:')) {
    const urn = [URN.user, URN.group, URN.enterprise].find(
      (u) => path.toLowerCase() === u.toLowerCase() || path.toLowerCase().startsWith(`${u.toLowerCase()}:`),
    );
    if (urn === undefined) throw scimError('BAD_REQUEST', 'invalidPath', `The path ${JSON.stringify(path)} names an unknown schema`);
    if (urn === URN.enterprise) extension = urn;
    rest = path.slice(urn.length + 1);
    if (rest === '') {
      if (extension === undefined) throw scimError('BAD_REQUEST', 'invalidPath', `The path ${JSON.stringify(path)} names no attribute`);
      return { extension };
    }
  }
  const match = PATH.exec(rest);
  if (!match) throw scimError('BAD_REQUEST', 'invalidPath', `The path ${JSON.stringify(path)} is not an attribute path`);
  const [, attribute, filterText, sub] = match;
  let filter: Filter | undefined;
  if (filterText !== undefined) {
    try {
      filter = parseFilter(filterText);
    } catch {
      throw scimError('BAD_REQUEST', 'invalidPath', `The value filter in ${JSON.stringify(path)} does not parse`);
    }
  }
  return {
    ...(extension ? { extension } : {}),
    ...(attribute ? { attribute } : {}),
    ...(filter ? { filter } : {}),
    ...(sub ? { sub } : {}),
  };
}

/** Adds or replaces one member: complex values merge member by member, `add` appends to multi-valued ones. */
function set(node: Node, name: string, value: unknown, op: 'add' | 'replace'): void {
  const current = get(node, name);
  if (Array.isArray(current) && op === 'add') {
    const added = (Array.isArray(value) ? value : [value]).filter((v) => !current.some((c) => equal(c, v)));
    put(node, name, [...current, ...copy(added)]);
  } else if (isObject(current) && isObject(value)) {
    for (const [k, v] of Object.entries(value)) set(current, k, v, op);
  } else put(node, name, copy(value));
}

/** The one attribute and value a simple `attr eq value` filter stands for, to add a member that matches it. */
function seedOf(filter: Filter): Node | undefined {
  if (filter.op !== 'eq' || filter.compValue === undefined || filter.compValue === null || filter.attrPath.includes('.')) return undefined;
  const seed = Object.create(null) as Node;
  put(seed, filter.attrPath, filter.compValue);
  return seed;
}

function applyOne(resource: Node, operation: PatchOperation): void {
  const { op, value } = operation;
  if (operation.path === undefined) {
    if (op === 'remove') throw scimError('BAD_REQUEST', 'noTarget', 'remove needs a path');
    if (!isObject(value))
      throw scimError('BAD_REQUEST', 'invalidValue', 'An operation without a path needs an object of attributes as its value');
    for (const [k, v] of Object.entries(value)) applyOne(resource, { op, path: k, value: v });
    return;
  }
  const target = parsePath(operation.path);
  let node = resource;
  if (target.extension !== undefined) {
    const existing = get(resource, target.extension);
    if (!isObject(existing)) {
      if (op === 'remove') return;
      put(resource, target.extension, Object.create(null));
    }
    node = get(resource, target.extension) as Node;
    if (target.attribute === undefined) {
      if (op === 'remove') drop(resource, target.extension);
      else if (!isObject(value)) throw scimError('BAD_REQUEST', 'invalidValue', `${target.extension} takes an object of attributes`);
      else for (const [k, v] of Object.entries(value)) set(node, k, v, op);
      return;
    }
  }
  const attribute = target.attribute as string;
  if (target.filter === undefined) {
    if (target.sub === undefined) {
      if (op === 'remove') {
        const current = get(node, attribute);
        if (value !== undefined && Array.isArray(current)) {
          const removed = Array.isArray(value) ? value : [value];
          put(
            node,
            attribute,
            current.filter((c) => !removed.some((r) => equal(c, r))),
          );
        } else drop(node, attribute);
      } else set(node, attribute, value, op);
      return;
    }
    const parent = get(node, attribute);
    const parents = Array.isArray(parent) ? parent.filter(isObject) : isObject(parent) ? [parent] : [];
    if (parents.length === 0) {
      if (op === 'remove') return;
      const created = Object.create(null) as Node;
      put(node, attribute, created);
      parents.push(created);
    }
    for (const p of parents) {
      if (op === 'remove') drop(p, target.sub);
      else set(p, target.sub, value, op);
    }
    return;
  }
  const filter = target.filter;
  const current = get(node, attribute);
  const items = Array.isArray(current) ? current : [];
  const matched = items.filter((item) => isObject(item) && matches(item, filter)) as Node[];
  if (op === 'remove') {
    if (target.sub !== undefined) for (const item of matched) drop(item, target.sub);
    else {
      const left = items.filter((item) => !matched.includes(item as Node));
      if (left.length === 0) drop(node, attribute);
      else put(node, attribute, left);
    }
    return;
  }
  if (matched.length === 0) {
    // Entra ID replaces `emails[type eq "work"].value` on a user without one: the RFC's "treat as add".
    const seed = seedOf(filter);
    if (seed === undefined) throw scimError('BAD_REQUEST', 'noTarget', `No value matches ${JSON.stringify(operation.path)}`);
    if (target.sub !== undefined) set(seed, target.sub, value, 'replace');
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) set(seed, k, v, 'replace');
    else throw scimError('BAD_REQUEST', 'invalidValue', `${JSON.stringify(operation.path)} takes an object`);
    put(node, attribute, [...items, seed]);
    return;
  }
  for (const item of matched) {
    if (target.sub !== undefined) set(item, target.sub, value, op);
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) set(item, k, v, op);
    else throw scimError('BAD_REQUEST', 'invalidValue', `${JSON.stringify(operation.path)} takes an object`);
  }
}

/**
 * Applies operations to a copy of a SCIM resource (RFC 7644 §3.5.2: attribute paths, schema URN
 * prefixes, value filters, multi-valued attributes). Members are read only as own members and the
 * copy has no prototypes, so no path or value reaches shared state.
 * @throws BAD_REQUEST with `noTarget`, `invalidPath` or `invalidValue`.
 */
export function applyPatch(resource: ScimResource, operations: PatchOperation[]): ScimResource {
  const patched = copy(resource);
  for (const operation of operations) {
    if (operation.path !== undefined) checkPath(operation.path);
    applyOne(patched, operation);
  }
  return patched;
}
