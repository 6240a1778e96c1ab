import { confusables } from 'unicode-confusables';
import type { FieldErrorCode } from '../errors/codes.js';
import type { UsernamePolicy } from '../modules/settings/settings.schemas.js';
import { testTenantPattern } from './tenant-pattern.js';

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

/**
 * Checks a username against the tenant policy: its pattern (tested on the NFKC form, so invisible
 * characters fail the default pattern; on the linear-time engine of tenant-pattern.ts) and the reserved
 * names (compared by `usernameKey`). A stored pattern that engine cannot run fails every username with
 * PATTERN_UNSUPPORTED (the admin must change it) rather than a 500.
 */
export function checkUsername(value: string, policy: UsernamePolicy): FieldErrorCode | undefined {
  const result = testTenantPattern(policy.pattern, value.normalize('NFKC'));
  if (result === 'unusable') return 'PATTERN_UNSUPPORTED';
  if (result !== 'match') return 'USERNAME_INVALID';
  const key = usernameKey(value);
  if ([...ALWAYS_RESERVED, ...policy.reserved].some((name) => usernameKey(name) === key)) return 'USERNAME_RESERVED';
  return undefined;
}
