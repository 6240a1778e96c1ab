import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** E.164 form of a phone number (`+14155550123`), or undefined when it is not a valid number. Needs a `+` country code. */
export function normalizePhone(input: string): string | undefined {
  const parsed = parsePhoneNumberFromString(input.trim());
  return parsed?.isValid() ? parsed.number : undefined;
}
