import { Type, type Static } from 'typebox';
import { UserSchema } from '../users/user.schemas.js';

export const LoginSchema = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 320, description: 'Email or username' }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false, examples: [{ login: 'ada@example.com', password: 'correct horse battery' }] },
);
export type LoginInput = Static<typeof LoginSchema>;

export const ChangeOwnPasswordSchema = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
    newPassword: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Must meet the tenant password policy and differ from the current one',
    }),
  },
  { additionalProperties: false, examples: [{ currentPassword: 'correct horse battery', newPassword: 'quiet harbour lantern 7' }] },
);
export type ChangeOwnPasswordInput = Static<typeof ChangeOwnPasswordSchema>;

export const SessionSchema = Type.Object(
  {
    token: Type.String({ description: 'Session token (rss_…); shown once, only its hash is stored' }),
    expiresAt: Type.String({ format: 'date-time' }),
    passwordChangeRequired: Type.Boolean({ description: 'The user must change the password (requirePasswordChange)' }),
    user: UserSchema,
  },
  { additionalProperties: false },
);
export type Session = Static<typeof SessionSchema>;

export const CreatePersonalTokenSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, description: 'What the token is for' }) },
  { additionalProperties: false, examples: [{ name: 'rocket.chat sync' }] },
);

export const PersonalTokenSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    token: Type.String({
      description: 'The token (rss_…), acting as the user with the permissions of its roles. Shown once; only its hash is stored.',
    }),
  },
  { additionalProperties: false },
);
export type PersonalToken = Static<typeof PersonalTokenSchema>;
