import { Type, type Static } from 'typebox';

export const ApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.Union([Type.String(), Type.Null()], { description: 'null for platform keys' }),
    name: Type.String(),
    role: Type.String({ description: 'A role of the tenant, or `platform-admin`' }),
    prefix: Type.String({ description: 'The first 20 characters of the key, to recognise it' }),
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
  },
  { additionalProperties: false },
);
export type CreateApiKeyInput = Static<typeof CreateApiKeySchema>;
