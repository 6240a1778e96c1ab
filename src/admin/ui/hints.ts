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
  roles: 'What the user may do. With none picked the user gets the basic “user” role.',
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
