import { Type, type Static } from 'typebox';

// Written from seed 003 (prose). Members the page leaves open (the `name` and `roles` objects) take
// the forms listed here; unknown members are ignored, as the page does not forbid them.
export const CertificationUserSchema = Type.Object(
  {
    userName: Type.Optional(Type.String({ maxLength: 256, description: 'Unique; the tenant username rules apply' })),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'The tenant password policy (complexity rule) applies' })),
    name: Type.Optional(
      Type.Object(
        {
          firstName: Type.Optional(Type.String({ maxLength: 200 })),
          lastName: Type.Optional(Type.String({ maxLength: 200 })),
          displayName: Type.Optional(Type.String({ maxLength: 200 })),
        },
        { additionalProperties: true },
      ),
    ),
    email: Type.Optional(Type.String({ maxLength: 320, description: 'Unique; the tenant email rules apply' })),
    phoneNumber: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          'Any text: stored as E.164 when it reads as a number (national ones need the tenant defaultPhoneRegion), as sent otherwise',
      }),
    ),
    roles: Type.Optional(
      Type.Array(
        Type.Object(
          {
            roleId: Type.Optional(Type.String({ maxLength: 100, description: 'A Roster role name' })),
            name: Type.Optional(Type.String({ maxLength: 100, description: 'Same as roleId' })),
          },
          { additionalProperties: true },
        ),
        { maxItems: 50 },
      ),
    ),
    userAccess: Type.Optional(
      Type.Object(
        {
          departmentId: Type.Optional(Type.String({ maxLength: 100, description: 'Code of a group of type `department`' })),
          locationId: Type.Optional(Type.String({ maxLength: 100, description: 'Code of a group of type `location`' })),
          programAdminRoleId: Type.Optional(Type.String({ maxLength: 100, description: 'Name of a Roster role granted as program admin' })),
        },
        { additionalProperties: true },
      ),
    ),
    lockedOut: Type.Optional(Type.Boolean({ description: 'true creates the user deactivated (needs `users:set-active`)' })),
  },
  { additionalProperties: true },
);
export type CertificationUser = Static<typeof CertificationUserSchema>;

export const CertificationBody = Type.Union([
  CertificationUserSchema,
  Type.Array(Type.Unknown({ description: 'A user as above' }), {
    minItems: 1,
    description: 'At most 1000 users (and the tenant `batch.maxSize`)',
  }),
]);

const FailedResult = Type.Object({
  index: Type.Union([Type.Integer(), Type.Null()], { description: 'Position in the request (0 for a single object)' }),
  userName: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  errorCode: Type.String({ description: 'Roster error code (docs/errors.md)' }),
  errorMessage: Type.String(),
  errors: Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() })),
});

export const CertificationResult = Type.Object({
  totalProcessed: Type.Integer(),
  successCount: Type.Integer(),
  failureCount: Type.Integer(),
  successResults: Type.Array(
    Type.Object({
      index: Type.Integer(),
      id: Type.String(),
      userName: Type.Union([Type.String(), Type.Null()]),
      email: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  failedResults: Type.Array(FailedResult),
});
export type CertificationResultBody = Static<typeof CertificationResult>;

export const CertificationAuthError = Type.Object({ code: Type.String(), message: Type.String(), description: Type.String() });
