import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { systemPrincipal } from '../../modules/context.js';
import { bearerAuth, contractContext, useContractErrors, type ContractOptions } from '../shared/contract-plugin.js';
import { toCreateInput, toPulseError, toPulseUser } from './pulse.mapper.js';
import { PulseCreateUserBody, PulseErrorResponse, PulseUserResponse } from './pulse.schemas.js';

/**
 * Pulse's Create User (seed 001) at /compat/pulse: Bearer credentials (a Roster API key or a user
 * token) and the account in `x-account-id` (the tenant's number, id or slug). Users created here
 * are announced as `user.created` and as Pulse's `user_created`.
 */
export const pulseRoutes: FastifyPluginAsyncTypebox<ContractOptions> = async (app, { core }) => {
  useContractErrors(app, toPulseError);

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user (Pulse)',
        description:
          'Pulse `POST /users`. `x-account-id` names the account (tenant); a key may only name its own. See docs/contracts/pulse.md.',
        tags: ['Contract: Pulse'],
        security: [{ bearerAuth: [] }],
        headers: Type.Object({
          'x-account-id': Type.String({ maxLength: 100, description: 'Account ID: the tenant number, id or slug', examples: ['2311'] }),
        }),
        body: PulseCreateUserBody,
        response: { 201: PulseUserResponse, '4xx': PulseErrorResponse, '5xx': PulseErrorResponse },
      },
      onRequest: bearerAuth(core.authenticate, 'A valid Bearer token is required'),
    },
    async (request, reply) => {
      const { principal, ctx } = await contractContext(request, core, 'x-account-id');
      const user = await core.users.createUser(ctx, toCreateInput(request.body), {
        alsoAnnounceAs: ['user_created'],
        asSent: ['phone'],
        freeTextRoles: true,
      });
      const tenant = await core.tenants.getTenant(ctx.tenantId);
      // Pulse shows the creator by email: only a signed-in user has one.
      const creator =
        principal.kind === 'user' ? await core.users.getUser({ ...ctx, principal: systemPrincipal }, principal.id) : undefined;
      return reply.code(201).send(toPulseUser(user, tenant, creator?.email ?? undefined));
    },
  );
};
