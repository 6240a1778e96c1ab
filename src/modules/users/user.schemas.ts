import { Type, type Static, type TSchema } from 'typebox';
import { GroupRefSchema } from '../groups/group.schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const text = (maxLength: number, description?: string) => Type.String({ maxLength, ...(description ? { description } : {}) });

export const AddressSchema = Type.Object(
  {
    type: Type.Optional(text(50, 'e.g. `work` or `home`')),
    street: Type.Optional(text(500)),
    city: Type.Optional(text(200)),
    state: Type.Optional(text(200)),
    postalCode: Type.Optional(text(40)),
    county: Type.Optional(text(200)),
    // 200, not 2: a contract keeps a country it cannot read as sent (docs/contracts/README.md); the rule checks native input.
    country: Type.Optional(
      text(200, 'ISO 3166-1 alpha-2 code (a user created through a seed contract may hold a country name kept as sent)'),
    ),
  },
  { additionalProperties: false },
);
export type Address = Static<typeof AddressSchema>;

// Length caps only bound the work; the rules in `user.rules.ts` decide what is valid, for every path alike.
const email = text(
  320,
  'The HTML (WHATWG) address grammar with a domain of at least two labels (`user@localhost` is refused). Unique per tenant, case-insensitively; the domain is stored lower-cased. An empty or blank string means no email, unless the tenant makes the email the username (`username.emailAsUsername`): then it is FIELD_REQUIRED.',
);
const username = text(
  256,
  'Must match the tenant `username.pattern` (by default 3-64 letters, digits and `. _ -`) and not be a reserved name; unique per tenant after NFKC, look-alike folding and lower-casing, also against emails. An empty or blank string means no username.',
);
const password = text(1024, 'At least 8 characters and at most 256 bytes. Stored as an argon2id hash, never returned.');
const name = text(200);
const bio = text(4000);
const phone = text(64, 'International format with country code; stored as E.164');
const locale = text(35, 'BCP 47 tag; defaults to the tenant default');
const timezone = text(64, 'IANA zone; defaults to the tenant default');
const externalId = text(256, 'Identifier of the user in another system');
const userType = text(100, 'Kind of account, free-form: employee, contractor, bot…');
const pictureUrl = text(2000, 'http(s) URL of a picture of the user');
const attributes = Type.Object(
  {},
  { additionalProperties: true, maxProperties: 200, description: 'Values of attributes defined with /v1/attributes' },
);
const roles = Type.Array(text(100), { maxItems: 50, description: 'Role names of the tenant' });
const groups = Type.Array(text(200), { maxItems: 200, description: 'Group ids or `type:code` references' });
const date = (description: string) => text(40, `${description}; a date (YYYY-MM-DD) or ISO 8601 date-time, stored as the date`);
const country = text(200, 'ISO 3166-1 alpha-2 code (a user created through a seed contract may hold a country name kept as sent)');
const phoneCountry = text(
  2,
  'Region (ISO 3166-1 alpha-2) of a phone number written without +country code; defaults to the tenant `defaultPhoneRegion`',
);

