import { RE2JS } from 're2js';
import type { FieldErrorCode } from '../errors/codes.js';

/**
 * Regular expressions written by tenant admins (`username.pattern` in settings, the `pattern` of an
 * attribute definition) run on RE2 (re2js), never on JavaScript's backtracking engine: a pattern like
 * `^(a+)+$` costs time linear in the text, not exponential. docs/security.md (hostile input) has the class.
 *
 * Syntax stays what the API documents: a JavaScript regular expression in Unicode mode (`u`), tested
 * unanchored like `RegExp.prototype.test` (anchor with `^…$`). What RE2 cannot run in linear time is
 * refused when the pattern is saved: backreferences (`\1`, `\k<name>`), lookahead and lookbehind, repeat
 * counts above 1000, and patterns whose compiled program exceeds MAX_PATTERN_PROGRAM instructions.
 *
 * Linear is not free: re2js's worst case is about 50-100 ns per character per program instruction. So
 * each evaluation is charged `text length × program size` against a PatternBudget; a caller checking
 * several texts (every attribute of one user) shares one budget, which bounds the work one request can ask for.
 */

/** Longest pattern accepted (the settings and attribute schemas use the same bound). */
export const MAX_PATTERN_LENGTH = 200;
/** Most RE2 program instructions (the default username pattern has 129; `^.{0,255}$` has 514). */
export const MAX_PATTERN_PROGRAM = 1000;
/** Work units (characters × instructions) one budget allows: at most about 0.1-0.2 s of matching. */
export const PATTERN_BUDGET_UNITS = 2_000_000;
/** Compiled patterns kept (per process, shared by tenants); the least recently used are dropped. */
const CACHE_SIZE = 1000;

/** What is wrong with a pattern: a field code and a message that never repeats more than the (bounded) pattern. */
export interface PatternProblem {
  code: Extract<FieldErrorCode, 'PATTERN_INVALID' | 'PATTERN_UNSUPPORTED' | 'FIELD_TOO_LONG'>;
  message: string;
}

type Compiled = { ok: true; regex: RE2JS; size: number } | { ok: false; problem: PatternProblem };

/** JavaScript's `\s` (WhiteSpace and LineTerminator), for RE2 whose `\s` is ASCII only. */
const JS_SPACE = String.raw`\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}`;
/** Its complement, spelled as ranges so that it also works inside a class (`[\S-]`). */
const JS_NON_SPACE = String.raw`\x{0}-\x{8}\x{E}-\x{1F}\x{21}-\x{9F}\x{A1}-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}`;
/** JavaScript's `.` without the `s` flag: anything but a line terminator (RE2's `.` only skips `\n`). */
const JS_DOT = String.raw`[^\n\r\x{2028}\x{2029}]`;

/** Unicode general categories by their long names (JavaScript accepts both), as RE2 spells them. */
const CATEGORY_ALIASES: Record<string, string> = {
  Letter: 'L',
  Uppercase_Letter: 'Lu',
  Lowercase_Letter: 'Ll',
  Titlecase_Letter: 'Lt',
  Modifier_Letter: 'Lm',
  Other_Letter: 'Lo',
  Mark: 'M',
  Combining_Mark: 'M',
  Nonspacing_Mark: 'Mn',
  Spacing_Mark: 'Mc',
  Enclosing_Mark: 'Me',
  Number: 'N',
  Decimal_Number: 'Nd',
  digit: 'Nd',
  Letter_Number: 'Nl',
  Other_Number: 'No',
  Punctuation: 'P',
  punct: 'P',
  Connector_Punctuation: 'Pc',
  Dash_Punctuation: 'Pd',
  Open_Punctuation: 'Ps',
  Close_Punctuation: 'Pe',
  Initial_Punctuation: 'Pi',
  Final_Punctuation: 'Pf',
  Other_Punctuation: 'Po',
  Symbol: 'S',
  Math_Symbol: 'Sm',
  Currency_Symbol: 'Sc',
  Modifier_Symbol: 'Sk',
  Other_Symbol: 'So',
  Separator: 'Z',
  Space_Separator: 'Zs',
  Line_Separator: 'Zl',
  Paragraph_Separator: 'Zp',
  Other: 'C',
  Control: 'Cc',
  cntrl: 'Cc',
  Format: 'Cf',
  Private_Use: 'Co',
  Surrogate: 'Cs',
};

