import fc from 'fast-check';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { canonicalLocale, canonicalTimezone, countryCode } from './locale.js';
import { memoized } from './memo.js';
import { DEFAULT_PROHIBITED_NAME_CHARACTERS, isProhibitedPersonName } from './person-name.js';
import { normalizePhone } from './phone.js';

// The rules' shortcuts (remembered answers, the plain-ASCII path of the name rule) must answer exactly as
// the full computation does: each is compared with it here, over generated inputs.

/** The name rule without its plain-ASCII shortcut, as it was written before it. */
function fullPersonNameRule(name: string, prohibited: string): boolean {
  const forms = [name];
  let current = name;
  let stillEncoded = false;
  let settled = false;
  for (let round = 0; round < 4; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      settled = true;
      break;
    }
    if (decoded === current) {
      settled = true;
      break;
    }
    forms.push(decoded);
    current = decoded;
  }
  if (!settled) {
    try {
      stillEncoded = decodeURIComponent(current) !== current;
    } catch {
      stillEncoded = false;
    }
  }
  const all = [...new Set(forms.flatMap((f) => [f, f.normalize('NFKC')]))];
  // eslint-disable-next-line no-control-regex
  if (all.some((f) => /[\u0000-\u001F\u007F-\u009F]/.test(f))) return true;
  if (prohibited === '') return false;
  if (stillEncoded) return true;
  const banned = new Set(prohibited);
  return all.some((f) => [...f].some((c) => banned.has(c)));
}

function fullPhoneRule(input: string, region?: string | null): string | undefined {
  const parsed = parsePhoneNumberFromString(input.trim(), region ? { defaultCountry: region as CountryCode } : undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

function fullLocaleRule(input: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(input)[0];
  } catch {
    return undefined;
  }
}

const RUNS = { numRuns: 3000 };

describe('rule shortcuts answer as the full rules do', () => {
  it('should judge a name as the full rule does, plain ASCII or not', () => {
    const asciiName = fc.string({ unit: fc.integer({ min: 0x00, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 24 });
    const anyName = fc.oneof(
      asciiName,
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('Zoë', '＜b＞', 'a%3Cb', '%253C', '%', 'a\u0085b', 'Ann-Marie O’Neil', 'x%25', '%E0%A4%A'),
    );
    const sets = fc.constantFrom(DEFAULT_PROHIBITED_NAME_CHARACTERS, '', '<>', '%', 'é', '＜');
    fc.assert(
      fc.property(anyName, sets, (name, prohibited) => {
        expect(isProhibitedPersonName(name, prohibited)).toBe(fullPersonNameRule(name, prohibited));
      }),
      RUNS,
    );
  });

  it('should normalise a phone number as libphonenumber does, the first time and again', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const separators = fc.constantFrom('', ' ', '-', '.', '  ');
    const e164ish = fc
      .tuple(fc.constantFrom('+', '+1', '+33', '+44', '+49', '+7', '+86', '+1 ', '+ ', '00'), digits(0, 16), separators, digits(0, 6))
      .map(([prefix, a, sep, b]) => `${prefix}${a}${sep}${b}`);
    const national = fc.tuple(digits(1, 4), separators, digits(3, 10)).map(([a, sep, b]) => `(${a})${sep}${b}`);
    const region = fc.constantFrom(undefined, null, '', 'US', 'FR', 'GB', 'DE', 'CA', 'BR');
    fc.assert(
      fc.property(fc.oneof(e164ish, national, fc.string({ maxLength: 20 })), region, (input, r) => {
        const expected = fullPhoneRule(input, r);
        expect(normalizePhone(input, r)).toBe(expected);
        expect(normalizePhone(input, r)).toBe(expected);
      }),
      RUNS,
    );
    // The same digits under another region are a different question, not a remembered answer.
    expect(normalizePhone('01 23 45 67 89', 'FR')).toBe('+33123456789');
    expect(normalizePhone('01 23 45 67 89', 'US')).toBe(fullPhoneRule('01 23 45 67 89', 'US'));
    expect(normalizePhone(' +1 415 555 0123 ', undefined)).toBe('+14155550123');
  });

  it('should canonicalise locales and country codes as ICU does, the first time and again', () => {
    const tag = fc.oneof(
      fc.constantFrom('en-US', 'en-us', 'EN', 'fr_FR', 'zh-hant-tw', 'de-DE-u-co-phonebk', 'i-klingon', 'und', 'x', '', ' en'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(tag, (input) => {
        const expected = fullLocaleRule(input);
        expect(canonicalLocale(input)).toBe(expected);
        expect(canonicalLocale(input)).toBe(expected);
      }),
      RUNS,
    );
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    for (const a of letters)
      for (const b of letters)
        for (const sent of [`${a}${b}`, ` ${a.toLowerCase()}${b} `]) {
          const expected = names.of(`${a}${b}`) === undefined ? undefined : `${a}${b}`;
          expect(countryCode(sent), sent).toBe(expected);
          expect(countryCode(sent), sent).toBe(expected);
        }
    for (const sent of ['FRA', '', 'F', '1A']) expect(countryCode(sent), sent).toBeUndefined();
  });

  it('should name time zones as ICU does, UTC included', () => {
    for (const zone of ['UTC', 'utc', 'Etc/UTC', 'GMT', 'Europe/Paris', 'america/new_york', 'Mars/Olympus', ' UTC', 'UTC ']) {
      let expected: string | undefined;
      try {
        expected = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
      } catch {
        expected = undefined;
      }
      expect(canonicalTimezone(zone), zone).toBe(expected);
      expect(canonicalTimezone(zone), zone).toBe(expected);
    }
  });

  it('should keep at most its limit of answers, and remember undefined answers too', () => {
    let calls = 0;
    const f = memoized(3, (s) => {
      calls += 1;
      return s === 'none' ? undefined : s.length;
    });
    expect([f('a'), f('none'), f('a'), f('none')]).toEqual([1, undefined, 1, undefined]);
    expect(calls).toBe(2);
    f('bb');
    f('ccc'); // full: emptied, then kept
    expect(f('ccc')).toBe(3);
    expect(calls).toBe(4);
    expect(f('a')).toBe(1);
    expect(calls).toBe(5);
    const long = 'x'.repeat(500);
    f(long);
    f(long);
    expect(calls).toBe(7);
  });
});
