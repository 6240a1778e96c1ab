import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkAttributeValue } from '../modules/attributes/attribute.rules.js';
import { defaultPolicies } from '../modules/settings/settings.defaults.js';
import { checkTenantPattern, MAX_PATTERN_PROGRAM, PatternBudget, patternTextLimit, testTenantPattern } from './tenant-pattern.js';
import { checkUsername } from './username.js';

// Each of these takes minutes to years on a backtracking engine with the input next to it (the time
// doubles per character). On RE2 they are linear: the test finishes within vitest's testTimeout or fails.
const catastrophic: Array<[pattern: string, input: string, expected: 'match' | 'no-match']> = [
  ['^(a+)+$', `${'a'.repeat(50)}!`, 'no-match'],
  ['(a|aa)+$', `${'a'.repeat(50)}!`, 'no-match'],
  ['^(\\w+\\s?)*$', `${'aaaa '.repeat(10)}aaaaaaaaaa!`, 'no-match'],
  ['(.*a){20}', 'a'.repeat(19) + 'b'.repeat(31), 'no-match'],
  ['^(a|a?)+b$', 'a'.repeat(50), 'no-match'],
  ['^([\\p{L}\\p{N}]+[._-]?)+$', `${'ab1'.repeat(17)}!`, 'no-match'],
];

describe('tenant patterns on the linear-time engine', () => {
  it.each(catastrophic)('should evaluate %s against a 50-character adversarial input without backtracking', (pattern, input, expected) => {
    expect(checkTenantPattern(pattern)).toBeUndefined();
    expect(testTenantPattern(pattern, input)).toBe(expected);
  });

  it('should evaluate a catastrophic pattern against a 10 kB input to the end', () => {
    const input = `${'a'.repeat(10_000)}!`;
    expect(testTenantPattern('^(a+)+$', input)).toBe('no-match');
    expect(testTenantPattern('^(a|aa)+!$', input)).toBe('match');
    expect(testTenantPattern('^(\\w+\\s?)*$', `${'word '.repeat(2_000)}!`)).toBe('no-match');
  });

  it('should keep the meaning of JavaScript Unicode-mode patterns (unanchored test, code points, \\s, ., \\p)', () => {
    const cases: Array<[string, string[]]> = [
      [defaultPolicies.username.pattern, ['ada', 'Ádám_1', 'ab', 'a b', 'x'.repeat(65), '名前です', 'a\u200Bb']],
      ['^E[0-9]{4,}$', ['E1234', 'E123', 'xE12345', 'E12345\n']],
      ['[0-9]', ['abc', 'a1c']],
      ['^.$', ['😀', 'a', '\n', '\r', '\u2028', 'ab']],
      ['^\\s$', [' ', '\t', '\u00A0', '\u3000', '\uFEFF', 'a']],
      ['^[\\S-]+$', ['a-b', 'a b', 'a\u00A0b', 'a\u2003b']],
      ['^[^\\s]+$', ['ab', 'a\u3000b']],
      ['^\\p{Lu}\\p{Ll}+$', ['Ada', 'ada', 'Élan', 'ÀB']],
      ['^\\p{Script=Greek}+$', ['αβγ', 'abc']],
      ['^\\p{Letter}+$', ['abc', 'a1']],
      ['^\\u{1F600}\\uD83D\\uDE00\\u0041$', ['😀😀A', '😀A']],
      ['^(?<year>\\d{4})-\\d{2}$', ['2024-12', '24-12']],
      ['^[\\b]$|^\\cJ$', ['\b', '\n', 'b']],
      ['[^]', ['', 'x']],
      ['[]', ['', 'x']],
      ['^a\\/b\\.c$', ['a/b.c', 'a/bxc']],
      ['\\bfoo\\b', ['a foo b', 'afoob']],
    ];
    for (const [pattern, inputs] of cases) {
      expect(checkTenantPattern(pattern), pattern).toBeUndefined();
      const native = new RegExp(pattern, 'u');
      for (const input of inputs)
        expect(testTenantPattern(pattern, input) === 'match', `${pattern} on ${JSON.stringify(input)}`).toBe(native.test(input));
    }
  });

  it.each([
    ['^(a)\\1$', 'Backreferences'],
    ['^(?<n>a)\\k<n>$', 'Backreferences'],
    ['^(?=.*[0-9])[a-z0-9]+$', 'Lookahead'],
    ['^(?!admin)[a-z]+$', 'Lookahead'],
    ['(?<=@)corp$', 'lookbehind'],
    ['(?<!x)y', 'lookbehind'],
    ['^a{1001}$', 'repeat count'],
    ['^.{0,600}$', 'too complex'],
    ['^((a{30}){30}){2}$', 'repeat count'],
  ])('should refuse %s, which RE2 cannot run in linear time, when it is saved', (pattern, reason) => {
    const problem = checkTenantPattern(pattern);
    expect(problem?.code).toBe('PATTERN_UNSUPPORTED');
    expect(problem?.message).toContain(reason);
  });

  it('should refuse invalid and over-long patterns with their own codes', () => {
    expect(checkTenantPattern('([')?.code).toBe('PATTERN_INVALID');
    expect(checkTenantPattern('(?i)abc')?.code).toBe('PATTERN_INVALID');
    const long = checkTenantPattern('a'.repeat(201));
    expect(long?.code).toBe('FIELD_TOO_LONG');
    expect(long?.message.length).toBeLessThan(100);
  });

  it('should bound the work of one budget: a text beyond it is not evaluated, and a shared budget runs out', () => {
    const pattern = '[a-z]{1,300}';
    const limit = patternTextLimit(pattern);
    expect(limit).toBeGreaterThan(1000);
    expect(testTenantPattern(pattern, 'a'.repeat(limit))).toBe('match');
    expect(testTenantPattern(pattern, 'a'.repeat(limit + 1))).toBe('too-long');
    const shared = new PatternBudget();
    expect(testTenantPattern(pattern, 'a'.repeat(Math.floor(limit / 2)), shared)).toBe('match');
    expect(testTenantPattern(pattern, 'a'.repeat(Math.floor(limit / 2)), shared)).toBe('too-long');
    // The smallest budget still checks a whole username (256 characters, even after NFKC growth) against any allowed pattern.
    expect(Math.floor(2_000_000 / MAX_PATTERN_PROGRAM)).toBeGreaterThan(256);
  });
});