const unsupported = (message: string): PatternProblem => ({ code: 'PATTERN_UNSUPPORTED', message });
const BACKREFERENCE = unsupported('Backreferences (\\1, \\k<name>) are not supported: patterns run on a linear-time (RE2) engine');
const LOOKAROUND = unsupported(
  'Lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported: patterns run on a linear-time (RE2) engine',
);

function hex(codePoint: number): string {
  return `\\x{${codePoint.toString(16).toUpperCase()}}`;
}

function propertyName(body: string): string {
  const eq = body.indexOf('=');
  if (eq < 0) return CATEGORY_ALIASES[body] ?? body;
  const [key, value] = [body.slice(0, eq), body.slice(eq + 1)];
  if (key === 'General_Category' || key === 'gc') return CATEGORY_ALIASES[value] ?? value;
  // Script values are RE2's script names (long form: Greek, not Grek); Script_Extensions has no RE2 form.
  return key === 'Script' || key === 'sc' ? value : body;
}

/**
 * A pattern already accepted by `new RegExp(pattern, 'u')`, in RE2 syntax with the same meaning, or the
 * reason it has no RE2 form. Only what u-mode allows needs handling (it has no identity escapes of letters).
 */
function toRe2(pattern: string): { source: string } | { problem: PatternProblem } {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (n === 'u') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          out += hex(parseInt(pattern.slice(i + 3, end), 16));
          i = end + 1;
          continue;
        }
        const unit = parseInt(pattern.slice(i + 2, i + 6), 16);
        const low = pattern.startsWith('\\u', i + 6) ? parseInt(pattern.slice(i + 8, i + 12), 16) : NaN;
        if (unit >= 0xd800 && unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          out += hex((unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000);
          i += 12;
        } else {
          out += hex(unit);
          i += 6;
        }
      } else if (n === 'c') {
        out += hex(pattern.charCodeAt(i + 2) % 32);
        i += 3;
      } else if (n === '0') {
        out += hex(0);
        i += 2;
      } else if (n === 'k' || (n >= '1' && n <= '9')) {
        return { problem: BACKREFERENCE };
      } else if (n === 's') {
        out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
        i += 2;
      } else if (n === 'S') {
        out += inClass ? JS_NON_SPACE : `[${JS_NON_SPACE}]`;
        i += 2;
      } else if (n === 'b' && inClass) {
        out += hex(8);
        i += 2;
      } else if (n === 'p' || n === 'P') {
        const end = pattern.indexOf('}', i + 3);
        out += `\\${n}{${propertyName(pattern.slice(i + 3, end))}}`;
        i = end + 1;
      } else {
        out += c + n;
        i += 2;
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i += 1;
    } else if (c === '[') {
      // JavaScript's `[]` matches nothing and `[^]` anything; in RE2 a leading `]` is a member.
      if (pattern.startsWith('[]', i)) {
        out += '[^\\x{0}-\\x{10FFFF}]';
        i += 2;
      } else if (pattern.startsWith('[^]', i)) {
        out += '[\\x{0}-\\x{10FFFF}]';
        i += 3;
      } else {
        inClass = true;
        out += c;
        i += 1;
      }
    } else if (c === '.') {
      out += JS_DOT;
      i += 1;
    } else if (c === '(' && /^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) {
      return { problem: LOOKAROUND };
    } else {
      out += c;
      i += 1;
    }
  }
  return { source: out };
}

