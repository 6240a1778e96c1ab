import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../http/auth.js';
import { bearer, errorResponses } from '../../http/route-helpers.js';
import { CreateTenantSchema, TenantListSchema, TenantSchema } from './tenant.schemas.js';
import type { TenantService } from './tenant.service.js';

const tags = ['Tenants'];

export const tenantRoutes: FastifyPluginAsyncTypebox<{ tenants: TenantService }> = async (app, { tenants }) => {
  app.post(
    '/tenants',
    {
      schema: {
        summary: 'Create a tenant',
        description: 'Platform keys only (`tenants:manage`). The tenant starts with the roles `admin` and `user`.',
        tags,
        security: bearer,
        body: CreateTenantSchema,
        response: { 201: TenantSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const tenant = await tenants.createTenant(principalOf(request), request.body);
      return reply.code(201).header('location', `/v1/tenants/${tenant.id}`).send(tenant);
    },
  );

  app.get(
    '/tenants',
    {
      schema: {
        summary: 'List tenants',
        tags,
        security: bearer,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: TenantListSchema, ...errorResponses },
      },
    },
    async (request) => tenants.listTenants(principalOf(request), { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );
};
