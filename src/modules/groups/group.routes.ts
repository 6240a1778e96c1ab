import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { CreateGroupSchema, GroupSchema, ListGroupsQuerySchema, PatchGroupSchema } from './group.schemas.js';
import type { GroupService } from './group.service.js';

const tags = ['Groups'];

export const groupRoutes: FastifyPluginAsyncTypebox<{ groups: GroupService; tenants: TenantService }> = async (
  app,
  { groups, tenants },
) => {
  app.post(
    '/groups',
    {
      schema: {
        summary: 'Create a group',
        description: 'Needs `groups:manage`.',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateGroupSchema,
        response: { 201: GroupSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await groups.createGroup(await tenantContextOf(request, tenants), request.body)),
  );

  app.get(
    '/groups',
    {
      schema: {
        summary: 'List groups',
        tags,
        security: bearer,
        headers: tenantHeader,
        querystring: ListGroupsQuerySchema,
        response: { 200: Type.Object({ data: Type.Array(GroupSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await groups.listGroups(await tenantContextOf(request, tenants), request.query.type) }),
  );

  app.get(
    '/groups/:id',
    {
      schema: {
        summary: 'Get a group',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 200: GroupSchema, ...errorResponses },
      },
    },
    async (request) => groups.getGroup(await tenantContextOf(request, tenants), request.params.id),
  );

  app.patch(
    '/groups/:id',
    {
      schema: {
        summary: 'Change a group',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        body: PatchGroupSchema,
        response: { 200: GroupSchema, ...errorResponses },
      },
    },
    async (request) => groups.updateGroup(await tenantContextOf(request, tenants), request.params.id, request.body),
  );

  app.delete(
    '/groups/:id',
    {
      schema: {
        summary: 'Delete a group',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await groups.deleteGroup(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
