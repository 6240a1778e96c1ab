/**
 * The person-name rule (like Keycloak's `person-name-prohibited-characters` validator): a given,
 * family or display name, or a nickname, holds no character of the tenant's prohibited set.
 *
 * Names are shown in other systems' pages, mails and exports; markup in them (`<script>`, `</\name>`,
 * `<form …>`) is an injection waiting for the first consumer that forgets to escape. The check runs on
 * the trimmed value and on each URL-decoding of it (`%3Cscript%3E`, double-encoded `%253C`…) and on
 * their NFKC form (fullwidth `＜` is `<`), so an encoded or look-alike form cannot slip past a set
 * that names the plain character. Control characters are never part of a name.
 */

/** Keycloak's default set: `<>&"$%!#?§;*~/\|^=[]{}()`. */
export const DEFAULT_PROHIBITED_NAME_CHARACTERS = '<>&"$%!#?§;*~/\\|^=[]{}()';

/** Rounds of URL-decoding tried: a value encoded more often than this is refused outright when it still decodes. */
const MAX_DECODE_ROUNDS = 4;

// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/** The value and every URL-decoding of it (up to MAX_DECODE_ROUNDS), each also in NFKC form. */
function readings(value: string): { forms: string[]; stillEncoded: boolean } {
  const forms = [value];
  let current = value;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      break; // a lone `%` is not an encoding: the value is what it is
    }
    if (decoded === current) return { forms: withNfkc(forms), stillEncoded: false };
    forms.push(decoded);
    current = decoded;
  }
  let stillEncoded = false;
  try {
    stillEncoded = decodeURIComponent(current) !== current;
  } catch {
    stillEncoded = false;
  }
  return { forms: withNfkc(forms), stillEncoded };
}

const withNfkc = (forms: string[]) => [...new Set(forms.flatMap((f) => [f, f.normalize('NFKC')]))];

/** Printable ASCII without `%`: no URL-decoding changes it, NFKC leaves it as it is, and it holds no control character. */
const PLAIN = /^[\x20-\x24\x26-\x7E]*$/;

/** The tenant's prohibited set as a lookup, built once per distinct set rather than once per name. */
let bannedFor: { prohibited: string; banned: Set<string> } | undefined;
function bannedSet(prohibited: string): Set<string> {
  if (bannedFor?.prohibited !== prohibited) bannedFor = { prohibited, banned: new Set(prohibited) };
  return bannedFor.banned;
}

/**
 * Whether a trimmed, non-empty name breaks the rule under the given prohibited set ('' turns the
 * character check off; control characters are refused regardless).
 */
export function isProhibitedPersonName(name: string, prohibited: string): boolean {
  // The common case: its only reading is itself (the full path below would find the same).
  if (PLAIN.test(name)) {
    if (prohibited === '') return false;
    const banned = bannedSet(prohibited);
    for (let i = 0; i < name.length; i++) if (banned.has(name[i] as string)) return true;
    return false;
  }
  const { forms, stillEncoded } = readings(name);
  if (forms.some((f) => CONTROL.test(f))) return true;
  if (prohibited === '') return false;
  if (stillEncoded) return true;
  const banned = bannedSet(prohibited);
  return forms.some((f) => [...f].some((c) => banned.has(c)));
}
