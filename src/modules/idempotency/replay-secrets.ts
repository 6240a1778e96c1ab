import { nullObject } from '../../lib/safe-input.js';

/**
 * One-time secrets an answer hands out once (a generated password): a stored answer for replays never
 * holds them in clear. The replay leaves them out and says so (`Idempotent-Omitted`), since the caller who
 * lost the first answer must then set a new one (e.g. through a set-password mail) rather than be shown it again.
 */
const ONE_TIME_SECRETS = new Set(['generatedPassword']);

/** Custom attribute values are the tenant's data, whatever their names: never taken for a secret field. */
const DATA_MEMBERS = new Set(['attributes']);

/** The JSON text without any one-time secret member (at any depth), and the names of those left out. */
export function withoutOneTimeSecrets(body: string, contentType: string): { body: string; omitted: string[] } {
  if (!/\bjson\b/i.test(contentType)) return { body, omitted: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { body, omitted: [] };
  }
  const omitted = new Set<string>();
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const out = nullObject();
    for (const [name, member] of Object.entries(value)) {
      if (ONE_TIME_SECRETS.has(name)) omitted.add(name);
      // eslint-disable-next-line no-restricted-syntax -- `out` has no prototype: every name, __proto__ included, is an own member
      else out[name] = DATA_MEMBERS.has(name) ? member : strip(member);
    }
    return out;
  };
  const stripped = strip(parsed);
  return omitted.size === 0 ? { body, omitted: [] } : { body: JSON.stringify(stripped), omitted: [...omitted] };
}
