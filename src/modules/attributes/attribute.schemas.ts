import { Type, type Static } from 'typebox';
import { MAX_PATTERN_LENGTH } from '../../rules/tenant-pattern.js';
import { tenantPermissions } from '../roles/permissions.js';

export const attributeTypes = ['string', 'number', 'integer', 'boolean', 'date', 'enum', 'string-list'] as const;
export type AttributeType = (typeof attributeTypes)[number];

const Permission = Type.Union(tenantPermissions.map((p) => Type.Literal(p)));

const definitionFields = {
  type: Type.Union(
    attributeTypes.map((t) => Type.Literal(t)),
    { description: 'Value type' },
  ),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  required: Type.Optional(Type.Boolean({ description: 'Every user must have it (after the default). Default false.' })),
  default: Type.Optional(Type.Unknown({ description: 'Given to new users that do not send the attribute' })),
  minLength: Type.Optional(Type.Integer({ minimum: 0, description: 'string: fewest characters; string-list: fewest items' })),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, description: 'string: most characters; string-list: most items' })),
  min: Type.Optional(
    Type.Number({ description: 'number/integer: lowest value; date: earliest (YYYY-MM-DD as a number is not accepted, use minDate)' }),
  ),
  max: Type.Optional(Type.Number({ description: 'number/integer: highest value' })),
  pattern: Type.Optional(
    Type.String({
      maxLength: MAX_PATTERN_LENGTH,
      description:
        'string and string-list items: a regular expression (JavaScript syntax, Unicode mode) to match, unanchored like RegExp.test. Evaluated in linear time (RE2): backreferences and lookaround are refused.',
    }),
  ),
  enumValues: Type.Optional(
    Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 500, description: 'enum: the allowed values' }),
  ),
  unique: Type.Optional(
    Type.Boolean({ description: 'No two live users of the tenant share a value (strings compared case-insensitively). Default false.' }),
  ),
  readPermission: Type.Optional(Permission),
  writePermission: Type.Optional(Permission),
};

export const AttributeDefinitionSchema = Type.Object(
  {
    key: Type.String(),
    ...definitionFields,
    required: Type.Boolean(),
    unique: Type.Boolean(),
    readPermission: Type.Union([Type.String(), Type.Null()], {
      description: 'Permission needed, besides users:read, to see the value; null for none',
    }),
    writePermission: Type.Union([Type.String(), Type.Null()], {
      description: 'Permission needed, besides users:create/update, to set the value; null for none',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type AttributeDefinition = Static<typeof AttributeDefinitionSchema>;

export const CreateAttributeSchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), ...definitionFields },
  { additionalProperties: false, examples: [{ key: 'employeeId', type: 'string', required: true, unique: true, pattern: '^E[0-9]{4,}$' }] },
);
export type CreateAttributeInput = Static<typeof CreateAttributeSchema>;

export const PatchAttributeSchema = Type.Partial(Type.Object(definitionFields), { additionalProperties: false });
export type PatchAttributeInput = Static<typeof PatchAttributeSchema>;
