import { Type, type Static } from 'typebox';
import { mergePatchSchema } from '../../lib/merge-patch-schema.js';
import { MAX_PATTERN_LENGTH } from '../../rules/tenant-pattern.js';

const domainList = (description: string) => Type.Array(Type.String({ maxLength: 253 }), { maxItems: 1000, description });

export const EmailPolicySchema = Type.Object(
  {
    blockDisposable: Type.Boolean({
      description: 'Refuse throw-away mailbox domains (list from the `mailchecker` package). Default true.',
    }),
    blockFreeMail: Type.Boolean({
      description: 'Refuse personal/free-mail domains such as gmail.com (list from `email-providers`). Default false.',
    }),
    allowedDomains: domainList('When not empty, only these domains (and their subdomains) are accepted. Default [].'),
    deniedDomains: domainList('These domains (and their subdomains) are refused. Default [].'),
  },
  { additionalProperties: false },
);

export const UsernamePolicySchema = Type.Object(
  {
    pattern: Type.String({
      maxLength: MAX_PATTERN_LENGTH,
      description:
        'Regular expression (JavaScript syntax, Unicode mode) a normalised username must match, unanchored like RegExp.test. Evaluated in linear time (RE2): backreferences and lookaround are refused. Default `^[\\p{L}\\p{N}._-]{3,64}$`.',
    }),
    reserved: Type.Array(Type.String({ maxLength: 64 }), {
      maxItems: 1000,
      description: 'Names refused besides admin, administrator, root, system, user. Default [].',
    }),
    emailAsUsername: Type.Boolean({ description: 'The username is the email address. Default false.' }),
  },
  { additionalProperties: false },
);

export const PasswordPolicySchema = Type.Object(
  {
    minLength: Type.Integer({ minimum: 1, maximum: 256, description: 'Fewest characters. Default 8.' }),
    maxBytes: Type.Integer({ minimum: 8, maximum: 1024, description: 'Most UTF-8 bytes. Default 256.' }),
    requireUppercase: Type.Boolean({ description: 'Default false.' }),
    requireLowercase: Type.Boolean({ description: 'Default false.' }),
    requireDigit: Type.Boolean({ description: 'Default false.' }),
    requireSymbol: Type.Boolean({ description: 'Default false.' }),
    minStrength: Type.Integer({ minimum: 0, maximum: 4, description: 'Lowest zxcvbn score (0-4) accepted. Default 2.' }),
    forbidUserInfo: Type.Boolean({ description: 'Refuse passwords containing the username or the email local part. Default true.' }),
    forbidCommon: Type.Boolean({ description: 'Refuse passwords from the common-password lists. Default true.' }),
  },
  { additionalProperties: false },
);

export const BatchPolicySchema = Type.Object(
  {
    maxSize: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Most users in one POST /v1/users/batch (at most 1000). Default 1000.',
    }),
  },
  { additionalProperties: false },
);

/** Person-name fields the names policy speaks of. */
export const PERSON_NAME_FIELDS = ['givenName', 'familyName', 'displayName', 'nickname'] as const;
export type PersonNameField = (typeof PERSON_NAME_FIELDS)[number];

export const NamePolicySchema = Type.Object(
  {
    prohibitedCharacters: Type.String({
      maxLength: 200,
      description:
        'Characters refused (NAME_INVALID) in givenName, familyName, displayName and nickname, also URL-encoded (once or more) or in a compatibility form such as fullwidth `＜`; control characters are always refused. Empty turns the check off. Default Keycloak\'s `<>&"$%!#?§;*~/\\|^=[]{}()`.',
    }),
    required: Type.Array(
      Type.Union([Type.Literal('givenName'), Type.Literal('familyName'), Type.Literal('displayName'), Type.Literal('nickname')]),
      {
        maxItems: PERSON_NAME_FIELDS.length,
        uniqueItems: true,
        description: 'Name fields every user must have, not blank once trimmed (FIELD_REQUIRED on create and update). Default [].',
      },
    ),
  },
  { additionalProperties: false },
);

