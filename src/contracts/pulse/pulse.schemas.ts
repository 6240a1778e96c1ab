import { Type, type Static } from 'typebox';

// Written from seed 001 (Pulse's documentation page: the request example and #/components/schemas/User and Error).
export const PulseCreateUserBody = Type.Object(
  {
    email: Type.String({ maxLength: 320, format: 'email', description: 'The only member Pulse documents; required' }),
    name: Type.Optional(Type.String({ maxLength: 200, description: 'Roster addition: full name (displayName)' })),
    phone: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "A member of the seed's User: any text, stored as E.164 when it reads as a number, as sent otherwise",
      }),
    ),
    teamId: Type.Optional(Type.Integer({ minimum: 1, description: 'Roster addition: the number (`seq`) of a group of type `team`' })),
    active: Type.Optional(Type.Boolean({ description: 'Roster addition: default true; false needs `users:set-active`' })),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'Roster addition: initial password (the tenant policy applies)' })),
    imgSrc: Type.Optional(Type.String({ maxLength: 2000, description: 'Roster addition: picture URL' })),
    roles: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, description: 'Roster addition: role names (default `["user"]`)' }),
    ),
  },
  { additionalProperties: true },
);
export type PulseCreateUserInput = Static<typeof PulseCreateUserBody>;

export const PulseUserResponse = Type.Object(
  {
    id: Type.Integer({ description: 'User ID (the user number in the account)' }),
    email: Type.String({ format: 'email' }),
    name: Type.String(),
    active: Type.Boolean(),
    teamId: Type.Optional(Type.Integer({ description: 'The team group, when the user is in one' })),
    phone: Type.Optional(Type.String()),
    imgSrc: Type.Optional(Type.String()),
    notificationPreferences: Type.Object({}, { additionalProperties: true }),
    createdBy: Type.Optional(Type.String({ description: 'Email of the creator, when the creator is a user' })),
    updatedBy: Type.Optional(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    accounts: Type.Array(
      Type.Object({
        accountId: Type.String(),
        accountName: Type.String(),
        usersPrimaryAccount: Type.Boolean(),
        accountAdmin: Type.Boolean(),
      }),
    ),
    flatRolesList: Type.Array(Type.String()),
    flatPermissionsList: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type PulseUser = Static<typeof PulseUserResponse>;

export const PulseErrorResponse = Type.Object({ error: Type.String(), status: Type.Integer(), message: Type.String() });