function compile(pattern: string): Compiled {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, problem: { code: 'FIELD_TOO_LONG', message: `A pattern may have at most ${MAX_PATTERN_LENGTH} characters` } };
  }
  try {
    // Only parses (nothing is matched): the pattern must be what the API documents, a `u`-mode RegExp.
    new RegExp(pattern, 'u');
  } catch (error) {
    return {
      ok: false,
      problem: {
        code: 'PATTERN_INVALID',
        message: `Not a valid regular expression (JavaScript, Unicode mode): ${(error as Error).message}`,
      },
    };
  }
  const translated = toRe2(pattern);
  if ('problem' in translated) return { ok: false, problem: translated.problem };
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(translated.source);
  } catch (error) {
    // RE2's messages quote only the offending part of the (bounded) pattern.
    return {
      ok: false,
      problem: unsupported(
        `Not supported by the linear-time (RE2) engine: ${(error as Error).message.replace(/^error parsing regexp: /, '')}`,
      ),
    };
  }
  const size = regex.programSize();
  if (size > MAX_PATTERN_PROGRAM) {
    return {
      ok: false,
      problem: unsupported(
        `The pattern is too complex: it compiles to ${size} instructions, at most ${MAX_PATTERN_PROGRAM} are allowed (lower the repeat counts)`,
      ),
    };
  }
  return { ok: true, regex, size };
}

const cache = new Map<string, Compiled>();
const warned = new Set<string>();

function compiled(pattern: string): Compiled {
  let entry = cache.get(pattern);
  if (entry) {
    // Map order is insertion order: re-inserting makes it the most recently used.
    cache.delete(pattern);
  } else {
    entry = compile(pattern);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(pattern, entry);
  return entry;
}

/** Checks a pattern about to be stored: undefined when RE2 can evaluate it, else why not. */
export function checkTenantPattern(pattern: string): PatternProblem | undefined {
  const entry = compiled(pattern);
  return entry.ok ? undefined : entry.problem;
}

/** Work allowed for a run of evaluations (one username, or every attribute of one user). */
export class PatternBudget {
  constructor(private remaining = PATTERN_BUDGET_UNITS) {}

  /** Takes `units` if that many are left. */
  spend(units: number): boolean {
    if (units > this.remaining) return false;
    this.remaining -= units;
    return true;
  }
}

/**
 * `match` / `no-match`; `too-long` when the text would exceed the budget (nothing is evaluated);
 * `unusable` for a stored pattern RE2 cannot evaluate (saved before patterns were checked this way),
 * reported once per pattern as a process warning.
 */
export type PatternResult = 'match' | 'no-match' | 'too-long' | 'unusable';

/** Tests `text` against a tenant pattern (unanchored, like RegExp.prototype.test) in linear time. */
export function testTenantPattern(pattern: string, text: string, budget: PatternBudget = new PatternBudget()): PatternResult {
  const entry = compiled(pattern);
  if (!entry.ok) {
    if (!warned.has(pattern) && warned.size < CACHE_SIZE) {
      warned.add(pattern);
      process.emitWarning(
        `A stored tenant pattern cannot be evaluated and fails every check until an admin changes it: ${JSON.stringify(pattern)} (${entry.problem.message})`,
        { code: 'ROSTER_PATTERN_UNUSABLE' },
      );
    }
    return 'unusable';
  }
  if (!budget.spend((text.length + 1) * entry.size)) return 'too-long';
  // matcher().find() runs the NFA (or one-pass/backtracker on small inputs); test() would start with the
  // DFA, which on state-explosive patterns costs several times more per character before it gives up.
  return entry.regex.matcher(text).find() ? 'match' : 'no-match';
}

/** How many characters a fresh budget lets one evaluation of `pattern` check (for messages). */
export function patternTextLimit(pattern: string): number {
  const entry = compiled(pattern);
  return entry.ok ? Math.floor(PATTERN_BUDGET_UNITS / entry.size) - 1 : 0;
}
