import { fieldError, type FieldError } from '../../errors/app-error.js';
import { checkEmailDomain, normalizeEmail } from '../../rules/email.js';
import { calendarDate, todayUtc } from '../../rules/dates.js';
import { canonicalLocale, canonicalTimezone, countryCode } from '../../rules/locale.js';
import { checkPassword } from '../../rules/password.js';
import { countryFromAny, phoneRegionFromAny } from '../../rules/country.js';
import { normalizePhone } from '../../rules/phone.js';
import { ianaOfWindowsZone } from '../../rules/windows-zones.js';
import { checkUsername, usernameKey } from '../../rules/username.js';
import { isProhibitedPersonName } from '../../rules/person-name.js';
import type { PersonNameField, TenantSettings } from '../settings/settings.schemas.js';
import type { Address } from './user.schemas.js';

/** The profile a caller asks for, after a create body or a merged patch; no fields that need I/O to check. */
export interface UserDraft {
  email?: string | undefined;
  username?: string | undefined;
  /** A new plaintext password to check (never an imported hash). */
  password?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  displayName?: string | undefined;
  nickname?: string | undefined;
  bio?: string | undefined;
  phone?: string | undefined;
  /** Region for a phone number written without `+country code`; not stored. */
  phoneCountry?: string | undefined;
  locale?: string | undefined;
  timezone?: string | undefined;
  address?: Address | undefined;
  position?: string | undefined;
  arrivalDate?: string | undefined;
  departureDate?: string | undefined;
  dateOfBirth?: string | undefined;
  cityOfBirth?: string | undefined;
  countryOfBirth?: string | undefined;
  externalId?: string | undefined;
  userType?: string | undefined;
  pictureUrl?: string | undefined;
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
  position: string | null;
  arrivalDate: string | null;
  departureDate: string | null;
  dateOfBirth: string | null;
  cityOfBirth: string | null;
  countryOfBirth: string | null;
  externalId: string | null;
  userType: string | null;
  pictureUrl: string | null;
}

/**
 * Members a contract's seed types as a free string with no rule (docs/contracts/README.md): the rule
 * normalises what it can (E.164, ISO 3166-1 alpha-2 from names and alpha-3 codes, IANA from Windows zone
 * names, a region from a dialing code) and keeps what it cannot as sent, instead of refusing it.
 */
export type FreeTextField = 'phone' | 'phoneCountry' | 'timezone' | 'addressCountry' | 'countryOfBirth' | 'locale';
export const FREE_TEXT_FIELDS: readonly FreeTextField[] = [
  'phone',
  'phoneCountry',
  'timezone',
  'addressCountry',
  'countryOfBirth',
  'locale',
];

export interface ProfileOptions {
  /** Fields held to the free-string rule above rather than refused when not normalisable. */
  asSent?: ReadonlySet<FreeTextField>;
}

/**
 * The free-text fields whose value a merged patch leaves as stored: a value the create kept as sent
 * (a contract's free string) is not judged again by a later update that does not change it.
 */
export function unchangedFreeText(draft: UserDraft, stored: UserDraft): Set<FreeTextField> {
  const same = new Set<FreeTextField>();
  if (draft.phone === stored.phone && draft.phoneCountry === undefined) same.add('phone');
  if (draft.timezone === stored.timezone) same.add('timezone');
  if (draft.address?.country === stored.address?.country) same.add('addressCountry');
  if (draft.countryOfBirth === stored.countryOfBirth) same.add('countryOfBirth');
  if (draft.locale === stored.locale) same.add('locale');
  return same;
}

const optionalText = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

function optionalDate(value: string | undefined, path: string, errors: FieldError[]): string | null {
  const text = optionalText(value);
  if (text === null) return null;
  const date = calendarDate(text);
  if (!date) errors.push(fieldError(path, 'DATE_INVALID'));
  return date ?? null;
}

function optionalUrl(value: string | undefined, path: string, errors: FieldError[]): string | null {
  const text = optionalText(value);
  if (text === null) return null;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) errors.push(fieldError(path, 'URL_INVALID'));
  return url?.href ?? text;
}

