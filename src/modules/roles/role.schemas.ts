import { Type, type Static } from 'typebox';
import { tenantPermissions } from './permissions.js';

const PermissionName = Type.Union(
  tenantPermissions.map((p) => Type.Literal(p)),
  { description: 'A tenant permission' },
);

export const RoleSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    displayName: Type.Union([Type.String(), Type.Null()], {
      description: 'The role as people and products name it (`Sales Agent`); contracts find the role by it or by `name`, without case',
    }),
    description: Type.String(),
    permissions: Type.Array(Type.String()),
    builtin: Type.Boolean({ description: '`admin` and `user` are built in and cannot be changed' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Role = Static<typeof RoleSchema>;

export const CreateRoleSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z0-9][a-z0-9._-]*$',
      description: 'Lower-case letters, digits and . _ -',
    }),
    displayName: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
        description:
          'The role as people and products name it (`Sales Agent`), trimmed; unique in the tenant without case (409 ROLE_NAME_TAKEN). Contracts that receive a role as free text (Rollout `role`, Rocket.Chat `roles`, Certification `roles`, Pulse `roles`) find the role by `name` or `displayName` without case. null clears it',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    permissions: Type.Array(PermissionName, { maxItems: 50, uniqueItems: true }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'hr-manager',
        displayName: 'HR Manager',
        description: 'Creates and updates employees',
        permissions: ['users:read', 'users:create', 'users:update'],
      },
    ],
  },
);
export type CreateRoleInput = Static<typeof CreateRoleSchema>;

export const PatchRoleSchema = Type.Partial(CreateRoleSchema, { additionalProperties: false });
export type PatchRoleInput = Static<typeof PatchRoleSchema>;
