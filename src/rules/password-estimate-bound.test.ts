import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import { defaultPolicies } from '../modules/settings/settings.defaults.js';
import { checkPassword, STRENGTH_INPUT_CHARS } from './password.js';

// The instance password.ts loads (CommonJS), so the spy sees its calls.
const { ZxcvbnFactory } = createRequire(import.meta.url)('@zxcvbn-ts/core') as typeof ZxcvbnCore;
const policy = { ...defaultPolicies.password, maxBytes: 1024 };
const fill = (shape: string, length: number) => shape.repeat(Math.ceil(length / shape.length)).slice(0, length);
/** A strong, non-repeating stretch (no dictionary word, no sequence). */
const strong = (length: number) => Array.from({ length }, (_, i) => 'Kq7#vZ2$mW9!xR4&'.charAt((i * 7 + Math.floor(i / 16)) % 16)).join('');

describe('password strength estimate on a bounded input', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['l33t', fill('p4$$w0rd@!1', 1000)],
    ['dates', fill('19/04/1987', 1000)],
    ['keyboard walk', fill('1qaz2wsx3edc4rfv5tgb', 900)],
  ])('should estimate a long %s password on its first 100 characters only', (_, password) => {
    const main = vi.spyOn(ZxcvbnFactory.prototype as unknown as { main: (password: string) => unknown }, 'main');
    checkPassword(password, policy);
    expect(main).toHaveBeenCalled();
    for (const [input] of main.mock.calls) expect(input.length).toBeLessThanOrEqual(STRENGTH_INPUT_CHARS);
  });

  it('should refuse a long password whose first 100 characters are weak, whatever follows', () => {
    const codes = (pw: string) => checkPassword(pw, policy).map((e) => e.code);
    expect(codes(`${'a'.repeat(STRENGTH_INPUT_CHARS)}${strong(150)}`)).toEqual(['PASSWORD_TOO_WEAK']);
    expect(codes(`${fill('abab', STRENGTH_INPUT_CHARS)}${strong(300)}`)).toEqual(['PASSWORD_TOO_WEAK']);
  });

  it('should accept a long password with a strong start, whatever follows (it still counts for length)', () => {
    expect(checkPassword(`${strong(STRENGTH_INPUT_CHARS)}${'a'.repeat(400)}`, policy)).toEqual([]);
    expect(checkPassword(`${strong(40)}${fill('0123456789', 900)}`, policy)).toEqual([]);
  });

  it('should answer a 10 kB password with PASSWORD_TOO_LONG without estimating it', () => {
    const main = vi.spyOn(ZxcvbnFactory.prototype as unknown as { main: (password: string) => unknown }, 'main');
    expect(checkPassword(fill('p4$$w0rd@!1', 10_240), policy).map((e) => e.code)).toEqual(['PASSWORD_TOO_LONG']);
    expect(checkPassword(fill('Tr0ub4dor&3', 10_240), defaultPolicies.password).map((e) => e.code)).toEqual(['PASSWORD_TOO_LONG']);
    expect(main).not.toHaveBeenCalled();
  });
});
