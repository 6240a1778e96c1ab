import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, fieldError } from '../../errors/app-error.js';
import { requirePermission } from '../../modules/context.js';
import { headerValue, useContractErrors, type ContractOptions } from '../shared/contract-plugin.js';
import { bool, toCreateInput, toRocketChatError, toRocketChatUser } from './rocketchat.mapper.js';
import {
  RocketChatAuthError,
  RocketChatCreated,
  RocketChatCreateUserBody,
  RocketChatError,
  RocketChatLoginBody,
  RocketChatLoginResponse,
} from './rocketchat.schemas.js';

const tags = ['Contract: Rocket.Chat'];
const userHeaders = Type.Object({
  'x-user-id': Type.Optional(Type.String({ description: 'The signed-in user id' })),
  'x-auth-token': Type.Optional(Type.String({ description: 'A session token from /api/v1/login or a personal access token (rss_…)' })),
});

/**
 * Rocket.Chat's users.create (seed 002) at /compat/rocketchat, with its login. A user acts with the
 * permissions of its roles: `create-user` is Roster's `users:create`, `edit-other-user-active-status`
 * is `users:set-active`.
 */
export const rocketChatRoutes: FastifyPluginAsyncTypebox<ContractOptions> = async (app, { core, config }) => {
  useContractErrors(app, (error, request) => {
    if (
      request.url.endsWith('/login') &&
      (error.code === 'INVALID_CREDENTIALS' || error.code === 'USER_INACTIVE' || error.code === 'TENANT_NOT_FOUND')
    ) {
      return { status: 401, body: { status: 'error', error: 'Unauthorized', message: 'Unauthorized' } };
    }
    return toRocketChatError(error, request.body);
  });

  app.post(
    '/api/v1/login',
    {
      schema: {
        summary: 'Log in (Rocket.Chat)',
        description:
          "Rocket.Chat login: `{user, password}` (user = username or email). The tenant is `X-Roster-Tenant` when sent, else the server's ROSTER_ROCKETCHAT_TENANT (Rocket.Chat clients send no tenant). The authToken is a Roster session token.",
        tags,
        headers: Type.Object({
          'x-roster-tenant': Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 100,
              description: 'Slug, id or number of the tenant; default ROSTER_ROCKETCHAT_TENANT',
            }),
          ),
        }),
        body: RocketChatLoginBody,
        response: { 200: RocketChatLoginResponse, 401: RocketChatAuthError, '4xx': RocketChatError },
      },
    },
    async (request) => {
      const login = request.body.user ?? request.body.username ?? request.body.email;
      if (login === undefined) throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/user', 'FIELD_REQUIRED')] });
      const tenant = request.headers['x-roster-tenant'] ?? config.rocketChatTenant;
      if (tenant === undefined)
        throw new AppError('VALIDATION_FAILED', {
          detail: 'Name the tenant in X-Roster-Tenant, or set ROSTER_ROCKETCHAT_TENANT on the server',
          errors: [fieldError('/x-roster-tenant', 'FIELD_REQUIRED')],
        });
      const session = await core.sessions.login(tenant, { login, password: request.body.password }, request.ip);
      return {
        status: 'success' as const,
        data: { userId: session.user.id, authToken: session.token, me: toRocketChatUser(session.user) },
      };
    },
  );

  app.post(
    '/api/v1/users.create',
    {
      schema: {
        summary: 'Create a user (Rocket.Chat)',
        description: 'Rocket.Chat `users.create`. Authenticate with `X-User-Id` and `X-Auth-Token`. See docs/contracts/rocketchat.md.',
        tags,
        security: [{ rocketChatUserId: [], rocketChatAuthToken: [] }],
        headers: userHeaders,
        body: RocketChatCreateUserBody,
        response: { 200: RocketChatCreated, 401: RocketChatAuthError, '4xx': RocketChatError, '5xx': RocketChatError },
      },
      // The token alone decides who acts and in which tenant; X-User-Id must name the same user.
      onRequest: async (request) => {
        const token = headerValue(request, 'x-auth-token');
        const principal = token ? await core.sessions.authenticate(token) : undefined;
        if (!principal || principal.id !== headerValue(request, 'x-user-id')) throw new AppError('UNAUTHENTICATED');
        request.principal = principal;
      },
    },
    async (request) => {
      const principal = request.principal as NonNullable<typeof request.principal>;
      const ctx = { tenantId: principal.tenantId as string, principal, requestId: String(request.id) };
      const body = request.body;
      requirePermission(principal, 'users:create');
      // Rocket.Chat asks for this permission whenever `active` is sent, not only to deactivate.
      if (body.active !== undefined) requirePermission(principal, 'users:set-active');
      if (body.password === undefined && bool(body.setRandomPassword) !== true)
        throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/password', 'FIELD_REQUIRED')] });
      // The seed requires `name`: blank once trimmed it is refused (Rocket.Chat's "The field Name is required").
      const user = await core.users.createUser(ctx, toCreateInput(body), {
        defaultGroupTypes: ['channel'],
        requiredNames: ['displayName'],
        freeTextRoles: true,
      });
      return { user: toRocketChatUser(user), success: true };
    },
  );
};