export const UsersPolicySchema = Type.Object(
  {
    defaultRoles: Type.Array(Type.String({ maxLength: 100 }), {
      maxItems: 50,
      uniqueItems: true,
      description:
        'Roles a user created without `roles` gets (native, batch, import, SCIM, contracts). Each must exist, and saving needs every permission they hold; a creator lacking one gets 403 PERMISSION_DENIED, as for roles it names. Default ["user"].',
    }),
    uniqueAmong: Type.Union([Type.Literal('all'), Type.Literal('active')], {
      description:
        "Which users an email or username must be unique among. `all` (default): every live user, deactivated ones included. `active`: active users only (the Fleet contract's rule): a deactivated user's email and username may be taken by a new or changed user, and reactivating the user answers 409 USER_EMAIL_TAKEN / USER_USERNAME_TAKEN while an active user holds one. Deactivated users are still found by login (which refuses them) and search. Turning `all` back on answers 409 SETTINGS_UNIQUENESS_CONFLICT while two users share one.",
    }),
  },
  { additionalProperties: false },
);

const MailTemplateSchema = Type.Object(
  { subject: Type.String({ maxLength: 300 }), text: Type.String({ maxLength: 20_000 }) },
  { additionalProperties: false },
);

export const MailPolicySchema = Type.Object(
  {
    from: Type.String({ maxLength: 320, description: 'Sender of welcome and verification mails. Default `Roster <no-reply@localhost>`.' }),
    tokenTtlHours: Type.Integer({ minimum: 1, maximum: 720, description: 'Validity of the links in those mails. Default 72.' }),
    templates: Type.Record(
      Type.String({ maxLength: 35 }),
      Type.Partial(
        Type.Object({ welcome: MailTemplateSchema, welcome_set_password: MailTemplateSchema, verify_email: MailTemplateSchema }),
        { additionalProperties: false },
      ),
      {
        description:
          'Per locale (`fr`, `de-CH`…), templates replacing the built-in ones; placeholders {{name}}, {{tenant}}, {{login}}, {{link}}, {{expires}}. Default {}.',
      },
    ),
  },
  { additionalProperties: false },
);

export const TenantSettingsSchema = Type.Object(
  {
    defaultLocale: Type.String({ description: 'BCP 47 locale of users created without one' }),
    defaultTimezone: Type.String({ description: 'IANA zone of users created without one' }),
    defaultPhoneRegion: Type.Union([Type.String(), Type.Null()], {
      description: 'ISO 3166-1 alpha-2 region for phone numbers given without +country code. Default null.',
    }),
    email: EmailPolicySchema,
    username: UsernamePolicySchema,
    password: PasswordPolicySchema,
    batch: BatchPolicySchema,
    mail: MailPolicySchema,
    names: NamePolicySchema,
    users: UsersPolicySchema,
  },
  { additionalProperties: false },
);
export type TenantSettings = Static<typeof TenantSettingsSchema>;
export type EmailPolicy = TenantSettings['email'];
export type UsernamePolicy = TenantSettings['username'];
export type PasswordPolicy = TenantSettings['password'];
export type NamePolicy = TenantSettings['names'];

/**
 * A JSON Merge Patch of the settings: every member optional; `null` resets a policy, or any member of one
 * (`{"email": {"blockFreeMail": null}}`), to its default (the member is no longer stored).
 */
export const PatchSettingsSchema = Type.Object(
  {
    defaultLocale: Type.Optional(Type.String({ maxLength: 35 })),
    defaultTimezone: Type.Optional(Type.String({ maxLength: 64 })),
    defaultPhoneRegion: Type.Optional(Type.Union([Type.String({ maxLength: 2 }), Type.Null()])),
    email: Type.Optional(mergePatchSchema(EmailPolicySchema)),
    username: Type.Optional(mergePatchSchema(UsernamePolicySchema)),
    password: Type.Optional(mergePatchSchema(PasswordPolicySchema)),
    batch: Type.Optional(mergePatchSchema(BatchPolicySchema)),
    mail: Type.Optional(mergePatchSchema(MailPolicySchema)),
    names: Type.Optional(mergePatchSchema(NamePolicySchema)),
    users: Type.Optional(mergePatchSchema(UsersPolicySchema)),
  },
  {
    additionalProperties: false,
    examples: [{ email: { blockFreeMail: true }, password: { minLength: 12, requireDigit: true, minStrength: null } }],
  },
);
export type PatchSettingsInput = Static<typeof PatchSettingsSchema>;