/** An imported hash: a PHC/MCF string (`$2b$…`, `$argon2id$…`, `$scrypt$…`, `$pbkdf2-sha256$…`) or its parts. */
export const PasswordHashSchema = Type.Union(
  [
    Type.String({ maxLength: 1024 }),
    Type.Object(
      {
        algorithm: Type.Union(
          ['bcrypt', 'argon2id', 'argon2i', 'scrypt', 'pbkdf2-sha256', 'pbkdf2-sha512', 'sha256', 'sha512'].map((a) => Type.Literal(a)),
        ),
        value: text(1024, 'The hash (hex or base64), or the whole PHC/MCF string for bcrypt and argon2'),
        salt: Type.Optional(text(512, 'hex or base64, as `encoding`')),
        encoding: Type.Optional(
          Type.Union([Type.Literal('hex'), Type.Literal('base64')], { description: 'Of value and salt; default hex' }),
        ),
        iterations: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'pbkdf2' })),
        saltPosition: Type.Optional(
          Type.Union([Type.Literal('prefix'), Type.Literal('suffix')], {
            description: 'sha256/sha512: salt before or after the password (default suffix)',
          }),
        ),
        cost: Type.Optional(
          Type.Object(
            { N: Type.Integer({ minimum: 2 }), r: Type.Integer({ minimum: 1 }), p: Type.Integer({ minimum: 1 }) },
            { additionalProperties: false, description: 'scrypt parameters' },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'A password hash from another system; stored as given and verified at login (then upgraded to argon2id). Not checked against the password policy.',
  },
);

const hrFields = {
  position: text(200, 'Job title'),
  arrivalDate: date('Start date'),
  departureDate: date('End date; not before arrivalDate'),
  dateOfBirth: date('Date of birth; not in the future'),
  cityOfBirth: text(200),
  countryOfBirth: country,
};

export const CreateUserSchema = Type.Object(
  {
    email: Type.Optional(email),
    username: Type.Optional(username),
    password: Type.Optional(password),
    givenName: Type.Optional(name),
    familyName: Type.Optional(name),
    displayName: Type.Optional(name),
    nickname: Type.Optional(name),
    bio: Type.Optional(bio),
    phone: Type.Optional(phone),
    locale: Type.Optional(locale),
    timezone: Type.Optional(timezone),
    phoneCountry: Type.Optional(phoneCountry),
    address: Type.Optional(AddressSchema),
    position: Type.Optional(hrFields.position),
    arrivalDate: Type.Optional(hrFields.arrivalDate),
    departureDate: Type.Optional(hrFields.departureDate),
    dateOfBirth: Type.Optional(hrFields.dateOfBirth),
    cityOfBirth: Type.Optional(hrFields.cityOfBirth),
    countryOfBirth: Type.Optional(hrFields.countryOfBirth),
    generatePassword: Type.Optional(Type.Boolean({ description: 'Create a strong random password, returned once as `generatedPassword`' })),
    passwordHash: Type.Optional(PasswordHashSchema),
    groups: Type.Optional(groups),
    joinDefaultGroups: Type.Optional(Type.Boolean({ description: 'Join the groups marked isDefault (default true)' })),
    sendWelcomeEmail: Type.Optional(
      Type.Boolean({ description: 'Mail a welcome message; without a password it carries a single-use link to choose one' }),
    ),
    sendVerificationEmail: Type.Optional(
      Type.Boolean({ description: 'Mail a single-use link that confirms the address (POST /v1/email-verifications/:token)' }),
    ),
    active: Type.Optional(Type.Boolean({ description: 'Default true. Creating an inactive user needs `users:set-active`.' })),
    emailVerified: Type.Optional(Type.Boolean({ description: 'Default false' })),
    requirePasswordChange: Type.Optional(Type.Boolean({ description: 'Default false' })),
    roles: Type.Optional(
      Type.Array(text(100), {
        maxItems: 50,
        description:
          'Role names of the tenant; default the tenant setting `users.defaultRoles` (`["user"]` unless changed). Only roles whose permissions the caller holds.',
      }),
    ),
    createdAt: Type.Optional(
      text(
        40,
        'Carried over from another system (migrations): an ISO 8601 date-time with `Z` or an offset, or a date; not in the future, not before 1970. Needs `users:import` (403 otherwise). The `user.created` event keeps its own time.',
      ),
    ),
    externalId: Type.Optional(externalId),
    userType: Type.Optional(userType),
    pictureUrl: Type.Optional(pictureUrl),
    attributes: Type.Optional(attributes),
  },
  {
    additionalProperties: false,
    description: 'A new user. It needs an email or a username; every other field is optional.',
    examples: [{ email: 'ada@example.com', username: 'ada', password: 'correct horse battery', givenName: 'Ada', familyName: 'Lovelace' }],
  },
);
export type CreateUserInput = Static<typeof CreateUserSchema>;

/** JSON Merge Patch (RFC 7396): a member set to null is removed (or reset to its default). */
export const PatchUserSchema = Type.Object(
  {
    email: Type.Optional(Nullable(email)),
    username: Type.Optional(Nullable(username)),
    password: Type.Optional(Nullable(password)),
    passwordHash: Type.Optional(PasswordHashSchema),
    givenName: Type.Optional(Nullable(name)),
    familyName: Type.Optional(Nullable(name)),
    displayName: Type.Optional(Nullable(name)),
    nickname: Type.Optional(Nullable(name)),
    bio: Type.Optional(Nullable(bio)),
    phone: Type.Optional(Nullable(phone)),
    locale: Type.Optional(Nullable(locale)),
    timezone: Type.Optional(Nullable(timezone)),
    phoneCountry: Type.Optional(phoneCountry),
    position: Type.Optional(Nullable(hrFields.position)),
    arrivalDate: Type.Optional(Nullable(hrFields.arrivalDate)),
    departureDate: Type.Optional(Nullable(hrFields.departureDate)),
    dateOfBirth: Type.Optional(Nullable(hrFields.dateOfBirth)),
    cityOfBirth: Type.Optional(Nullable(hrFields.cityOfBirth)),
    countryOfBirth: Type.Optional(Nullable(hrFields.countryOfBirth)),
    groups: Type.Optional(groups),
    address: Type.Optional(
      Nullable(
        Type.Object(Object.fromEntries(Object.entries(AddressSchema.properties).map(([k, v]) => [k, Type.Optional(Nullable(v))])), {
          additionalProperties: false,
        }),
      ),
    ),
    active: Type.Optional(Type.Boolean({ description: 'Needs `users:set-active`' })),
    emailVerified: Type.Optional(Type.Boolean()),
    requirePasswordChange: Type.Optional(Type.Boolean()),
    roles: Type.Optional(roles),
    externalId: Type.Optional(Nullable(externalId)),
    userType: Type.Optional(Nullable(userType)),
    pictureUrl: Type.Optional(Nullable(pictureUrl)),
    attributes: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true, maxProperties: 200 }))),
  },
  { additionalProperties: false, description: 'A JSON Merge Patch of the user', examples: [{ displayName: 'Ada L.', phone: null }] },
);
export type PatchUserInput = Static<typeof PatchUserSchema>;

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.String({ format: 'uuid' }),
    seq: Type.Integer({ description: 'Sequential number of the user in its tenant' }),
    email: Nullable(Type.String()),
    username: Nullable(Type.String()),
    givenName: Nullable(Type.String()),
    familyName: Nullable(Type.String()),
    displayName: Nullable(Type.String()),
    nickname: Nullable(Type.String()),
    bio: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    locale: Type.String(),
    timezone: Type.String(),
    address: Nullable(AddressSchema),
    position: Nullable(Type.String()),
    arrivalDate: Nullable(Type.String({ format: 'date' })),
    departureDate: Nullable(Type.String({ format: 'date' })),
    dateOfBirth: Nullable(Type.String({ format: 'date' })),
    cityOfBirth: Nullable(Type.String()),
    countryOfBirth: Nullable(Type.String()),
    active: Type.Boolean(),
    emailVerified: Type.Boolean(),
    requirePasswordChange: Type.Boolean(),
    hasPassword: Type.Boolean(),
    roles: Type.Array(Type.String()),
    groups: Type.Array(GroupRefSchema),
    permissions: Type.Array(Type.String(), { description: 'Effective permissions: the union of the roles' }),
    externalId: Nullable(Type.String()),
    userType: Nullable(Type.String()),
    pictureUrl: Nullable(Type.String()),
    attributes: Type.Object({}, { additionalProperties: true, description: 'Values of the tenant-defined attributes the caller may see' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String({ description: '`api_key:<id>`, `user:<id>` or `cli`' }),
    version: Type.Integer({ description: 'Increases with every change; the ETag is `"<version>"`' }),
  },
  { additionalProperties: false },
);
export type User = Static<typeof UserSchema>;

