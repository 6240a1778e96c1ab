import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * E.164 form of a phone number (`+14155550123`), or undefined when it is not a valid number. Spaces,
 * dashes and brackets are accepted; a number without `+country code` needs `region`.
 */
export function normalizePhone(input: string, region?: string | null): string | undefined {
  const parsed = parsePhoneNumberFromString(input.trim(), region ? { defaultCountry: region as CountryCode } : undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** The region (ISO 3166-1 alpha-2) an E.164 number belongs to, when it belongs to one. */
export function phoneRegion(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}
