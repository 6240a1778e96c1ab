import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkPassword } from './password.js';

const require = createRequire(import.meta.url);
type MatchOptions = { password: string; userInputsOptions?: object };
type Matcher = { match(o: MatchOptions): unknown[]; libraryMatch(o: MatchOptions): unknown[] };

// Passwords of every kind the estimator meets: dictionary words, names, l33t, reversed words, word
// sequences, dates, keyboard walks, long random strings and passphrases, mixed case, non-ASCII.
const CORPUS = [
  'password',
  'Password1',
  'p@ssw0rd',
  'drowssap',
  'correct horse battery staple',
  'Tr0ub4dor&3',
  'redorangeyellow',
  'mercuryvenusmars',
  'january2024',
  'qwertyuiop',
  'zxcvbnm123',
  'ilovejennifer',
  'JohnSmith1985',
  'violet-Harbor-lantern-42',
  'pw-a1b2c3-17-long-enough',
  'aaaaaaaaaaaa',
  'abcdefghij',
  '1234567890',
  'monkeydragon',
  'Zürich-Straße-2023',
  'ÇağrıŞahin',
  'İstanbul1453',
  'x',
  '',
  'sunshinesunshine',
  'thequickbrownfoxjumpsoverthelazydog',
  'Kj8#mQ2$vL9!pW4@',
  'dadmommomdad',
  'northsoutheastwest',
  'one two three four',
  'İİİpasswordİ',
  'ǅungla-Ǆ-ǆ',
  'pass🔑word🔑2024',
  'ﬁnancialﬂow',
  'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
  '~~~!!!###',
];

/**
 * More passwords built from the pieces passwords are made of (dictionary words and names, their l33t,
 * reversed and capitalised forms, digits, years, separators, keyboard runs, non-ASCII letters), drawn
 * with a fixed seed so every run compares the same ones.
 */
function generatedCorpus(count: number): string[] {
  let seed = 20261202;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = [
    'password',
    'dragon',
    'monkey',
    'jennifer',
    'michael',
    'sunshine',
    'letmein',
    'football',
    'shadow',
    'master',
    'the',
    'and',
    'love',
    'qwerty',
    'asdf',
    'zxcv',
    '1qaz',
    'abc',
    'xyz',
    'pw',
    'long',
    'enough',
    'straße',
    'çağrı',
    'İstanbul',
    'müller',
    'ñandú',
    'p@ss',
    'l3tm3in',
    'dr4g0n',
    'a',
    'e',
    'z',
    'q',
    'K',
    'Xy',
  ];
  const glue = ['', '', '-', '_', '.', ' ', '!', '#', '1', '42', '2024', '1987', '0', '@', '$'];
  const shape = (word: string) => {
    switch (next(4)) {
      case 0:
        return word.toUpperCase();
      case 1:
        return word.charAt(0).toUpperCase() + word.slice(1);
      case 2:
        return [...word].reverse().join('');
      default:
        return word;
    }
  };
  return Array.from({ length: count }, () => {
    let password = '';
    for (let parts = 1 + next(5); parts > 0; parts -= 1) password += shape(pieces[next(pieces.length)] as string) + glue[next(glue.length)];
    if (next(3) === 0) password += next(100_000).toString(16); // hex, as in generated test passwords
    return password;
  });
}

const GENERATED = generatedCorpus(120);

describe('indexed zxcvbn dictionary matching', () => {
  it("should find exactly the matches of the library's own loop, in the same order, for every matcher using it", () => {
    checkPassword('warm-up the estimator 1', {
      minLength: 1,
      maxBytes: 256,
      requireUppercase: false,
      requireLowercase: false,
      requireDigit: false,
      requireSymbol: false,
      minStrength: 0,
      forbidUserInfo: false,
      forbidCommon: true,
    });
    const MatchDictionary = require('@zxcvbn-ts/core/dist/matcher/dictionary/matching.cjs') as { prototype: Matcher };
    expect(typeof MatchDictionary.prototype.libraryMatch).toBe('function');
    // The forward matcher and the word-sequence subset, as the factory built them.
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as {
      ZxcvbnFactory: new (o: object) => { matching: { matchers: Record<string, Matcher & { dictionary?: Matcher }> } };
    };
    const common = require('@zxcvbn-ts/language-common');
    const en = require('@zxcvbn-ts/language-en');
    const factory = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
    const matchers = [
      factory.matching.matchers.dictionary,
      factory.matching.matchers.dictionaryReverse,
      factory.matching.matchers.wordSequence?.dictionary,
    ].filter(Boolean) as Matcher[];
    expect(matchers.length).toBe(3);
    let compared = 0;
    for (const matcher of matchers) {
      for (const password of [...CORPUS, ...GENERATED]) {
        // The base class's methods on each instance (the reverse matcher reverses the password before calling them).
        // With no user inputs, as the library calls it (an empty user-input dictionary) and as a caller may (none at all).
        for (const userInputsOptions of [{ rankedDictionary: {}, rankedDictionaryMaxWordSize: 0 }, undefined]) {
          const options = { password, userInputsOptions };
          expect(MatchDictionary.prototype.match.call(matcher, options)).toEqual(
            MatchDictionary.prototype.libraryMatch.call(matcher, options),
          );
        }
        compared += 1;
      }
    }
    expect(compared).toBe((CORPUS.length + GENERATED.length) * 3);
    expect(MatchDictionary.prototype.match.call(matchers[0], { password: 'password' }).length).toBeGreaterThan(0);
  }, 180_000); // the library's own loop is slow: about 900 comparisons, slow on a busy machine
});
