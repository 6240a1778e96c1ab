import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { CreateRoleSchema, PatchRoleSchema, RoleSchema } from './role.schemas.js';
import type { RoleService } from './role.service.js';

const tags = ['Roles'];

export const roleRoutes: FastifyPluginAsyncTypebox<{ roles: RoleService; tenants: TenantService }> = async (app, { roles, tenants }) => {
  app.post(
    '/roles',
    {
      schema: {
        summary: 'Create a role',
        description: 'Needs `roles:manage` and every permission given to the role.',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateRoleSchema,
        response: { 201: RoleSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await roles.createRole(await tenantContextOf(request, tenants), request.body)),
  );

  app.get(
    '/roles',
    {
      schema: {
        summary: 'List roles',
        tags,
        security: bearer,
        headers: tenantHeader,
        response: { 200: Type.Object({ data: Type.Array(RoleSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await roles.listRoles(await tenantContextOf(request, tenants)) }),
  );

  app.get(
    '/roles/:id',
    {
      schema: {
        summary: 'Get a role',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 200: RoleSchema, ...errorResponses },
      },
    },
    async (request) => roles.getRole(await tenantContextOf(request, tenants), request.params.id),
  );

  app.patch(
    '/roles/:id',
    {
      schema: {
        summary: 'Change a custom role',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        body: PatchRoleSchema,
        response: { 200: RoleSchema, ...errorResponses },
      },
    },
    async (request) => roles.updateRole(await tenantContextOf(request, tenants), request.params.id, request.body),
  );

  app.delete(
    '/roles/:id',
    {
      schema: {
        summary: 'Delete a custom role',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await roles.deleteRole(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
