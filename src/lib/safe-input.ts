import { fieldError, type FieldError } from '../errors/app-error.js';

/**
 * Hostile-input guards shared by every surface (native, batch, import, SCIM, contracts, CLI).
 *
 * Input names keys: CSV headers, `?map=` entries, JSON members, SCIM paths, attribute keys. Used as
 * property names on ordinary objects, `__proto__`, `constructor` and `prototype` reach the prototype
 * chain (and through it every tenant of the process). The rule: these names are refused wherever
 * input names a key, and objects built from input keys have no prototype.
 */

/** Names that walk an object's prototype chain when used as a property name. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting accepted in a parsed body: far beyond any real resource, far below a stack overflow. */
export const MAX_INPUT_DEPTH = 64;

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/** An empty object with no prototype: `obj[inputKey] = v` on it can only ever add an own member. */
export function nullObject<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Sets an own member named by input. Refuses prototype names instead of walking the chain.
 * @throws Error for `__proto__`, `constructor`, `prototype` (callers check with isPrototypeKey first to report it their way).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (isPrototypeKey(key)) throw new Error(`Refusing to set the member "${key}"`);
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A NUL (which PostgreSQL's text and jsonb refuse) or an unpaired UTF-16 surrogate (which no
 * UTF-8 store can hold: drivers silently turn it into U+FFFD).
 */
// eslint-disable-next-line no-control-regex
const INVALID_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasInvalidText(text: string): boolean {
  return INVALID_TEXT.test(text);
}

export type InputProblem =
  | { kind: 'prototype-key'; pointer: string; key: string }
  | { kind: 'too-deep'; pointer: string }
  | { kind: 'invalid-text'; pointer: string };

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A value met by the walk, with the way to it; its JSON pointer is only spelled out for a problem. */
interface Walked {
  value: unknown;
  depth: number;
  parent: Walked | undefined;
  segment: string;
}

function pointerOf(node: Walked): string {
  const segments: string[] = [];
  for (let n: Walked | undefined = node; n?.parent !== undefined; n = n.parent) segments.push(escapePointer(n.segment));
  return segments.reduceRight((pointer, segment) => `${pointer}/${segment}`, '');
}

/**
 * The first hostile part of a parsed value, or null: a member named `__proto__`/`constructor`/
 * `prototype`, nesting deeper than `maxDepth`, or (with `text`) a NUL or unpaired surrogate in a
 * key or string. Walks iteratively, so no nesting can overflow the stack. Every part of an import's
 * rows goes through here, so the walk builds no pointer text until it has a problem to report.
 */
export function findInputProblem(value: unknown, options: { maxDepth?: number; text?: boolean } = {}): InputProblem | null {
  const maxDepth = options.maxDepth ?? MAX_INPUT_DEPTH;
  const stack: Walked[] = [{ value, depth: 0, parent: undefined, segment: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Walked;
    const { value: current, depth } = node;
    if (typeof current === 'string') {
      if (options.text && hasInvalidText(current)) return { kind: 'invalid-text', pointer: pointerOf(node) };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    // Parsed input is plain objects and arrays; anything else (a stream, a Buffer) is not input data.
    const proto = Object.getPrototypeOf(current);
    if (!Array.isArray(current) && proto !== Object.prototype && proto !== null) continue;
    if (depth >= maxDepth) return { kind: 'too-deep', pointer: pointerOf(node) };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth: depth + 1, parent: node, segment: String(i) });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      // The member is read only once its name has passed: a refused name is reported, never dereferenced.
      const child: Walked = { value: undefined, depth: depth + 1, parent: node, segment: key };
      if (isPrototypeKey(key)) return { kind: 'prototype-key', pointer: pointerOf(child), key };
      if (options.text && hasInvalidText(key)) return { kind: 'invalid-text', pointer: pointerOf(child) };
      child.value = (current as Record<string, unknown>)[key];
      stack.push(child);
    }
  }
  return null;
}

/** What a problem means to the person who sent it. */
export function describeInputProblem(problem: InputProblem): string {
  const where = problem.pointer === '' ? 'the body' : problem.pointer;
  switch (problem.kind) {
    case 'prototype-key':
      return `The member name "${problem.key}" is not allowed (at ${where})`;
    case 'too-deep':
      return `The body is nested deeper than ${MAX_INPUT_DEPTH} levels (at ${where})`;
    case 'invalid-text':
      return `Text may not contain NUL characters or unpaired UTF-16 surrogates (at ${where})`;
  }
}

/**
 * An item's hostile part as the field error a person reads (FIELD_NAME_FORBIDDEN, TEXT_INVALID,
 * or FIELD_INVALID for nesting), or null. The core runs it on every item of every create path, so a
 * batch or an import refuses the one bad item, not the whole request.
 */
export function inputFieldError(value: unknown): FieldError | null {
  const problem = findInputProblem(value, { text: true });
  if (!problem) return null;
  const code =
    problem.kind === 'prototype-key' ? 'FIELD_NAME_FORBIDDEN' : problem.kind === 'invalid-text' ? 'TEXT_INVALID' : 'FIELD_INVALID';
  return fieldError(problem.pointer, code, describeInputProblem(problem));
}
