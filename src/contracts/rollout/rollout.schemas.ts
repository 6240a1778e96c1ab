import { Type, type Static } from 'typebox';

// Written from seed 000 (Rollout's OpenAPI for POST /users); the contract test checks real requests
// and responses against the seed's own YAML.
const AddressIn = Type.Object(
  {
    type: Type.String({ maxLength: 50 }),
    street: Type.String({ maxLength: 500 }),
    city: Type.String({ maxLength: 200 }),
    state: Type.String({ maxLength: 200 }),
    code: Type.String({ maxLength: 40, description: 'Postal code' }),
    county: Type.Optional(Type.String({ maxLength: 200 })),
    country: Type.String({
      maxLength: 200,
      description: 'Any text: an ISO 3166-1 alpha-2 or alpha-3 code or a country name is stored as alpha-2, anything else as sent',
    }),
  },
  { additionalProperties: true },
);

export const RolloutCreateUserBody = Type.Object(
  {
    email: Type.String({ maxLength: 320 }),
    firstName: Type.String({ maxLength: 200 }),
    lastName: Type.String({ maxLength: 200 }),
    phone: Type.String({
      maxLength: 64,
      description: 'Any text: stored as E.164 when it is a number (national ones need the tenant defaultPhoneRegion), as sent otherwise',
    }),
    role: Type.String({
      maxLength: 200,
      description:
        'Any text: the tenant role of that name, without case or as a slug (`Sales Agent` → sales-agent); the default role `user` when none matches',
    }),
    status: Type.String({
      maxLength: 200,
      description:
        'Any text: inactive, disabled, suspended, deactivated, blocked, locked, archived, terminated (any case) create the user deactivated; anything else active. Answered as sent',
    }),
    timezone: Type.Optional(
      Type.Union([
        Type.String({ maxLength: 64, description: 'IANA or Windows zone name (stored as IANA); other text kept as sent' }),
        Type.Null(),
      ]),
    ),
    username: Type.String({ maxLength: 256 }),
    type: Type.String({ maxLength: 100, description: 'Kind of user (Roster `userType`)' }),
    address: AddressIn,
    participatingOfficeIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200, description: 'Codes (or ids) of groups of type `office`' }),
    ),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: true },
);
export type RolloutCreateUserInput = Static<typeof RolloutCreateUserBody>;

const nullableText = Type.Union([Type.String(), Type.Null()]);
export const RolloutUser = Type.Object(
  {
    id: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Type.String(),
    phone: Type.String(),
    role: Type.String(),
    status: Type.String(),
    timezone: nullableText,
    created: nullableText,
    updated: nullableText,
    rolloutUpdated: Type.String(),
    originalIds: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
    original: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })),
    address: Type.Union([
      Type.Object(
        {
          type: Type.String(),
          street: Type.String(),
          city: Type.String(),
          state: Type.String(),
          code: Type.String(),
          county: Type.Optional(Type.String()),
          country: Type.String(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    username: Type.String(),
    type: Type.String(),
    offices: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type RolloutUserBody = Static<typeof RolloutUser>;

export const RolloutCreated = Type.Array(RolloutUser);
export const RolloutError = Type.Object({ errorMessage: Type.String() });
