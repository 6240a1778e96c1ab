/**
 * The JSON Merge Patch an edit form sends: only the members whose value differs from the one the
 * form was filled with, so an unchanged field can neither overwrite a concurrent change nor need a
 * permission the edit does not use. Role and group lists compare as sets.
 */
export function changedMembers(read: Record<string, unknown>, original: Record<string, unknown>): Record<string, unknown> {
  const changes = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(read)) {
    if (canonical(key, read[key]) === canonical(key, original[key] ?? null)) continue;
    Object.defineProperty(changes, key, { value: read[key], enumerable: true, writable: true, configurable: true });
  }
  return changes;
}

const SETS = new Set(['roles', 'groups']);

function canonical(key: string, value: unknown): string {
  if (SETS.has(key) && Array.isArray(value)) return JSON.stringify(value.map(String).sort());
  return JSON.stringify(sorted(value ?? null));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  return value;
}