function optionalCountry(value: string | undefined, path: string, errors: FieldError[], asSent = false): string | null {
  const text = optionalText(value);
  if (text === null) return null;
  if (asSent) return countryFromAny(text) ?? text;
  const code = countryCode(text);
  if (!code) errors.push(fieldError(path, 'COUNTRY_INVALID'));
  return code ?? null;
}

/**
 * A person name under the tenant's names policy: trimmed, refused blank when required, refused when it
 * holds a prohibited character (also URL-encoded), one rule for every path (rules/person-name.ts).
 */
function personName(draft: UserDraft, field: PersonNameField, policy: TenantSettings['names'], errors: FieldError[]): string | null {
  const name = optionalText(draft[field]);
  if (name === null) {
    if (policy.required.includes(field)) errors.push(fieldError(`/${field}`, 'FIELD_REQUIRED', `${field} is required and cannot be blank`));
    return null;
  }
  if (isProhibitedPersonName(name, policy.prohibitedCharacters)) {
    errors.push(
      fieldError(
        `/${field}`,
        'NAME_INVALID',
        `${field} holds a character names may not have (one of ${policy.prohibitedCharacters || 'the control characters'}, also URL-encoded)`,
      ),
    );
  }
  return name;
}

/**
 * Email and username. A blank one (empty or whitespace) means none, as for every optional text field
 * (optionalText): `email: ""` is "no email", as Keycloak reads it, where the tenant lets a user be
 * without one. Where the email is the username (`username.emailAsUsername`) it is required: FIELD_REQUIRED.
 */
function prepareIdentity(draft: UserDraft, settings: TenantSettings, errors: FieldError[]) {
  const sentEmail = optionalText(draft.email) ?? undefined;
  const sentUsername = optionalText(draft.username) ?? undefined;
  const email = sentEmail === undefined ? undefined : normalizeEmail(sentEmail);
  if (sentEmail !== undefined && !email) errors.push(fieldError('/email', 'EMAIL_INVALID'));
  if (email) {
    const domainError = checkEmailDomain(email.normalized, settings.email);
    if (domainError) errors.push(fieldError('/email', domainError));
  }

  let username = sentUsername?.normalize('NFC');
  if (settings.username.emailAsUsername) {
    if (sentEmail === undefined)
      errors.push(fieldError('/email', 'FIELD_REQUIRED', 'email is required: in this tenant the email is the username'));
    // The email is the username; a different one sent alongside is a mistake worth reporting.
    if (username !== undefined && (!email || usernameKey(username) !== email.normalized))
      errors.push(fieldError('/username', 'USERNAME_MUST_BE_EMAIL'));
    username = email?.display;
  } else {
    if (username !== undefined) {
      const usernameError = checkUsername(username, settings.username);
      if (usernameError) errors.push(fieldError('/username', usernameError));
    }
    if (sentEmail === undefined && sentUsername === undefined) errors.push(fieldError('/email', 'IDENTIFIER_REQUIRED'));
  }
  return { email, username };
}

/**
 * Validates and normalises every profile field of a draft under the tenant's policies, collecting
 * all field errors at once. This is the one place these rules run: create, update, batch and every
 * adapter go through it.
 */
