import { memoized } from './memo.js';

// Intl.getCanonicalLocales and Intl.DisplayNames.of cost microseconds per call (2.8 % of an import's CPU
// in a profile, one call per row); the tags and codes a tenant's users carry are few, so answers are kept.

/** Canonical BCP 47 form of a language tag (`en-us` → `en-US`), or undefined when it is not one. */
export const canonicalLocale: (input: string) => string | undefined = memoized(1000, (input) => {
  try {
    const [canonical] = Intl.getCanonicalLocales(input);
    return canonical;
  } catch {
    return undefined;
  }
});

// Building an Intl.DateTimeFormat costs tens of microseconds (4.5 % of a create's CPU in a profile);
// zones are few, so answers are kept.
const zones = new Map<string, string | undefined>();

/** The IANA name of a time zone as the runtime spells it, or undefined when the zone is unknown. */
export function canonicalTimezone(input: string): string | undefined {
  if (input.trim() === '' || input.length > 64) return undefined;
  // The default zone of every tenant: answering it without ICU keeps the time-zone data (about 6 MiB of
  // the node binary's pages) out of memory until a zone other than UTC is given.
  if (input === 'UTC') return 'UTC';
  if (zones.has(input)) return zones.get(input);
  let zone: string | undefined;
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZone: input }).resolvedOptions().timeZone;
  } catch {
    zone = undefined;
  }
  if (zones.size < 10_000) zones.set(input, zone);
  return zone;
}

// Built on first use: constructing it maps ICU's region data into memory (about 6 MiB of an idle server).
let regionNames: Intl.DisplayNames | undefined;

const knownRegion = memoized(1000, (code) => {
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  return regionNames.of(code) !== undefined;
});

/** Upper-cased ISO 3166-1 alpha-2 code, or undefined when the runtime's ICU data does not know it. */
export function countryCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) return undefined;
  return knownRegion(code) ? code : undefined;
}
