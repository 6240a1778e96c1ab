import { confusables } from 'unicode-confusables';
import type { FieldErrorCode } from '../errors/codes.js';
import type { UsernamePolicy } from '../modules/settings/settings.schemas.js';

// Zero-width and other invisible format characters that NFKC keeps but that make two names look alike.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/gu;
// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included, is meant
const ASCII = /^[\x00-\x7F]*$/;

/** Names no tenant may hand out, besides its own reserved list. */
export const ALWAYS_RESERVED = ['admin', 'administrator', 'root', 'system', 'user'];

/**
 * The form usernames are compared in: NFKC (folds full-width and compatibility letters), invisible
 * characters removed, every non-ASCII character replaced by its Unicode TR39 confusable prototype,
 * lower-cased. `Ａdmin`, `ad\u200Bmin` and Cyrillic `Аdmin` all become `admin`. ASCII characters are
 * left alone, so plain `bob1` and `bobl` stay distinct users.
 */
export function usernameKey(input: string): string {
  const folded = input.normalize('NFKC').replace(INVISIBLE, '');
  if (ASCII.test(folded)) return folded.toLowerCase();
  return confusables(folded)
    .map((part) => (part.similarTo !== undefined && !ASCII.test(part.point) ? part.similarTo : part.point))
    .join('')
    .normalize('NFKC')
    .toLowerCase();
}

const patternCache = new Map<string, RegExp>();

/** The tenant's username pattern, compiled once; patterns are validated when settings are saved. */
export function compileUsernamePattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    patternCache.set(pattern, regex);
  }
  return regex;
}

/**
 * Checks a username against the tenant policy: its pattern (tested on the NFKC form, so invisible
 * characters fail the default pattern) and the reserved names (compared by `usernameKey`).
 */
export function checkUsername(value: string, policy: UsernamePolicy): FieldErrorCode | undefined {
  if (!compileUsernamePattern(policy.pattern).test(value.normalize('NFKC'))) return 'USERNAME_INVALID';
  const key = usernameKey(value);
  if ([...ALWAYS_RESERVED, ...policy.reserved].some((name) => usernameKey(name) === key)) return 'USERNAME_RESERVED';
  return undefined;
}