export function prepareProfile(
  draft: UserDraft,
  settings: TenantSettings,
  options: ProfileOptions = {},
): { profile: PreparedProfile; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const free = (field: FreeTextField) => options.asSent?.has(field) === true;
  const { email, username } = prepareIdentity(draft, settings, errors);
  if (draft.password !== undefined) errors.push(...checkPassword(draft.password, settings.password, { username, email: email?.display }));

  const phone = optionalText(draft.phone);
  const sentRegion = optionalText(draft.phoneCountry);
  const region =
    draft.phoneCountry === undefined
      ? settings.defaultPhoneRegion
      : free('phoneCountry')
        ? ((sentRegion === null ? undefined : phoneRegionFromAny(sentRegion)) ?? settings.defaultPhoneRegion)
        : optionalCountry(draft.phoneCountry, '/phoneCountry', errors);
  const e164 = phone === null ? null : (normalizePhone(phone, region) ?? (free('phone') ? phone : undefined));
  if (phone !== null && !e164) errors.push(fieldError('/phone', 'PHONE_INVALID'));

  // A blank free-text locale is an omitted one: the tenant default.
  const sentLocale = (free('locale') && optionalText(draft.locale) === null ? undefined : draft.locale) ?? settings.defaultLocale;
  // As free text: POSIX spellings (`fr_FR`, `en_US.UTF-8`) read as BCP 47, anything else kept as sent.
  const locale =
    canonicalLocale(sentLocale) ??
    (free('locale')
      ? (canonicalLocale(
          sentLocale
            .trim()
            .replace(/\.[\w-]+$/, '')
            .replaceAll('_', '-'),
        ) ??
        optionalText(sentLocale) ??
        undefined)
      : undefined);
  if (!locale) errors.push(fieldError('/locale', 'LOCALE_INVALID'));
  const sentZone = draft.timezone ?? settings.defaultTimezone;
  const timezone =
    canonicalTimezone(sentZone) ??
    (free('timezone') ? (ianaOfWindowsZone(sentZone) ?? (optionalText(sentZone) === null ? undefined : sentZone.trim())) : undefined);
  if (!timezone) errors.push(fieldError('/timezone', 'TIMEZONE_INVALID'));

  let address: Address | null = null;
  if (draft.address !== undefined) {
    address = Object.fromEntries(
      Object.entries(draft.address).flatMap(([k, v]) => (optionalText(v) === null ? [] : [[k, optionalText(v)]])),
    );
    if (address.country !== undefined)
      address.country = optionalCountry(address.country, '/address/country', errors, free('addressCountry')) ?? address.country;
    if (Object.keys(address).length === 0) address = null;
  }

  const arrivalDate = optionalDate(draft.arrivalDate, '/arrivalDate', errors);
  const departureDate = optionalDate(draft.departureDate, '/departureDate', errors);
  if (arrivalDate && departureDate && departureDate < arrivalDate) errors.push(fieldError('/departureDate', 'DATE_RANGE_INVALID'));
  const dateOfBirth = optionalDate(draft.dateOfBirth, '/dateOfBirth', errors);
  if (dateOfBirth && dateOfBirth > todayUtc()) errors.push(fieldError('/dateOfBirth', 'DATE_IN_FUTURE'));

  return {
    errors,
    profile: {
      email: email?.display ?? null,
      emailNormalized: email?.normalized ?? null,
      username: username ?? null,
      usernameNormalized: username ? usernameKey(username) : null,
      givenName: personName(draft, 'givenName', settings.names, errors),
      familyName: personName(draft, 'familyName', settings.names, errors),
      displayName: personName(draft, 'displayName', settings.names, errors),
      nickname: personName(draft, 'nickname', settings.names, errors),
      bio: optionalText(draft.bio),
      phone: e164 ?? null,
      locale: locale ?? '',
      timezone: timezone ?? '',
      address,
      position: optionalText(draft.position),
      arrivalDate,
      departureDate,
      dateOfBirth,
      cityOfBirth: optionalText(draft.cityOfBirth),
      countryOfBirth: optionalCountry(draft.countryOfBirth, '/countryOfBirth', errors, free('countryOfBirth')),
      externalId: optionalText(draft.externalId),
      userType: optionalText(draft.userType),
      pictureUrl: optionalUrl(draft.pictureUrl, '/pictureUrl', errors),
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

/** The scope of claims that make a value one user's alone in the tenant (UserIdentifierTable.scope). */
export const TENANT_SCOPE = '';

/**
 * Where a user's identifiers are claimed: tenant-wide, or (a deactivated user, where the tenant's
 * `users.uniqueAmong` is `active`) in the user's own scope, where they block nobody.
 */
export function identifierScope(policy: Pick<TenantSettings['users'], 'uniqueAmong'>, user: { id: string; active: boolean }): string {
  return claimsTenantWide(policy, user.active) ? TENANT_SCOPE : user.id;
}

/** Whether a user, active or not, holds its email and username against every other user of the tenant. */
export function claimsTenantWide(policy: Pick<TenantSettings['users'], 'uniqueAmong'>, active: boolean): boolean {
  return active || policy.uniqueAmong !== 'active';
}
