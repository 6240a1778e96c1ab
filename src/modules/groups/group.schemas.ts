import { Type, type Static } from 'typebox';

export const GroupSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    seq: Type.Union([Type.Integer(), Type.Null()], { description: 'Per-tenant number (contracts that show integer ids)' }),
    type: Type.String(),
    code: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    isDefault: Type.Boolean({ description: 'New users join it unless created with `joinDefaultGroups: false`' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Group = Static<typeof GroupSchema>;

/** How a user resource shows its groups. */
export const GroupRefSchema = Type.Object(
  { id: Type.String(), seq: Type.Union([Type.Integer(), Type.Null()]), type: Type.String(), code: Type.String(), name: Type.String() },
  { additionalProperties: false },
);
export type GroupRef = Static<typeof GroupRefSchema>;

export const CreateGroupSchema = Type.Object(
  {
    type: Type.String({
      minLength: 1,
      maxLength: 40,
      pattern: '^[a-z][a-z0-9_-]*$',
      description: 'e.g. team, office, department, location, channel',
    }),
    code: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'Unique within the type' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    isDefault: Type.Optional(Type.Boolean({ description: 'Default false' })),
  },
  { additionalProperties: false, examples: [{ type: 'office', code: 'PAR', name: 'Paris office', isDefault: false }] },
);
export type CreateGroupInput = Static<typeof CreateGroupSchema>;

export const PatchGroupSchema = Type.Object(
  {
    code: Type.Optional(CreateGroupSchema.properties.code),
    name: Type.Optional(CreateGroupSchema.properties.name),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    isDefault: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PatchGroupInput = Static<typeof PatchGroupSchema>;

export const ListGroupsQuerySchema = Type.Object({ type: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false });
