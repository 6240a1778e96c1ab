import { describe, expect, it } from 'vitest';
import { normalizeEmail } from './email.js';
import { canonicalLocale, canonicalTimezone, countryCode } from './locale.js';
import { checkPassword } from './password.js';
import { normalizePhone } from './phone.js';
import { usernameKey, validateUsername } from './username.js';

describe('normalizeEmail', () => {
  it('should lower-case the domain for display and the whole address for look-ups', () => {
    expect(normalizeEmail(' Ada.Lovelace@Example.COM ')).toEqual({ display: 'Ada.Lovelace@example.com', normalized: 'ada.lovelace@example.com' });
  });

  it('should accept internationalised domains in their ASCII form', () => {
    expect(normalizeEmail('ana@bücher.de')?.normalized).toBe('ana@xn--bcher-kva.de');
  });

  it.each([
    ['no at sign', 'ada.example.com'],
    ['two at signs', 'a@b@example.com'],
    ['display name', 'Ada <ada@example.com>'],
    ['comment', 'ada(comment)@example.com'],
    ['quoted local part', '"ada lovelace"@example.com'],
    ['single-label domain', 'ada@localhost'],
    ['leading dot', '.ada@example.com'],
    ['double dot', 'ada..l@example.com'],
    ['local part over 64', `${'a'.repeat(65)}@example.com`],
    ['whole over 254', `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`],
    ['label with underscore', 'ada@ex_ample.com'],
  ])('should refuse %s', (_name, value) => {
    expect(normalizeEmail(value)).toBeUndefined();
  });
});

describe('username rules', () => {
  it('should fold width, case and invisible characters into one key', () => {
    expect(usernameKey('Ａdmin')).toBe('admin');
    expect(usernameKey('ad\u200Bmin')).toBe('admin');
    expect(usernameKey('ADMIN')).toBe('admin');
  });

  it('should accept letters, digits and . _ - @ + up to 64 characters', () => {
    expect(validateUsername('josé.o-neil_2+x@corp')).toBe('josé.o-neil_2+x@corp');
    expect(validateUsername('a'.repeat(64))).toBeDefined();
  });

  it.each([['space', 'a b'], ['too long', 'a'.repeat(65)], ['empty', ''], ['slash', 'a/b'], ['emoji', 'ada😀']])('should refuse %s', (_n, value) => {
    expect(validateUsername(value)).toBeUndefined();
  });
});

describe('checkPassword', () => {
  it('should accept 8 characters and refuse 7', () => {
    expect(checkPassword('12345678')).toEqual([]);
    expect(checkPassword('1234567')[0]?.code).toBe('PASSWORD_TOO_SHORT');
  });

  it('should count the byte limit in UTF-8 bytes', () => {
    expect(checkPassword('é'.repeat(128))).toEqual([]);
    expect(checkPassword('é'.repeat(129))[0]?.code).toBe('PASSWORD_TOO_LONG');
  });
});

describe('profile rules', () => {
  it('should normalise phone numbers to E.164 and refuse invalid ones', () => {
    expect(normalizePhone('+1 (415) 555-0132')).toBe('+14155550132');
    expect(normalizePhone('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(normalizePhone('12345')).toBeUndefined();
    expect(normalizePhone('+1 000')).toBeUndefined();
  });

  it('should canonicalise locales, time zones and countries', () => {
    expect(canonicalLocale('EN-gb')).toBe('en-GB');
    expect(canonicalLocale('not a locale')).toBeUndefined();
    expect(canonicalTimezone('Europe/Paris')).toBe('Europe/Paris');
    expect(canonicalTimezone('Mars/Base')).toBeUndefined();
    expect(countryCode('de')).toBe('DE');
    expect(countryCode('QQ')).toBeUndefined();
    expect(countryCode('DEU')).toBeUndefined();
  });
});
