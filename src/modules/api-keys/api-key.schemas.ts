import { Type, type Static } from 'typebox';

/** A custom key prefix: lower-case letters and digits in one or two parts, each ending in `_` (`flt_sk_`). */
export const KEY_PREFIX_PATTERN = '[a-z][a-z0-9]{0,9}_(?:[a-z0-9]{1,10}_)?';

export const ApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.Union([Type.String(), Type.Null()], { description: 'null for platform keys' }),
    name: Type.String(),
    role: Type.String({ description: 'A role of the tenant, or `platform-admin`' }),
    prefix: Type.String({ description: 'The start of the key (its prefix and 16 random characters), to recognise it' }),
    createdAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String(),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ApiKey = Static<typeof ApiKeySchema>;

export const CreatedApiKeySchema = Type.Object(
  { ...ApiKeySchema.properties, secret: Type.String({ description: 'The key itself. Shown once, never stored in clear.' }) },
  { additionalProperties: false },
);
export type CreatedApiKey = ApiKey & { secret: string };

export const CreateApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['hr-sync'] }),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Role of the tenant the key acts as (default `admin`)' })),
    platform: Type.Optional(Type.Boolean({ description: 'Create a platform key (needs a platform key; no tenant)' })),
    prefix: Type.Optional(
      Type.String({
        pattern: `^${KEY_PREFIX_PATTERN}$`,
        maxLength: 22,
        description:
          'Text the key starts with instead of `rst_`, for clients that expect their own key form (e.g. `flt_sk_` for Fleet). The key is this prefix and 48 random characters.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyInput = Static<typeof CreateApiKeySchema>;

export const PatchApiKeySchema = Type.Object(
  {
    name: Type.Optional(CreateApiKeySchema.properties.name),
    role: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'Another role of the tenant for the key to act as (tenant keys only); the caller needs every permission of the old and the new role',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: 'hr-sync (read only)', role: 'user' }] },
);
export type PatchApiKeyInput = Static<typeof PatchApiKeySchema>;
