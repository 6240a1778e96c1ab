import { api } from './api.js';

/**
 * Hints written for the people using the page. The API's schema descriptions are written for
 * programmers (backticks, error codes, endpoint paths); the user form uses these words instead, and
 * any other description is shown without its code markup.
 */
export const USER_HINTS: Record<string, string> = {
  email: 'An email address such as ada@example.com. Leave empty for a user without email.',
  password: 'At least the length this tenant requires. It is stored only as a hash and never shown again.',
  phone: 'With the country code, e.g. +44 20 7946 0958.',
  phoneCountry: 'Two-letter country (e.g. FR) of a phone number written without its country code.',
  locale: 'Language and region, e.g. en-GB. Empty means the tenant default.',
  timezone: 'A time zone such as Europe/Paris. Empty means the tenant default.',
  // A new user sent without roles gets the tenant's default roles (users.defaultRoles), not a fixed one.
  roles: 'What the user may do. A new user created with none picked gets this tenant’s default roles (Settings → Policies).',
  groups: 'Groups the user belongs to.',
  active: 'An inactive user cannot sign in.',
  generatePassword: 'Create a strong random password, shown once after saving.',
  sendWelcomeEmail: 'Mail a welcome message (with a link to choose a password when none is set).',
  sendVerificationEmail: 'Mail a link that confirms the email address.',
  emailVerified: 'The user has confirmed this email address.',
  requirePasswordChange: 'Ask for a new password at the next sign-in.',
  joinDefaultGroups: 'Also join the groups every new user joins.',
  passwordHash: 'A password hash exported from another system (for migrations).',
  attributes: 'Fields defined for this tenant under Settings → Attributes.',
  externalId: 'The user’s identifier in another system, e.g. the HR system.',
  pictureUrl: 'Web address (http or https) of a picture of the user.',
  departureDate: 'Not before the arrival date.',
  dateOfBirth: 'Not in the future.',
  countryOfBirth: 'Two-letter country code, e.g. FR.',
};

/** Hints of the settings forms, by member name (top level) or by path (`/password/minLength`). */
export const ROLE_HINTS: Record<string, string> = {
  name: 'Lower-case letters, digits, dots, underscores and hyphens, e.g. hr-manager.',
  displayName: 'The name people see, e.g. Sales Agent. Leave empty to show the name above.',
  description: 'What the role is for, for other admins.',
  permissions: 'What holders of the role may do. You can only give permissions your own role holds.',
};

export const GROUP_HINTS: Record<string, string> = {
  type: 'The kind of group, e.g. team, office or department (lower-case).',
  code: 'A short code, unique among groups of the same type, e.g. PAR.',
  name: 'The name people see, e.g. Paris office.',
  isDefault: 'New users join this group unless told otherwise.',
};

export const ATTRIBUTE_HINTS: Record<string, string> = {
  key: 'The field’s name in the API: a letter, then letters, digits or underscores, e.g. employeeId.',
  type: 'What kind of value the field holds.',
  required: 'Every user must have a value (the default counts).',
  unique: 'No two users may share a value (text compared without case).',
  default: 'The value new users get when none is given, written as JSON (e.g. "sales" or 3).',
  minLength: 'Text: fewest characters. List: fewest items.',
  maxLength: 'Text: most characters. List: most items.',
  min: 'Numbers: the lowest value allowed.',
  max: 'Numbers: the highest value allowed.',
  pattern: 'Text the value must contain a match of, as a regular expression (e.g. ^E[0-9]{4,}$ for a whole value).',
  enumValues: 'For a choice field: the allowed values, one per line.',
  readPermission: 'Only people whose role has this permission see the value. Empty: everyone who may see users.',
  writePermission: 'Only people whose role has this permission may set the value. Empty: everyone who may edit users.',
};

export const API_KEY_HINTS: Record<string, string> = {
  name: 'A name that says who uses the key, e.g. hr-sync.',
  role: 'What the key may do. You can only pick a role whose permissions you hold, and change a key whose role you hold.',
  prefix: 'Text the key starts with instead of rst_, for tools that expect their own form (e.g. flt_sk_). Empty for the usual form.',
  platform: 'A key for every tenant (only a platform key may create one).',
};

