import { Type } from 'typebox';
import type { PatchSettingsInput } from '../settings/settings.schemas.js';

/**
 * One preset per seed contract (docs/contracts/<product>.md): the settings and roles a tenant needs so
 * that the seed's own example requests succeed verbatim. Each member is argued from the seed's text on
 * the contract's page. A preset only starts a tenant off: its settings are ordinary settings the admin
 * may change later with PATCH /v1/settings.
 */
export interface TenantPreset {
  /** Stored as the tenant's settings (a merge patch over the defaults). */
  settings: PatchSettingsInput;
  /** Roles created beside `admin` and `user`, without permissions: names the product's clients send. */
  roles: Array<{ name: string; description: string }>;
}

/** Rollout and Rocket.Chat type `username` as a plain string; Rocket.Chat's own default pattern is `[0-9a-zA-Z-_.]+` (one or more). */
const ANY_USERNAME = String.raw`^\P{Cc}{1,256}$`;
const ROCKET_CHAT_USERNAME = String.raw`^[\p{L}\p{N}._-]{1,64}$`;

export const TENANT_PRESETS = {
  // Seed 000 types username as a plain string with no rule.
  rollout: { settings: { username: { pattern: ANY_USERNAME } }, roles: [] },
  // Seed 001 states no rule the defaults refuse.
  pulse: { settings: {}, roles: [] },
  rocketchat: {
    settings: { username: { pattern: ROCKET_CHAT_USERNAME } },
    // Rocket.Chat's default global roles that Roster lacks (the seed's roles example is `bot`); admin and user exist.
    roles: [
      { name: 'bot', description: 'Rocket.Chat default role: bot accounts' },
      { name: 'guest', description: 'Rocket.Chat default role: guests' },
      { name: 'app', description: 'Rocket.Chat default role: app users' },
      { name: 'anonymous', description: 'Rocket.Chat default role: anonymous users' },
      { name: 'livechat-agent', description: 'Rocket.Chat default role: Omnichannel agents' },
      { name: 'livechat-manager', description: 'Rocket.Chat default role: Omnichannel managers' },
      { name: 'livechat-monitor', description: 'Rocket.Chat default role: Omnichannel monitors' },
    ],
  },
  // Seed 003 states its rules (configured departments, locations, program admin roles; a complexity rule) and the defaults hold them.
  certification: { settings: {}, roles: [] },
  // Seed 004: the password is "Optional initial password" with no rule, and its example is `hunter2`;
  // the email "must be unique among active users".
  fleet: {
    settings: {
      password: { minLength: 1, minStrength: 0, forbidCommon: false, forbidUserInfo: false },
      users: { uniqueAmong: 'active' },
    },
    roles: [],
  },
} satisfies Record<string, TenantPreset>;

export type PresetName = keyof typeof TENANT_PRESETS;

export const PresetNameSchema = Type.Union(
  Object.keys(TENANT_PRESETS).map((name) => Type.Literal(name)),
  {
    description:
      'Start the tenant with the settings and roles of a seed contract (docs/contracts/<product>.md): rollout, pulse, rocketchat, certification or fleet',
  },
);
