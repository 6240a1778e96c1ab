import { describe, expect, it } from 'vitest';
import { defaultPolicies } from '../modules/settings/settings.defaults.js';
import { emailLookupKey, normalizeEmail } from './email.js';
import { hasInvisible, withoutInvisible } from './invisible.js';
import { foldLogin } from './login.js';
import { checkUsername, usernameKey } from './username.js';

const usernamePolicy = defaultPolicies.username;
const anything = { ...usernamePolicy, pattern: '^.+$' };

// A sample of every range of Default_Ignorable_Code_Point (Unicode 15/16 DerivedCoreProperties) and the Hangul fillers.
const IGNORABLE = [
  0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b, 0x180e, 0x180f, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202e,
  0x2060, 0x2064, 0x2065, 0x206f, 0x3164, 0xfe00, 0xfe0f, 0xfeff, 0xffa0, 0xfff0, 0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0000, 0xe0001,
  0xe0020, 0xe007f, 0xe0100, 0xe01ef, 0xe0fff,
].map((c) => String.fromCodePoint(c));

describe('invisible code points (M1, M2)', () => {
  it('should know every Default_Ignorable_Code_Point range, Hangul fillers included, and nothing visible', () => {
    for (const c of IGNORABLE) expect(hasInvisible(`a${c}b`), c.codePointAt(0)?.toString(16)).toBe(true);
    for (const c of ['a', 'é', 'ㅎ', '한', '名', '-', '.', '_', ' ', '\u0301']) expect(hasInvisible(c), c).toBe(false);
    expect(withoutInvisible(`ad${IGNORABLE.join('')}min`)).toBe('admin');
  });

  it('should fold every invisible variant of a name to the visible name', () => {
    for (const c of IGNORABLE) {
      for (const variant of [`admin${c}`, `${c}admin`, `ad${c}min`, `Ａd${c}min`])
        expect(usernameKey(variant), JSON.stringify(variant)).toBe('admin');
    }
    expect(usernameKey('root\u115f')).toBe('root');
    expect(usernameKey('boss2\uffa0')).toBe('boss2');
    expect(usernameKey('\u0410dmin\u3164')).toBe('admin'); // Cyrillic A and a filler at once
    expect(usernameKey('한\u3164글')).toBe(usernameKey('한글'));
  });

  it('should refuse invisible characters in a username even when the tenant pattern accepts anything', () => {
    for (const c of IGNORABLE) {
      for (const name of [`boss2${c}`, `${c}boss2`, `bo${c}ss2`]) {
        expect(checkUsername(name, usernamePolicy), JSON.stringify(name)).toBe('USERNAME_INVALID');
        expect(checkUsername(name, anything), JSON.stringify(name)).toBe('USERNAME_INVALID');
      }
    }
    expect(checkUsername('boss2', anything)).toBeUndefined();
    expect(checkUsername('한글이름', usernamePolicy)).toBeUndefined();
  });

  it('should refuse invisible characters anywhere in an email address, IDNA-ignored ones in the domain included', () => {
    for (const c of IGNORABLE) {
      for (const address of [`boss@corp.co${c}m`, `boss@${c}corp.com`, `bo${c}ss@corp.com`, `boss@bücher${c}.de`]) {
        expect(normalizeEmail(address), JSON.stringify(address)).toBeUndefined();
      }
    }
    expect(normalizeEmail('Boss@Corp.com')?.normalized).toBe('boss@corp.com');
  });

  it('should fold a presented login to the keys of the account it shows', () => {
    expect(foldLogin('boss@corp.co\u034fm')).toContain('boss@corp.com');
    expect(foldLogin('boss@corp.co\u034f\u034f\u034f\u034fm')).toContain('boss@corp.com');
    expect(foldLogin('BOSS@corp.com\ufe0f')).toContain('boss@corp.com');
    expect(foldLogin('boss@bü\u00adcher.de')).toContain(normalizeEmail('boss@bücher.de')?.normalized);
    expect(foldLogin('admin\u3164')).toEqual(['admin']);
    expect(foldLogin(' \u3164admin ')).toEqual(['admin']);
    expect(emailLookupKey('ad\u200bmin')).toBeUndefined();
    for (const c of IGNORABLE) expect(foldLogin(`boss2${c}@corp-a.com`), c.codePointAt(0)?.toString(16)).toContain('boss2@corp-a.com');
  });
});