export const WEBHOOK_HINTS: Record<string, string> = {
  url: 'The web address (http or https) Roster sends each event to.',
  eventTypes: 'The events to send. Pick none to send every event.',
  secret: 'Your own signing secret (starting with whsec_). Leave empty and Roster makes one, shown once.',
  description: 'What the webhook is for, for other admins.',
  active: 'An inactive webhook is sent nothing. Turning it back on clears the reason Roster turned it off.',
};

/** The tenant policies, by path: what each rule does, in the words of the person setting it. */
export const POLICY_HINTS: Record<string, string> = {
  defaultLocale: 'Language and region of users created without one, e.g. en-GB.',
  defaultTimezone: 'Time zone of users created without one, e.g. Europe/Paris.',
  defaultPhoneRegion: 'Two-letter country (e.g. FR) of phone numbers written without their country code.',
  '/email/blockDisposable': 'Refuse throw-away mailbox addresses.',
  '/email/blockFreeMail': 'Refuse personal mail providers such as gmail.com.',
  '/email/allowedDomains': 'One domain per line. When any are listed, only addresses at these domains (and their subdomains) are accepted.',
  '/email/deniedDomains': 'One domain per line: addresses at these domains (and their subdomains) are refused.',
  '/username/pattern':
    'A regular expression usernames must contain a match of (start with ^ and end with $ to match the whole name). The default allows 3 to 64 letters, digits, dots, underscores and hyphens.',
  '/username/reserved': 'One name per line, refused as usernames (admin, administrator, root, system and user always are).',
  '/username/emailAsUsername': 'The email address is the username.',
  '/password/minLength': 'Fewest characters in a password.',
  '/password/maxBytes': 'Longest password, in bytes (most letters are one byte, some two to four).',
  '/password/requireUppercase': 'At least one capital letter.',
  '/password/requireLowercase': 'At least one small letter.',
  '/password/requireDigit': 'At least one digit.',
  '/password/requireSymbol': 'At least one character that is neither a letter nor a digit.',
  '/password/minStrength': 'How hard to guess a password must be, from 0 (anything) to 4 (very hard).',
  '/password/forbidUserInfo': 'Refuse passwords that contain the username or the first part of the email address.',
  '/password/forbidCommon': 'Refuse passwords found in lists of common passwords.',
  '/batch/maxSize': 'Most users one batch request may create (1 to 1000).',
  '/mail/from': 'The sender of welcome, verification and password mails, e.g. Acme <no-reply@acme.com>.',
  '/mail/tokenTtlHours': 'How many hours the links in those mails work.',
  '/mail/templates': 'Your own mail texts per language, written as JSON; see the documentation for the placeholders.',
  '/names/prohibitedCharacters': 'Characters refused in given, family and display names and nicknames. Empty turns the check off.',
  '/names/required': 'Name fields every user must fill in.',
  '/users/defaultRoles': 'One role per line: the roles a new user gets when created without any.',
  '/users/uniqueAmong':
    'Whether an email or username must be unique among all users (deactivated ones included) or among active users only.',
};

/** An API description without code markup: `users:set-active` reads as users:set-active. */
export function plainHint(description: string | undefined): string | undefined {
  return description?.replace(/`([^`]*)`/g, '$1');
}

const DEFAULT_USERNAME_PATTERN = '^[\\p{L}\\p{N}._-]{3,64}$';
const NEUTRAL_USERNAME = 'Must follow this tenant’s username rules and be unique. Leave empty for a user without username.';

/**
 * The username hint as the tenant's own rule: read from the settings when the credential may read
 * them (settings:manage), otherwise a hint that claims no rule it cannot know.
 */
export async function usernameHint(): Promise<string> {
  if (!api.can('settings:manage')) return NEUTRAL_USERNAME;
  try {
    const settings = await api.request<{ username?: { pattern?: string; emailAsUsername?: boolean } }>('GET', '/v1/settings');
    const policy = settings.username ?? {};
    if (policy.emailAsUsername) return 'In this tenant the email address is the username.';
    if (!policy.pattern || policy.pattern === DEFAULT_USERNAME_PATTERN)
      return '3 to 64 letters, digits, dots, underscores or hyphens, unique in the tenant. Leave empty for a user without username.';
    return `Must match this tenant’s pattern ${policy.pattern} and be unique. Leave empty for a user without username.`;
  } catch {
    return NEUTRAL_USERNAME;
  }
}
