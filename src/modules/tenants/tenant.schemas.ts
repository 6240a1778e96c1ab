import { Type, type Static } from 'typebox';
import { TenantSettingsSchema } from '../settings/settings.schemas.js';
import { PresetNameSchema } from './tenant-presets.js';

export const TenantSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    seq: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    defaultLocale: Type.String(),
    defaultTimezone: Type.String(),
    settings: TenantSettingsSchema,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Tenant = Static<typeof TenantSchema>;

export const CreateTenantSchema = Type.Object(
  {
    slug: Type.String({
      maxLength: 63,
      description: '2-63 lowercase letters, digits and dashes; names the tenant in `X-Roster-Tenant`',
      examples: ['acme'],
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Defaults to the slug' })),
    defaultLocale: Type.Optional(
      Type.String({ maxLength: 35, description: 'BCP 47 tag given to users created without one (default `en`)' }),
    ),
    defaultTimezone: Type.Optional(
      Type.String({ maxLength: 64, description: 'IANA zone given to users created without one (default `UTC`)' }),
    ),
    preset: Type.Optional(PresetNameSchema),
  },
  { additionalProperties: false },
);
export type CreateTenantInput = Static<typeof CreateTenantSchema>;

export const TenantListSchema = Type.Object({ data: Type.Array(TenantSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) });
