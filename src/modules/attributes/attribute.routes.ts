import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { AttributeDefinitionSchema, CreateAttributeSchema, PatchAttributeSchema } from './attribute.schemas.js';
import type { AttributeService } from './attribute.service.js';

const tags = ['Attributes'];
const KeyParams = Type.Object({ key: Type.String({ maxLength: 64 }) });

export const attributeRoutes: FastifyPluginAsyncTypebox<{ attributes: AttributeService; tenants: TenantService }> = async (
  app,
  { attributes, tenants },
) => {
  app.post(
    '/attributes',
    {
      schema: {
        summary: 'Define a custom attribute',
        description: 'Needs `attributes:manage`. Users may only carry attributes defined here.',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateAttributeSchema,
        response: { 201: AttributeDefinitionSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await attributes.createAttribute(await tenantContextOf(request, tenants), request.body)),
  );

  app.get(
    '/attributes',
    {
      schema: {
        summary: 'List attribute definitions',
        tags,
        security: bearer,
        headers: tenantHeader,
        response: { 200: Type.Object({ data: Type.Array(AttributeDefinitionSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await attributes.listAttributes(await tenantContextOf(request, tenants)) }),
  );

  app.patch(
    '/attributes/:key',
    {
      schema: {
        summary: 'Change an attribute definition',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: KeyParams,
        body: PatchAttributeSchema,
        response: { 200: AttributeDefinitionSchema, ...errorResponses },
      },
    },
    async (request) => attributes.updateAttribute(await tenantContextOf(request, tenants), request.params.key, request.body),
  );

  app.delete(
    '/attributes/:key',
    {
      schema: {
        summary: 'Delete an attribute definition',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: KeyParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await attributes.deleteAttribute(await tenantContextOf(request, tenants), request.params.key);
      return reply.code(204).send(null);
    },
  );
};
