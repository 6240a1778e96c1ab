import { describe, expect, it } from 'vitest';
import { defaultPolicies } from '../modules/settings/settings.defaults.js';
import { calendarDate } from './dates.js';
import { checkEmailDomain, normalizeEmail } from './email.js';
import { canonicalLocale, canonicalTimezone, countryCode } from './locale.js';
import { checkPassword, generatePassword } from './password.js';
import { normalizePhone } from './phone.js';
import { checkUsername, usernameKey } from './username.js';

const passwordPolicy = defaultPolicies.password;
const usernamePolicy = defaultPolicies.username;
const codes = (errors: Array<{ code: string }>) => errors.map((e) => e.code);

describe('normalizeEmail', () => {
  it('should lower-case the domain for display and the whole address for look-ups', () => {
    expect(normalizeEmail(' Ada.Lovelace@Example.COM ')).toEqual({
      display: 'Ada.Lovelace@example.com',
      normalized: 'ada.lovelace@example.com',
    });
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

describe('checkEmailDomain', () => {
  const policy = defaultPolicies.email;

  it('should refuse disposable domains and their subdomains by default, and allow ordinary ones', () => {
    expect(checkEmailDomain('a@mailinator.com', policy)).toBe('EMAIL_DOMAIN_DISPOSABLE');
    expect(checkEmailDomain('a@x.mailinator.com', policy)).toBe('EMAIL_DOMAIN_DISPOSABLE');
    expect(checkEmailDomain('a@acme.io', policy)).toBeUndefined();
    expect(checkEmailDomain('a@gmail.com', policy)).toBeUndefined();
  });

  it('should refuse free-mail domains when asked, and apply allow- and deny-lists', () => {
    expect(checkEmailDomain('a@gmail.com', { ...policy, blockFreeMail: true })).toBe('EMAIL_DOMAIN_FREE_MAIL');
    expect(checkEmailDomain('a@yahoo.fr', { ...policy, blockFreeMail: true })).toBe('EMAIL_DOMAIN_FREE_MAIL');
    expect(checkEmailDomain('a@acme.io', { ...policy, allowedDomains: ['corp.com'] })).toBe('EMAIL_DOMAIN_NOT_ALLOWED');
    expect(checkEmailDomain('a@eu.corp.com', { ...policy, allowedDomains: ['corp.com'] })).toBeUndefined();
    expect(checkEmailDomain('a@corp.com', { ...policy, allowedDomains: ['corp.com'], deniedDomains: ['corp.com'] })).toBe(
      'EMAIL_DOMAIN_DENIED',
    );
    expect(checkEmailDomain('a@mailinator.com', { ...policy, allowedDomains: ['mailinator.com'] })).toBeUndefined();
  });
});

describe('username rules', () => {
  it('should fold width, case, invisible characters and non-Latin look-alikes into one key', () => {
    expect(usernameKey('Ａdmin')).toBe('admin');
    expect(usernameKey('ad\u200Bmin')).toBe('admin');
    expect(usernameKey('ADMIN')).toBe('admin');
    expect(usernameKey('\u0410dmin')).toBe('admin'); // Cyrillic capital A
    expect(usernameKey('p\u0430ypal')).toBe('paypal'); // Cyrillic small a
  });

  it('should keep distinct ASCII names distinct', () => {
    expect(usernameKey('bob1')).not.toBe(usernameKey('bobl'));
    expect(usernameKey('rn')).not.toBe(usernameKey('m'));
  });

  it('should accept 3-64 letters, digits and . _ - by default', () => {
    expect(checkUsername('josé.o-neil_2', usernamePolicy)).toBeUndefined();
    expect(checkUsername('a'.repeat(64), usernamePolicy)).toBeUndefined();
  });

  it.each([
    ['space', 'a b'],
    ['too short', 'ab'],
    ['too long', 'a'.repeat(65)],
    ['at sign', 'a@b.c'],
    ['slash', 'a/b'],
    ['emoji', 'ada😀'],
    ['zero-width', 'ad\u200Bmin'],
  ])('should refuse %s with USERNAME_INVALID', (_n, value) => {
    expect(checkUsername(value, usernamePolicy)).toBe('USERNAME_INVALID');
  });

  it('should refuse reserved names and their look-alikes with USERNAME_RESERVED', () => {
    for (const name of ['admin', 'ROOT', 'Ａdmin', '\u0410dmin', 'System', 'user'])
      expect(checkUsername(name, usernamePolicy)).toBe('USERNAME_RESERVED');
    expect(checkUsername('support', { ...usernamePolicy, reserved: ['Support'] })).toBe('USERNAME_RESERVED');
  });

  it('should apply a tenant pattern', () => {
    const policy = { ...usernamePolicy, pattern: '^[a-z]{2,8}[0-9]{2}$' };
    expect(checkUsername('jdoe42', policy)).toBeUndefined();
    expect(checkUsername('jdoe', policy)).toBe('USERNAME_INVALID');
  });
});

describe('checkPassword', () => {
  it('should accept a strong password and refuse 7 characters', () => {
    expect(checkPassword('correct horse battery', passwordPolicy)).toEqual([]);
    expect(codes(checkPassword('x7#kQ2p', passwordPolicy))).toContain('PASSWORD_TOO_SHORT');
  });

  it('should count the byte limit in UTF-8 bytes', () => {
    expect(codes(checkPassword('é'.repeat(128), { ...passwordPolicy, minStrength: 0, forbidCommon: false }))).toEqual([]);
    expect(codes(checkPassword('é'.repeat(129), passwordPolicy))).toEqual(['PASSWORD_TOO_LONG']);
  });

  it('should refuse common passwords and weak ones with their own codes', () => {
    expect(codes(checkPassword('password1', passwordPolicy))).toEqual(['PASSWORD_COMMON']);
    expect(codes(checkPassword('qwertyuiop', passwordPolicy))).toEqual(['PASSWORD_COMMON']);
    expect(codes(checkPassword('aaaaaaaaaa', passwordPolicy))).toEqual(['PASSWORD_TOO_WEAK']);
    expect(checkPassword('password1', { ...passwordPolicy, forbidCommon: false, minStrength: 0 })).toEqual([]);
  });

  it('should refuse a password containing the username or the email local part', () => {
    expect(codes(checkPassword('my-jdoe42-secret!', passwordPolicy, { username: 'jdoe42' }))).toEqual(['PASSWORD_CONTAINS_USER_INFO']);
    expect(codes(checkPassword('Grace.Hopper-1906x', passwordPolicy, { email: 'grace.hopper@navy.mil' }))).toEqual([
      'PASSWORD_CONTAINS_USER_INFO',
    ]);
  });

  it('should apply each character-class rule with its own code, all at once', () => {
    const strict = { ...passwordPolicy, requireUppercase: true, requireLowercase: true, requireDigit: true, requireSymbol: true };
    expect(codes(checkPassword('correct horse battery', strict)).sort()).toEqual([
      'PASSWORD_MISSING_DIGIT',
      'PASSWORD_MISSING_SYMBOL',
      'PASSWORD_MISSING_UPPERCASE',
    ]);
    expect(checkPassword('Correct-horse-7-battery', strict)).toEqual([]);
  });

  it('should generate passwords that pass the policy that asked for them', () => {
    const strict = {
      ...passwordPolicy,
      minLength: 30,
      requireUppercase: true,
      requireLowercase: true,
      requireDigit: true,
      requireSymbol: true,
    };
    for (let i = 0; i < 20; i++) expect(checkPassword(generatePassword(strict), strict)).toEqual([]);
  });
});

describe('profile rules', () => {
  it('should read dates and date-times as calendar dates and refuse impossible ones', () => {
    expect(calendarDate('2024-02-29')).toBe('2024-02-29');
    expect(calendarDate('2024-03-01T23:30:00-05:00')).toBe('2024-03-01');
    expect(calendarDate('2023-02-29')).toBeUndefined();
    expect(calendarDate('01/02/2024')).toBeUndefined();
  });

  it('should read national phone numbers in a given region', () => {
    expect(normalizePhone('06 12 34 56 78', 'FR')).toBe('+33612345678');
    expect(normalizePhone('06 12 34 56 78')).toBeUndefined();
  });

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
