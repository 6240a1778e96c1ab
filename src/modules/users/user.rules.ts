import { fieldError, type FieldError } from '../../errors/app-error.js';
import { normalizeEmail } from '../../rules/email.js';
import { canonicalLocale, canonicalTimezone, countryCode } from '../../rules/locale.js';
import { checkPassword } from '../../rules/password.js';
import { normalizePhone } from '../../rules/phone.js';
import { usernameKey, validateUsername } from '../../rules/username.js';
import type { Address } from './user.schemas.js';

/** The profile a caller asks for, after a create body or a merged patch; no I/O-dependent fields. */
export interface UserDraft {
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  displayName?: string | undefined;
  nickname?: string | undefined;
  bio?: string | undefined;
  phone?: string | undefined;
  locale?: string | undefined;
  timezone?: string | undefined;
  address?: Address | undefined;
  externalId?: string | undefined;
  attributes?: object | undefined;
}

export interface PreparedProfile {
  email: string | null;
  emailNormalized: string | null;
  username: string | null;
  usernameNormalized: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  nickname: string | null;
  bio: string | null;
  phone: string | null;
  locale: string;
  timezone: string;
  address: Address | null;
  externalId: string | null;
  attributes: Record<string, unknown>;
}

export interface TenantDefaults {
  locale: string;
  timezone: string;
}

const optionalText = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/**
 * Validates and normalises every profile field of a draft, collecting all field errors at once.
 * This is the one place these rules run: single create, update, and every adapter go through it.
 */
export function prepareProfile(draft: UserDraft, defaults: TenantDefaults): { profile: PreparedProfile; errors: FieldError[] } {
  const errors: FieldError[] = [];

  const email = draft.email === undefined ? undefined : normalizeEmail(draft.email);
  if (draft.email !== undefined && !email) errors.push(fieldError('/email', 'EMAIL_INVALID'));

  const username = draft.username === undefined ? undefined : validateUsername(draft.username);
  if (draft.username !== undefined && !username) errors.push(fieldError('/username', 'USERNAME_INVALID'));

  if (draft.email === undefined && draft.username === undefined) errors.push(fieldError('/email', 'IDENTIFIER_REQUIRED'));
  if (draft.password !== undefined) errors.push(...checkPassword(draft.password));

  const phone = optionalText(draft.phone);
  const e164 = phone === null ? null : normalizePhone(phone);
  if (phone !== null && !e164) errors.push(fieldError('/phone', 'PHONE_INVALID'));

  const locale = canonicalLocale(draft.locale ?? defaults.locale);
  if (!locale) errors.push(fieldError('/locale', 'LOCALE_INVALID'));
  const timezone = canonicalTimezone(draft.timezone ?? defaults.timezone);
  if (!timezone) errors.push(fieldError('/timezone', 'TIMEZONE_INVALID'));

  let address: Address | null = null;
  if (draft.address !== undefined) {
    address = Object.fromEntries(Object.entries(draft.address).flatMap(([k, v]) => (optionalText(v) === null ? [] : [[k, optionalText(v)]])));
    if (address.country !== undefined) {
      const country = countryCode(address.country);
      if (country) address.country = country;
      else errors.push(fieldError('/address/country', 'COUNTRY_INVALID'));
    }
    if (Object.keys(address).length === 0) address = null;
  }

  return {
    errors,
    profile: {
      email: email?.display ?? null,
      emailNormalized: email?.normalized ?? null,
      username: username ?? null,
      usernameNormalized: username ? usernameKey(username) : null,
      givenName: optionalText(draft.givenName),
      familyName: optionalText(draft.familyName),
      displayName: optionalText(draft.displayName),
      nickname: optionalText(draft.nickname),
      bio: optionalText(draft.bio),
      phone: e164 ?? null,
      locale: locale ?? '',
      timezone: timezone ?? '',
      address,
      externalId: optionalText(draft.externalId),
      attributes: (draft.attributes ?? {}) as Record<string, unknown>,
    },
  };
}

export interface IdentifierClaim {
  value: string;
  /** Fields holding this value: a user whose username equals its own email holds one identifier. */
  fields: Array<'email' | 'username'>;
}

/** The identifiers a profile holds in the tenant's shared email/username namespace. */
export function identifiersOf(profile: Pick<PreparedProfile, 'emailNormalized' | 'usernameNormalized'>): IdentifierClaim[] {
  const claims: IdentifierClaim[] = [];
  if (profile.emailNormalized) claims.push({ value: profile.emailNormalized, fields: ['email'] });
  if (profile.usernameNormalized) {
    const same = claims.find((c) => c.value === profile.usernameNormalized);
    if (same) same.fields.push('username');
    else claims.push({ value: profile.usernameNormalized, fields: ['username'] });
  }
  return claims;
}
