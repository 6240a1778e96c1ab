import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bearerToken, tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { ChangeOwnPasswordSchema, CreatePersonalTokenSchema, LoginSchema, PersonalTokenSchema, SessionSchema } from './session.schemas.js';
import type { SessionService } from './session.service.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionService }> = async (app, { sessions }) => {
  app.post(
    '/sessions',
    {
      schema: {
        summary: 'Log in with a password',
        description:
          'No API key: the tenant is named in `X-Roster-Tenant`. Failed attempts are limited per account and per client address (429 with Retry-After). ' +
          'Imported password hashes are verified and upgraded to argon2id.',
        tags: ['Sessions'],
        headers: Type.Object({ 'x-roster-tenant': Type.String({ minLength: 1, maxLength: 100 }) }),
        body: LoginSchema,
        response: { 201: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // A refused attempt's Retry-After is set by the error handler, like every 429.
      const session = await sessions.login(request.headers['x-roster-tenant'], request.body, request.ip);
      return reply.code(201).send(session);
    },
  );

  // Outside the API-key scope on purpose: it is the one route a session bound to change its password may use.
  app.post(
    '/sessions/current/password',
    {
      schema: {
        summary: 'Change your own password',
        description:
          'With the login session token (`Authorization: Bearer rss_…` from POST /v1/sessions) and the current password. The new password must meet the tenant ' +
          'password policy and differ from the current one. Clears `requirePasswordChange` (a session of a user so flagged answers 403 `PASSWORD_CHANGE_REQUIRED` ' +
          'everywhere else), ends every login session and personal access token of the user, this one included, and answers with a new session. ' +
          'Wrong current passwords count toward the per-account login limit.',
        tags: ['Sessions'],
        security: bearer,
        body: ChangeOwnPasswordSchema,
        response: { 201: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await sessions.changeOwnPassword(bearerToken(request.headers.authorization) ?? '', request.body);
      return reply.code(201).send(session);
    },
  );
};

/** Personal access tokens: a user's credentials for clients that sign in as a user (Rocket.Chat's X-User-Id/X-Auth-Token). */
export const personalTokenRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionService; tenants: TenantService }> = async (
  app,
  { sessions, tenants },
) => {
  const tags = ['Sessions'];
  app.post(
    '/users/:id/tokens',
    {
      schema: {
        summary: 'Issue a personal access token acting as a user',
        description:
          "Needs `keys:manage` and every permission of the user's roles. The token authenticates like an API key (`Authorization: Bearer rss_…`) and as Rocket.Chat's `X-Auth-Token`; it lasts until revoked, the user is deactivated or deleted.",
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        body: CreatePersonalTokenSchema,
        response: { 201: PersonalTokenSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = await sessions.issuePersonalToken(await tenantContextOf(request, tenants), request.params.id, request.body.name);
      return reply.code(201).send(token);
    },
  );

  app.delete(
    '/users/:id/sessions',
    {
      schema: {
        summary: "End a user's sessions",
        description:
          'Signs the user out everywhere: every login session (password logins and admin-page sign-ins) ends, and its next request answers 401. ' +
          'Personal access tokens stay. Needs `users:update` and every permission the user holds (the privilege guard). Records `user.sessions_ended`.',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: {
          200: Type.Object(
            { ended: Type.Integer({ minimum: 0, description: 'How many sessions were ended' }) },
            { additionalProperties: false },
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => sessions.endUserSessions(await tenantContextOf(request, tenants), request.params.id),
  );

  app.delete(
    '/users/:id/tokens/:tokenId',
    {
      schema: {
        summary: 'Revoke a personal access token',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: Type.Object({ id: Type.String({ maxLength: 100 }), tokenId: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await sessions.revokePersonalToken(await tenantContextOf(request, tenants), request.params.id, request.params.tokenId);
      return reply.code(204).send(null);
    },
  );
};