export const CreatedUserSchema = Type.Object(
  {
    ...UserSchema.properties,
    generatedPassword: Type.Optional(Type.String({ description: 'Only with `generatePassword: true`; shown this once' })),
  },
  { additionalProperties: false },
);
export type CreatedUser = Static<typeof CreatedUserSchema>;

/** The orders GET /v1/users offers; `-` is descending. */
export const LIST_SORTS = ['createdAt', '-createdAt', 'email', '-email', 'username', '-username', 'familyName', '-familyName'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

export const ListUsersQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the previous page' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Search: users whose email or username starts with it (case-insensitive, as normalised); served by an index',
      }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Users whose given, family or display name starts with it (case-insensitive). Not indexed: on large tenants combine it with another filter',
      }),
    ),
    email: Type.Optional(Type.String({ maxLength: 320, description: 'Exact match, case-insensitive' })),
    username: Type.Optional(Type.String({ maxLength: 256, description: 'Exact match after normalisation' })),
    externalId: Type.Optional(Type.String({ maxLength: 256 })),
    active: Type.Optional(Type.Boolean()),
    emailVerified: Type.Optional(Type.Boolean()),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Users holding this role (its name)' })),
    group: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Members of this group: its id or a `type:code` reference' }),
    ),
    createdAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Users created at or after this instant' })),
    createdBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Users created before this instant' })),
    sort: Type.Optional(
      Type.Union(
        LIST_SORTS.map((s) => Type.Literal(s)),
        {
          description:
            'Order of the list (default: creation order, by id). `-` sorts descending. Users without an email, username or family name come last in either direction. Every order pages with the keyset `cursor`; a cursor is only valid with the sort it came from',
        },
      ),
    ),
    count: Type.Optional(
      Type.Boolean({ description: 'Adds `total`, the number of users matching the filters (one more query: ask only when shown)' }),
    ),
  },
  { additionalProperties: false },
);
export type ListUsersQuery = Static<typeof ListUsersQuerySchema>;

