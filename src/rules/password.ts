import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';
import { fieldError, type FieldError } from '../errors/app-error.js';
import { randomBase62 } from '../lib/secrets.js';
import { installDictionaryIndex } from './password-dictionary-index.js';
import type { PasswordPolicy } from '../modules/settings/settings.schemas.js';

let zxcvbn: ZxcvbnFactory | undefined;

/**
 * The strength estimate reads only a password's first this many characters (UTF-16 units), as zxcvbn's
 * authors advise: its cost grows faster than the length (about 0.6 s at 256 structured characters,
 * tens of ms at 100), and 100 characters are far past any strength threshold. A longer password is
 * still accepted up to `maxBytes` and its every character still counts for the other rules (classes,
 * user info); only the estimate is on the prefix. So a long password whose first 100 characters are
 * weak (`aaaa…` followed by anything) is refused as too weak: the policy judges what it reads, and the
 * user can put the strong part first.
 */
export const STRENGTH_INPUT_CHARS = 100;

const require = createRequire(import.meta.url);

/**
 * Loaded and built on first use: its dictionaries take about 80 ms and 15 MiB to load and index, which
 * a process that never checks a password (most CLI commands, a server before its first password) should not pay.
 */
function estimator(): ZxcvbnFactory {
  if (zxcvbn) return zxcvbn;
  const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
  const zxcvbnCommon = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
  const zxcvbnEn = require('@zxcvbn-ts/language-en') as typeof ZxcvbnEn;
  installDictionaryIndex();
  zxcvbn = new Factory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    // l33t matching dominates zxcvbn's cost (15 ms a password at the default 512 substitutions, 4 ms at 1);
    // one substitution still finds the common l33t spellings (p@ssw0rd, l3tm31n).
    l33tMaxSubstitutions: 1,
    maxLength: STRENGTH_INPUT_CHARS,
  });
  return zxcvbn;
}

export interface PasswordOwner {
  username?: string | null | undefined;
  email?: string | null | undefined;
}

/** Parts of the owner's identity a password must not contain (3+ characters, case-insensitive). */
function userInfoParts(owner: PasswordOwner): string[] {
  const parts = [owner.username, owner.email?.split('@')[0]];
  return parts.filter((p): p is string => typeof p === 'string' && p.length >= 3).map((p) => p.toLowerCase());
}

/**
 * The one password policy check: create, update, batch, SCIM and every contract call it. Each
 * broken rule gives its own code; all are reported together. Imported hashes never come here.
 */
export function checkPassword(password: string, policy: PasswordPolicy, owner: PasswordOwner = {}, path = '/password'): FieldError[] {
  const errors: FieldError[] = [];
  if ([...password].length < policy.minLength) {
    errors.push(fieldError(path, 'PASSWORD_TOO_SHORT', `Passwords need at least ${policy.minLength} characters`));
  }
  if (Buffer.byteLength(password, 'utf8') > policy.maxBytes) {
    // Nothing else is worth checking on an oversized input, and zxcvbn's cost grows with length.
    return [fieldError(path, 'PASSWORD_TOO_LONG', `Passwords may be at most ${policy.maxBytes} bytes`)];
  }
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) errors.push(fieldError(path, 'PASSWORD_MISSING_UPPERCASE'));
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) errors.push(fieldError(path, 'PASSWORD_MISSING_LOWERCASE'));
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) errors.push(fieldError(path, 'PASSWORD_MISSING_DIGIT'));
  if (policy.requireSymbol && !/[^\p{L}\p{N}\s]/u.test(password)) errors.push(fieldError(path, 'PASSWORD_MISSING_SYMBOL'));
  const lower = password.toLowerCase();
  if (policy.forbidUserInfo && userInfoParts(owner).some((part) => lower.includes(part))) {
    errors.push(fieldError(path, 'PASSWORD_CONTAINS_USER_INFO'));
  }
  if (policy.forbidCommon || policy.minStrength > 0) {
    const result = estimator().check(password);
    const [only] = result.sequence;
    const common = result.sequence.length === 1 && only?.pattern === 'dictionary' && String(only.dictionaryName).startsWith('passwords');
    if (policy.forbidCommon && common) errors.push(fieldError(path, 'PASSWORD_COMMON'));
    else if (result.score < policy.minStrength) {
      errors.push(fieldError(path, 'PASSWORD_TOO_WEAK', `Password strength ${result.score}/4 is below the required ${policy.minStrength}`));
    }
  }
  return errors;
}

const SYMBOLS = '!#$%&*+-.:=?@^_~';

/** A random password that satisfies the policy: 24 base62 characters plus one of each required class. */
export function generatePassword(policy: PasswordPolicy): string {
  const length = Math.max(24, policy.minLength);
  let password = randomBase62(length);
  if (policy.requireSymbol) password += SYMBOLS[randomBase62(1).charCodeAt(0) % SYMBOLS.length];
  if (policy.requireDigit) password += String(randomBase62(1).charCodeAt(0) % 10);
  if (policy.requireUppercase) password += 'K';
  if (policy.requireLowercase) password += 'q';
  return password;
}
