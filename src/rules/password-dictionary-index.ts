import { createRequire } from 'node:module';

/**
 * zxcvbn-ts's dictionary matcher looks every substring of a password up in each of its ~20 ranked
 * dictionaries, one object lookup each: 65 % of the strength estimate's time in a profile, and the
 * estimate is the largest cost of a create with a password after the hash. This replaces that loop
 * with one lookup per substring in a single index over the same dictionaries, built once, yielding
 * the same matches in the same order (a test compares both on a corpus). Levenshtein matching and
 * user-input dictionaries, which Roster does not use, keep the library's own loop.
 */
type Ranked = Record<string, number>;
interface Match {
  pattern: 'dictionary';
  i: number;
  j: number;
  token: string;
  matchedWord: string;
  rank: number;
  dictionaryName: string;
  reversed: false;
  l33t: false;
}
interface MatchOptions {
  password: string;
  userInputsOptions?: { rankedDictionary?: object };
  useLevenshtein?: boolean;
}
interface DictionaryMatcher {
  options: { useLevenshteinDistance: boolean; rankedDictionaries: Record<string, Ranked> };
  wordSequenceCheck?: boolean;
  getRangedDictionaries(userInputsOptions: unknown): {
    rankedDictionaries: Record<string, Ranked>;
    rankedDictionariesMaxWordSize: Record<string, number>;
  };
  match(options: MatchOptions): Match[];
}
/**
 * Every word of the dictionaries, sorted (by UTF-16 code units), and beside each where it is ranked,
 * packed as `dictionary number × 2^24 + rank` (a small integer, no object per word: the index holds about
 * 250,000 words), or a list of those for words in several dictionaries, in the matcher's dictionary order.
 * Sorted words let the matcher extend a substring one character at a time, narrowing the range of words
 * that start with it, and stop at the first character no word continues with: most substrings of a
 * password are never built or hashed. `names` and `longest` are by dictionary number.
 */
interface WordIndex {
  sorted: string[];
  ranks: (number | number[])[];
  names: string[];
  longest: number[];
  maxWidth: number;
}
const RANK_BITS = 2 ** 24;

const require = createRequire(import.meta.url);
// Built per dictionary set (the full one, and the word-sequence subset), shared by the matcher instances.
const indexes = new WeakMap<object, Map<boolean, WordIndex>>();

function buildIndex(ranked: Record<string, Ranked>, maxSizes: Record<string, number>): WordIndex {
  const words = new Map<string, number | number[]>();
  const names = Object.keys(ranked);
  names.forEach((name, n) => {
    const dictionary = ranked[name] as Ranked;
    for (const word of Object.keys(dictionary)) {
      const packed = n * RANK_BITS + (dictionary[word] as number);
      const entry = words.get(word);
      if (entry === undefined) words.set(word, packed);
      else if (typeof entry === 'number') words.set(word, [entry, packed]);
      else entry.push(packed);
    }
  });
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as the search below reads them.
  const sorted = [...words.keys()].sort();
  const ranks = sorted.map((word) => words.get(word) as number | number[]);
  return {
    sorted,
    ranks,
    names,
    longest: names.map((name) => maxSizes[name] ?? Infinity),
    maxWidth: Math.max(0, ...Object.values(maxSizes)),
  };
}

/**
 * In `sorted[lo, hi)`, whose words all start with the same `at` characters, the first word whose
 * character at `at` is at least `code` (a word of exactly `at` characters counts as below every code).
 */
function firstAtLeast(sorted: string[], lo: number, hi: number, at: number, code: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const word = sorted[mid] as string;
    if ((word.length > at ? word.charCodeAt(at) : -1) < code) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where `word` is in `sorted`, or -1. */
function indexOfWord(sorted: string[], word: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < word) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === word ? lo : -1;
}

function indexFor(matcher: DictionaryMatcher): WordIndex {
  const source = matcher.options.rankedDictionaries;
  let byKind = indexes.get(source);
  if (!byKind) indexes.set(source, (byKind = new Map()));
  const kind = matcher.wordSequenceCheck === true;
  let index = byKind.get(kind);
  if (!index) {
    const { rankedDictionaries, rankedDictionariesMaxWordSize } = matcher.getRangedDictionaries(undefined);
    index = buildIndex(rankedDictionaries, rankedDictionariesMaxWordSize);
    byKind.set(kind, index);
  }
  return index;
}

/**
 * The library's loop (every substring `i..j`, `j` ascending, each dictionary in order), with one search in
 * the index per substring instead of one lookup per dictionary, and no longer substrings from `i` once no
 * word starts with the current one.
 */
export function indexedMatch(matcher: DictionaryMatcher, password: string): Match[] {
  const { sorted, ranks, names, longest, maxWidth } = indexFor(matcher);
  const matches: Match[] = [];
  const lower = password.toLowerCase();
  const length = password.length;
  // Lower-casing never shortens a string in practice; if it ever did, the library's slices of `lower` would
  // clamp, so such a password takes the plain lookup of every substring (the same slices as the library).
  const prefixSearch = lower.length >= length;
  const add = (i: number, j: number, found: number) => {
    const entry = ranks[found] as number | number[];
    for (const packed of typeof entry === 'number' ? [entry] : entry) {
      const n = Math.floor(packed / RANK_BITS);
      // The library skips a dictionary for substrings longer than its longest word (as it measured it).
      if (j - i + 1 > (longest[n] as number)) continue;
      matches.push({
        pattern: 'dictionary',
        i,
        j,
        token: password.slice(i, j + 1),
        matchedWord: lower.slice(i, j + 1),
        rank: packed % RANK_BITS,
        dictionaryName: names[n] as string,
        reversed: false,
        l33t: false,
      });
    }
  };
  for (let i = 0; i < length; i += 1) {
    // sorted[lo, hi): the words that start with lower[i..j-1].
    let lo = 0;
    let hi = sorted.length;
    for (let j = i; j < length; j += 1) {
      // Past the longest word only the whole password could still match (the library checks it for Levenshtein).
      if (j - i + 1 > maxWidth) break;
      if (!prefixSearch) {
        const found = indexOfWord(sorted, lower.slice(i, j + 1));
        if (found >= 0) add(i, j, found);
        continue;
      }
      const at = j - i;
      const code = lower.charCodeAt(j);
      lo = firstAtLeast(sorted, lo, hi, at, code);
      hi = firstAtLeast(sorted, lo, hi, at, code + 1);
      // No word starts with lower[i..j], so none with a longer substring either.
      if (lo >= hi) break;
      // The word that is exactly lower[i..j], if any, sorts first among those starting with it.
      if ((sorted[lo] as string).length === at + 1) add(i, j, lo);
    }
  }
  return matches;
}

let installed = false;

/** Swaps the matcher's loop for the indexed one, where the options allow it. Idempotent. */
export function installDictionaryIndex(): void {
  if (installed) return;
  installed = true;
  const MatchDictionary = require('@zxcvbn-ts/core/dist/matcher/dictionary/matching.cjs') as { prototype: DictionaryMatcher };
  const original = MatchDictionary.prototype.match;
  MatchDictionary.prototype.match = function match(this: DictionaryMatcher, options: MatchOptions) {
    // The library always passes user inputs; an empty set of them adds an empty dictionary, which matches nothing.
    const userInputs = options.userInputsOptions?.rankedDictionary;
    if ((userInputs && Object.keys(userInputs).length > 0) || this.options.useLevenshteinDistance) return original.call(this, options);
    return indexedMatch(this, options.password);
  };
  (MatchDictionary.prototype as unknown as { libraryMatch: DictionaryMatcher['match'] }).libraryMatch = original;
}