describe('stored patterns RE2 cannot evaluate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('should fail every check with a clear code instead of throwing, and warn once per pattern', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const legacy = '^(\\w)\\1+$';
    expect(testTenantPattern(legacy, 'aa')).toBe('unusable');
    expect(checkUsername('bob', { ...defaultPolicies.username, pattern: legacy })).toBe('PATTERN_UNSUPPORTED');
    const checked = checkAttributeValue({ type: 'string', pattern: '^(?=x)x$' }, 'x');
    expect(checked).toEqual({ ok: false, reason: expect.stringContaining('an administrator must change it') });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls.map((c) => (c[1] as { code: string }).code)).toEqual(['ROSTER_PATTERN_UNUSABLE', 'ROSTER_PATTERN_UNUSABLE']);
  });
});

describe('pattern checks in rules', () => {
  it('should refuse a catastrophic username quickly and accept a matching one', () => {
    const policy = { ...defaultPolicies.username, pattern: '^([a-z]+)+$' };
    expect(checkUsername(`${'a'.repeat(60)}!`, policy)).toBe('USERNAME_INVALID');
    expect(checkUsername('alice', policy)).toBeUndefined();
  });

  it('should name a failing list item by position, never repeat a long value, and charge one budget', () => {
    const big = `${'a'.repeat(100_000)}!`;
    const list = checkAttributeValue({ type: 'string-list', pattern: '^(a|aa)+$' }, ['aa', big]);
    expect(list.ok).toBe(false);
    const reason = (list as { reason: string }).reason;
    expect(reason).toMatch(/^item 1 /);
    expect(reason.length).toBeLessThan(300);
    expect(reason).not.toContain('aaaaaaaaaa');
    const budget = new PatternBudget();
    const rule = { type: 'string' as const, pattern: '[a-z]{1,300}' };
    const half = 'a'.repeat(Math.floor(patternTextLimit(rule.pattern) / 2));
    expect(checkAttributeValue(rule, half, budget)).toEqual({ ok: true, value: half });
    expect(checkAttributeValue(rule, half, budget)).toEqual({
      ok: false,
      reason: expect.stringContaining('too long to check against the pattern'),
    });
  });
});
