import { Type, type Static } from 'typebox';

// Written from seed 002 (Rocket.Chat's OpenAPI for users.create); the contract test checks real
// responses against the seed's own JSON.
/**
 * A boolean as Rocket.Chat's own validator takes it (`@rocket.chat/rest-typings`, Ajv with coerceTypes):
 * true/false or the strings "true"/"false", which the seed's examples use.
 */
const Bool = (options: { description?: string } = {}) => Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')], options);
export type RocketChatBool = boolean | 'true' | 'false';

export const RocketChatCreateUserBody = Type.Object(
  {
    name: Type.String({ maxLength: 200, description: 'Display name' }),
    email: Type.String({ maxLength: 320 }),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'Required unless setRandomPassword' })),
    username: Type.String({ maxLength: 256 }),
    active: Type.Optional(Bool({ description: 'Default true; setting it needs edit-other-user-active-status (users:set-active)' })),
    nickname: Type.Optional(Type.String({ maxLength: 200 })),
    bio: Type.Optional(Type.String({ maxLength: 4000 })),
    joinDefaultChannels: Type.Optional(Bool({ description: 'Default true: join the default groups of type `channel`' })),
    statusText: Type.Optional(Type.String({ maxLength: 200, description: 'Accepted and not stored (Roster has no presence)' })),
    roles: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, description: 'Role names; default ["user"]' })),
    requirePasswordChange: Type.Optional(Bool()),
    setRandomPassword: Type.Optional(
      Bool({
        description:
          'Assign a random password nobody is told (and require a change); with sendWelcomeEmail the mail carries a link to choose one',
      }),
    ),
    sendWelcomeEmail: Type.Optional(Bool()),
    verified: Type.Optional(Bool({ description: 'Mark the email verified' })),
    customFields: Type.Optional(
      Type.Object({}, { additionalProperties: true, maxProperties: 200, description: 'Values of attributes defined with /v1/attributes' }),
    ),
  },
  // Rocket.Chat answers 400 invalid-params for members its schema does not name (Ajv, additionalProperties false).
  { additionalProperties: false },
);
export type RocketChatCreateUserInput = Static<typeof RocketChatCreateUserBody>;

export const RocketChatUser = Type.Object(
  {
    _id: Type.String(),
    createdAt: Type.String(),
    username: Type.String(),
    emails: Type.Array(Type.Object({ address: Type.String(), verified: Type.Boolean() })),
    type: Type.String(),
    status: Type.String(),
    active: Type.Boolean(),
    roles: Type.Array(Type.String()),
    _updatedAt: Type.String(),
    name: Type.String(),
    nickname: Type.Optional(Type.String()),
    bio: Type.Optional(Type.String()),
    requirePasswordChange: Type.Boolean(),
    settings: Type.Object({}, { additionalProperties: true }),
    customFields: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);
export type RocketChatUserBody = Static<typeof RocketChatUser>;

export const RocketChatCreated = Type.Object({ user: RocketChatUser, success: Type.Boolean() });

export const RocketChatError = Type.Object({
  success: Type.Boolean(),
  error: Type.String(),
  errorType: Type.Optional(Type.String()),
  details: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

export const RocketChatAuthError = Type.Object({ status: Type.String(), message: Type.String(), error: Type.Optional(Type.String()) });

export const RocketChatLoginBody = Type.Object(
  {
    user: Type.Optional(Type.String({ maxLength: 320, description: 'Username or email' })),
    username: Type.Optional(Type.String({ maxLength: 320 })),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    password: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: true },
);

export const RocketChatLoginResponse = Type.Object({
  status: Type.Literal('success'),
  data: Type.Object({ userId: Type.String(), authToken: Type.String(), me: RocketChatUser }),
});
