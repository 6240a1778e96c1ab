import { DEFAULT_PROHIBITED_NAME_CHARACTERS } from '../../rules/person-name.js';
import type { TenantSettings } from './settings.schemas.js';

export const DEFAULT_USERNAME_PATTERN = '^[\\p{L}\\p{N}._-]{3,64}$';

/** Safe defaults every tenant starts from; stored settings only hold what a tenant changed. */
export const defaultPolicies: Omit<TenantSettings, 'defaultLocale' | 'defaultTimezone'> = {
  defaultPhoneRegion: null,
  email: { blockDisposable: true, blockFreeMail: false, allowedDomains: [], deniedDomains: [] },
  username: { pattern: DEFAULT_USERNAME_PATTERN, reserved: [], emailAsUsername: false },
  password: {
    minLength: 8,
    maxBytes: 256,
    requireUppercase: false,
    requireLowercase: false,
    requireDigit: false,
    requireSymbol: false,
    minStrength: 2,
    forbidUserInfo: true,
    forbidCommon: true,
  },
  batch: { maxSize: 1000 },
  mail: { from: 'Roster <no-reply@localhost>', tokenTtlHours: 72, templates: {} },
  names: { prohibitedCharacters: DEFAULT_PROHIBITED_NAME_CHARACTERS, required: [] },
  users: { defaultRoles: ['user'], uniqueAmong: 'all' },
};
