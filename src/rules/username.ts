import { confusables } from 'unicode-confusables';
import type { FieldErrorCode } from '../errors/codes.js';
import type { UsernamePolicy } from '../modules/settings/settings.schemas.js';
import { hasInvisible, withoutInvisible } from './invisible.js';
import { testTenantPattern } from './tenant-pattern.js';

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included, is meant
const ASCII = /^[\x00-\x7F]*$/;

/** Names no tenant may hand out, besides its own reserved list. */
export const ALWAYS_RESERVED = ['admin', 'administrator', 'root', 'system', 'user'];

/**
 * The form usernames (and logins, see login.ts) are compared in: invisible characters removed
 * (invisible.ts: every Default_Ignorable_Code_Point, Hangul fillers included), NFKC (folds full-width
 * and compatibility letters), every non-ASCII character replaced by its Unicode TR39 confusable
 * prototype, lower-cased. `Ａdmin`, `ad\u200Bmin`, `admin\u3164` and Cyrillic `Аdmin` all become
 * `admin`. ASCII characters are left alone, so plain `bob1` and `bobl` stay distinct users.
 * Invisible characters are removed before and after each step that could bring one back.
 */
export function usernameKey(input: string): string {
  const folded = withoutInvisible(withoutInvisible(input).normalize('NFKC'));
  if (ASCII.test(folded)) return folded.toLowerCase();
  const prototype = confusables(folded)
    .map((part) => (part.similarTo !== undefined && !ASCII.test(part.point) ? part.similarTo : part.point))
    .join('');
  return withoutInvisible(prototype.normalize('NFKC')).toLowerCase();
}

/**
 * Checks a username against the tenant policy: no invisible character whatever the pattern
 * (USERNAME_INVALID: a name must look like what it is), its pattern (tested on the NFKC form; on the
 * linear-time engine of tenant-pattern.ts) and the reserved names (compared by `usernameKey`). A stored
 * pattern that engine cannot run fails every username with PATTERN_UNSUPPORTED (the admin must change
 * it) rather than a 500.
 */
export function checkUsername(value: string, policy: UsernamePolicy): FieldErrorCode | undefined {
  if (hasInvisible(value) || hasInvisible(value.normalize('NFKC'))) return 'USERNAME_INVALID';
  const result = testTenantPattern(policy.pattern, value.normalize('NFKC'));
  if (result === 'unusable') return 'PATTERN_UNSUPPORTED';
  if (result !== 'match') return 'USERNAME_INVALID';
  const key = usernameKey(value);
  if ([...ALWAYS_RESERVED, ...policy.reserved].some((name) => usernameKey(name) === key)) return 'USERNAME_RESERVED';
  return undefined;
}
