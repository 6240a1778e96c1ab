/**
 * Code points that render as nothing: the Unicode property Default_Ignorable_Code_Point (soft hyphen,
 * combining grapheme joiner, zero-width and bidi controls, variation selectors, tags, and the Hangul
 * fillers U+115F, U+1160, U+3164, U+FFA0, which are letters and so pass `\p{L}`), plus the blank
 * Braille pattern U+2800. Identifiers made with them look like other identifiers (`admin\u3164` is
 * `admin` on screen), and IDNA drops several of them silently from domains. PRECIS (RFC 8264 §9.13)
 * disallows them in identifiers; Roster refuses them in new usernames and emails and removes them
 * when folding a presented login for look-up. The property list is the engine's (V8's Unicode
 * tables), so it follows Unicode versions without a hand-kept range list.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u2800]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

export function hasInvisible(text: string): boolean {
  return INVISIBLE.test(text);
}

export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE_ALL, '');
}
