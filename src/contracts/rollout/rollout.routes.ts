import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { bearerToken, resolveTenantContext } from '../../http/auth.js';
import { headerValue, useContractErrors, type ContractOptions } from '../shared/contract-plugin.js';
import { registerRolloutBodies } from './rollout.body.js';
import { list as listRoles } from '../../modules/roles/role.repository.js';
import { findRoleName } from '../../rules/role-name.js';
import { ROLLOUT_FREE_TEXT, toCreateInput, toRolloutError, toRolloutUser } from './rollout.mapper.js';
import { RolloutCreated, RolloutCreateUserBody, RolloutError } from './rollout.schemas.js';

const CREDENTIAL_HEADER = 'x-rollout-credential-id';

/**
 * Rollout's Universal CRM Create User (seed 000) at /compat/rollout. `Authorization: Bearer` carries
 * a Roster API key, a user token or a JWT of a trusted issuer (bound to one tenant and role: JwtService);
 * X-Rollout-Credential-Id names the tenant.
 */
export const rolloutRoutes: FastifyPluginAsyncTypebox<ContractOptions> = async (app, { core }) => {
  useContractErrors(app, toRolloutError);
  await registerRolloutBodies(app);

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user (Rollout Universal CRM)',
        description:
          'Body as JSON, multipart/form-data (bracket notation or JSON text for address and participatingOfficeIds) or text/plain JSON. 201 with an array holding the one unified user. See docs/contracts/rollout.md.',
        tags: ['Contract: Rollout'],
        security: [{ bearerAuth: [], rolloutCredentialId: [] }],
        headers: Type.Object({
          [CREDENTIAL_HEADER]: Type.Optional(
            Type.String({
              maxLength: 100,
              description:
                'The tenant: slug, id or number (required with a platform key; a JWT names its tenant in a claim, which this must match when given)',
            }),
          ),
        }),
        body: RolloutCreateUserBody,
        consumes: ['application/json', 'multipart/form-data', 'text/plain'],
        response: { 201: RolloutCreated, '4xx': RolloutError, '5xx': RolloutError },
      },
      onRequest: async (request) => {
        const token = bearerToken(request.headers.authorization);
        const principal =
          token === undefined
            ? undefined
            : ((await core.jwt.authenticate(token, headerValue(request, CREDENTIAL_HEADER))) ?? (await core.authenticate(token)));
        if (!principal) throw new AppError('UNAUTHENTICATED', { detail: 'Unauthorized: send "Authorization: Bearer <token>"' });
        request.principal = principal;
      },
    },
    async (request, reply) => {
      const principal = request.principal as NonNullable<typeof request.principal>;
      const ctx = await resolveTenantContext(principal, headerValue(request, CREDENTIAL_HEADER), String(request.id), core.tenants);
      const body = request.body;
      const role = findRoleName(body.role, await listRoles(core.database.db, ctx.tenantId));
      // The user as the caller may see it (attributes with a read permission it lacks stay hidden).
      const user = await core.users.createUser(ctx, toCreateInput(body, role), { asSent: [...ROLLOUT_FREE_TEXT] });
      return reply
        .code(201)
        .header('location', `/v1/users/${user.id}`)
        .send([toRolloutUser(user, { status: body.status, role: role === undefined ? body.role : undefined })]);
    },
  );
};
