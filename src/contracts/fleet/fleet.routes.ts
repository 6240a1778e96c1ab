import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bearerAuth, contractContext, useContractErrors, type ContractOptions } from '../shared/contract-plugin.js';
import { FLEET_FREE_TEXT, toCreateInput, toFleetError, toFleetUser } from './fleet.mapper.js';
import { FleetCreateUserBody, FleetErrorResponse, FleetUserResponse } from './fleet.schemas.js';

/**
 * Fleet's Create User (seed 004) at /compat/fleet. A Roster API key is the bearer token (issue one
 * with `prefix: "flt_sk_"` to keep Fleet's key form); personal and disposable email domains are
 * refused whatever the tenant's own policy.
 */
export const fleetRoutes: FastifyPluginAsyncTypebox<ContractOptions> = async (app, { core }) => {
  useContractErrors(app, toFleetError);

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user (Fleet)',
        description:
          'Fleet `POST /users`: snake_case body, only `email` required, `role` EMPLOYEE (default) or ADMIN. See docs/contracts/fleet.md.',
        tags: ['Contract: Fleet'],
        security: [{ bearerAuth: [] }],
        body: FleetCreateUserBody,
        response: { 201: FleetUserResponse, '4xx': FleetErrorResponse, '5xx': FleetErrorResponse },
      },
      // Authentication comes first, so an anonymous caller learns nothing from validation errors.
      onRequest: bearerAuth(core.authenticate, 'Send a Fleet API key as "Authorization: Bearer flt_sk_…"'),
    },
    async (request, reply) => {
      const { ctx } = await contractContext(request, core, 'x-roster-tenant');
      const user = await core.users.createUser(ctx, toCreateInput(request.body), {
        emailPolicy: { blockFreeMail: true, blockDisposable: true },
        asSent: [...FLEET_FREE_TEXT],
      });
      const tenant = await core.tenants.getTenant(ctx.tenantId);
      return reply.code(201).send({ data: toFleetUser(user, tenant.seq, request.body.phone_country) });
    },
  );
};
