import { Type, type Static, type TSchema } from 'typebox';

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
    country: Type.Optional(text(2, 'ISO 3166-1 alpha-2 code')),
  },
  { additionalProperties: false },
);
export type Address = Static<typeof AddressSchema>;

// Length caps only bound the work; the rules in `user.rules.ts` decide what is valid, for every path alike.
const email = text(320, 'Unique per tenant, case-insensitively. The domain is stored lower-cased.');
const username = text(256, '1-64 letters, digits and `. _ - @ +`; unique per tenant after NFKC and case folding, also against emails');
const password = text(1024, 'At least 8 characters and at most 256 bytes. Stored as an argon2id hash, never returned.');
const name = text(200);
const bio = text(4000);
const phone = text(64, 'International format with country code; stored as E.164');
const locale = text(35, 'BCP 47 tag; defaults to the tenant default');
const timezone = text(64, 'IANA zone; defaults to the tenant default');
const externalId = text(256, 'Identifier of the user in another system');
const attributes = Type.Object({}, { additionalProperties: true, maxProperties: 200, description: 'Free-form JSON object' });
const roles = Type.Array(text(100), { maxItems: 50, description: 'Role names of the tenant' });

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
    address: Type.Optional(AddressSchema),
    active: Type.Optional(Type.Boolean({ description: 'Default true. Creating an inactive user needs `users:set-active`.' })),
    emailVerified: Type.Optional(Type.Boolean({ description: 'Default false' })),
    requirePasswordChange: Type.Optional(Type.Boolean({ description: 'Default false' })),
    roles: Type.Optional(Type.Array(text(100), { maxItems: 50, description: 'Role names of the tenant; default `["user"]`' })),
    externalId: Type.Optional(externalId),
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
    givenName: Type.Optional(Nullable(name)),
    familyName: Type.Optional(Nullable(name)),
    displayName: Type.Optional(Nullable(name)),
    nickname: Type.Optional(Nullable(name)),
    bio: Type.Optional(Nullable(bio)),
    phone: Type.Optional(Nullable(phone)),
    locale: Type.Optional(Nullable(locale)),
    timezone: Type.Optional(Nullable(timezone)),
    address: Type.Optional(Nullable(Type.Object(Object.fromEntries(Object.entries(AddressSchema.properties).map(([k, v]) => [k, Type.Optional(Nullable(v))])), { additionalProperties: false }))),
    active: Type.Optional(Type.Boolean({ description: 'Needs `users:set-active`' })),
    emailVerified: Type.Optional(Type.Boolean()),
    requirePasswordChange: Type.Optional(Type.Boolean()),
    roles: Type.Optional(roles),
    externalId: Type.Optional(Nullable(externalId)),
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
    active: Type.Boolean(),
    emailVerified: Type.Boolean(),
    requirePasswordChange: Type.Boolean(),
    hasPassword: Type.Boolean(),
    roles: Type.Array(Type.String()),
    externalId: Nullable(Type.String()),
    attributes: Type.Object({}, { additionalProperties: true }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String({ description: '`api_key:<id>` or `cli`' }),
    version: Type.Integer({ description: 'Increases with every change; the ETag is `"<version>"`' }),
  },
  { additionalProperties: false },
);
export type User = Static<typeof UserSchema>;

export const ListUsersQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the previous page' })),
    email: Type.Optional(Type.String({ maxLength: 320, description: 'Exact match, case-insensitive' })),
    username: Type.Optional(Type.String({ maxLength: 256, description: 'Exact match after normalisation' })),
    externalId: Type.Optional(Type.String({ maxLength: 256 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ListUsersQuery = Static<typeof ListUsersQuerySchema>;

export const UserListSchema = Type.Object({ data: Type.Array(UserSchema), nextCursor: Nullable(Type.String()) });
export type UserList = Static<typeof UserListSchema>;
