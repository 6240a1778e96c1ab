import { isPrototypeKey, nullObject, setOwn } from './safe-input.js';

/**
 * RFC 7396 JSON Merge Patch: `null` removes a member, objects merge recursively, anything else replaces.
 * The result is built on prototype-less objects and never takes a member named `__proto__`,
 * `constructor` or `prototype` (the body parser refuses them already; this is the second lock).
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result = nullObject();
  if (isPlainObject(target)) for (const [key, value] of Object.entries(target)) if (!isPrototypeKey(key)) setOwn(result, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (isPrototypeKey(key)) continue;
    if (value === null) delete result[key];
    else setOwn(result, key, applyMergePatch(result[key], value));
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
