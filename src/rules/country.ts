import { createRequire } from 'node:module';
// The package's Node entry registers all of its ~80 languages when loaded (about 700 KiB of data); its
// plain entry registers none, and loadNames() adds the seven that are read.
import countries from 'i18n-iso-countries/index.js';
import { countryCode } from './locale.js';

const require = createRequire(import.meta.url);

// Names in the languages clients of the seed contracts write in (the products are sold in these); the
// package is the maintained ISO 3166-1 list, so new or renamed countries come with an update of it.
let namesLoaded = false;
function loadNames(): void {
  if (namesLoaded) return;
  for (const lang of ['en', 'fr', 'de', 'es', 'it', 'pt', 'nl']) countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
  namesLoaded = true;
}

/**
 * ISO 3166-1 alpha-2 code of a country given as an alpha-2 or alpha-3 code, a numeric code, or its name
 * (official or common, any case, in English, French, German, Spanish, Italian, Portuguese or Dutch):
 * `France`, `FRA`, `fr`, `250` → `FR`. Undefined when nothing matches.
 */
export function countryFromAny(input: string): string | undefined {
  const text = input.trim();
  if (text === '' || text.length > 100) return undefined;
  const alpha2 = countryCode(text);
  if (alpha2) return alpha2;
  if (/^[A-Za-z]{3}$/.test(text)) {
    const code = countries.alpha3ToAlpha2(text.toUpperCase());
    if (code) return code;
  }
  if (/^\d{3}$/.test(text)) return countries.numericToAlpha2(text) ?? undefined;
  loadNames();
  for (const lang of ['en', 'fr', 'de', 'es', 'it', 'pt', 'nl']) {
    const code = countries.getAlpha2Code(text, lang) ?? countries.getSimpleAlpha2Code(text, lang);
    if (code) return code;
  }
  return undefined;
}

type PhoneMetadata = { country_calling_codes: Record<string, string[]> };
let callingCodes: Record<string, string[]> | undefined;

/**
 * The region of a dialing code (`+33`, `0033`, `33` → `FR`): the main country of that calling code as
 * libphonenumber's metadata lists it first (`+1` → `US`, `+44` → `GB`). Undefined for an unknown code.
 */
export function regionOfDialingCode(input: string): string | undefined {
  const match = /^\s*(?:\+|00)?\s*(\d{1,3})\s*$/.exec(input);
  if (!match) return undefined;
  callingCodes ??= (require('libphonenumber-js/metadata.min.json') as PhoneMetadata).country_calling_codes;
  return callingCodes[match[1] as string]?.[0];
}

/** A region for phone numbers from a country code, name or dialing code, or undefined. */
export function phoneRegionFromAny(input: string): string | undefined {
  return countryFromAny(input) ?? regionOfDialingCode(input);
}