export const UserListSchema = Type.Object({
  data: Type.Array(UserSchema),
  nextCursor: Nullable(Type.String()),
  total: Type.Optional(Type.Integer({ description: 'With `count=true`: users matching the filters, on every page' })),
});
export type UserList = Static<typeof UserListSchema>;

export const BatchCreateSchema = Type.Object(
  {
    users: Type.Array(Type.Unknown({ description: 'A user as for POST /v1/users; each is checked on its own' }), {
      minItems: 1,
      description: 'At most the tenant `batch.maxSize` (1000)',
    }),
    mode: Type.Optional(
      Type.Union([Type.Literal('partial'), Type.Literal('atomic')], {
        description: '`partial` (default): create the valid users; `atomic`: all or nothing',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ mode: 'partial', users: [{ email: 'a@example.com' }, { email: 'b@example.com', username: 'bee' }] }],
  },
);
export type BatchCreateInput = Static<typeof BatchCreateSchema>;

const ItemErrorSchema = Type.Object(
  {
    code: Type.String(),
    status: Type.Integer(),
    title: Type.String(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), code: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);

export const BatchResultSchema = Type.Object(
  {
    mode: Type.String(),
    total: Type.Integer(),
    created: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer({ description: 'Valid users not created because an atomic batch failed' }),
    results: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ description: 'Position in the request' }),
          status: Type.Union([Type.Literal('created'), Type.Literal('failed'), Type.Literal('skipped')]),
          user: Type.Optional(CreatedUserSchema),
          error: Type.Optional(ItemErrorSchema),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BatchResult = Static<typeof BatchResultSchema>;
