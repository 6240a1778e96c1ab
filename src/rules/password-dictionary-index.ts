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
interface Match { pattern: 'dictionary'; i: number; j: number; token: string; matchedWord: string; rank: number; dictionaryName: string; reversed: false; l33t: false }
interface MatchOptions { password: string; userInputsOptions?: { rankedDictionary?: object }; useLevenshtein?: boolean }
interface DictionaryMatcher {
  options: { useLevenshteinDistance: boolean; rankedDictionaries: Record<string, Ranked> };
  wordSequenceCheck?: boolean;
  getRangedDictionaries(userInputsOptions: unknown): { rankedDictionaries: Record<string, Ranked>; rankedDictionariesMaxWordSize: Record<string, number> };
  match(options: MatchOptions): Match[];
}
/** Word → the dictionaries holding it (in the matcher's dictionary order), its rank and that dictionary's longest word. */
interface WordIndex { words: Map<string, Array<[string, number, number]>>; maxWidth: number }

const require = createRequire(import.meta.url);
// Built per dictionary set (the full one, and the word-sequence subset), shared by the matcher instances.
const indexes = new WeakMap<object, Map<boolean, WordIndex>>();

function buildIndex(ranked: Record<string, Ranked>, maxSizes: Record<string, number>): WordIndex {
  const words = new Map<string, Array<[string, number, number]>>();
  for (const [name, dictionary] of Object.entries(ranked)) {
    const longest = maxSizes[name] ?? Infinity;
    for (const word of Object.keys(dictionary)) {
      const found: [string, number, number] = [name, dictionary[word] as number, longest];
      const entry = words.get(word);
      if (entry) entry.push(found);
      else words.set(word, [found]);
    }
  }
  return { words, maxWidth: Math.max(0, ...Object.values(maxSizes)) };
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

/** The library's loop, with one index lookup per substring instead of one per dictionary. */
export function indexedMatch(matcher: DictionaryMatcher, password: string): Match[] {
  const { words, maxWidth } = indexFor(matcher);
  const matches: Match[] = [];
  const lower = password.toLowerCase();
  const length = password.length;
  for (let i = 0; i < length; i += 1) {
    for (let j = i; j < length; j += 1) {
      // Past the longest word only the whole password could still match (the library checks it for Levenshtein).
      if (j - i + 1 > maxWidth) break;
      const entries = words.get(lower.slice(i, j + 1));
      if (!entries) continue;
      for (const [dictionaryName, rank, longest] of entries) {
        // The library skips a dictionary for substrings longer than its longest word (as it measured it).
        if (j - i + 1 > longest) continue;
        matches.push({ pattern: 'dictionary', i, j, token: password.slice(i, j + 1), matchedWord: lower.slice(i, j + 1), rank, dictionaryName, reversed: false, l33t: false });
      }
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
