import { Type, type Static } from 'typebox';
import { UserSchema } from '../users/user.schemas.js';

export const CreateBrowserSessionSchema = Type.Object(
  {
    apiKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        description: 'Sign in with an API key (or a personal access token) instead of a password',
      }),
    ),
    tenant: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'With login and password: the tenant (slug, id or number) the user belongs to',
      }),
    ),
    login: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Email or username' })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  {
    additionalProperties: false,
    examples: [{ tenant: 'acme', login: 'ada@acme.com', password: 'correct horse battery' }, { apiKey: 'rst_…' }],
  },
);
export type CreateBrowserSessionInput = Static<typeof CreateBrowserSessionSchema>;

export const BrowserSessionSchema = Type.Object(
  {
    kind: Type.String({ description: '`user` (signed in with a password) or `api_key`' }),
    role: Type.String({ description: 'The role (or roles, comma-separated) whose permissions apply' }),
    permissions: Type.Array(Type.String()),
    tenant: Type.Union(
      [Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }, { additionalProperties: false }), Type.Null()],
      {
        description:
          'The one tenant the credentials belong to; null for platform credentials, which name a tenant per request in X-Roster-Tenant',
      },
    ),
    user: Type.Union([UserSchema, Type.Null()], { description: 'The signed-in user, for password sign-ins' }),
    csrfToken: Type.String({ description: 'Send as `X-CSRF-Token` with every POST, PATCH and DELETE authenticated by the cookie' }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type BrowserSession = Static<typeof BrowserSessionSchema>;
