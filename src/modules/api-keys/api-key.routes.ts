import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { principalOf, tenantContextOf, TENANT_HEADER } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema, PatchApiKeySchema } from './api-key.schemas.js';
import type { ApiKeyService } from './api-key.service.js';

const tags = ['API keys'];

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ apiKeys: ApiKeyService; tenants: TenantService }> = async (
  app,
  { apiKeys, tenants },
) => {
  /** Platform keys without a tenant header manage platform keys; everyone else manages the keys of a tenant. */
  const scopeOf = async (request: FastifyRequest): Promise<string | null> =>
    principalOf(request).tenantId === null && request.headers[TENANT_HEADER] === undefined
      ? null
      : (await tenantContextOf(request, tenants)).tenantId;

  app.post(
    '/api-keys',
    {
      schema: {
        summary: 'Create an API key',
        description:
          'Needs `keys:manage`, and every permission of the role given. The secret is in this response only. `platform: true` creates a platform key (platform keys only).',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateApiKeySchema,
        response: { 201: CreatedApiKeySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // A tenant key naming another tenant is refused here as on every route (tenantContextOf).
      const tenantId = request.body.platform ? null : (await tenantContextOf(request, tenants)).tenantId;
      return reply.code(201).send(await apiKeys.createKey(principal, tenantId, request.body));
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        summary: 'List API keys',
        tags,
        security: bearer,
        headers: tenantHeader,
        response: { 200: Type.Object({ data: Type.Array(ApiKeySchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await apiKeys.listKeys(principalOf(request), await scopeOf(request)) }),
  );

  app.patch(
    '/api-keys/:id',
    {
      schema: {
        summary: 'Rename an API key or change its role',
        description:
          "Needs `keys:manage`, every permission of the key's current role and every permission of the new one. The secret stays the same; a revoked key stays revoked.",
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        body: PatchApiKeySchema,
        response: { 200: ApiKeySchema, ...errorResponses },
      },
    },
    async (request) => apiKeys.updateKey(principalOf(request), await scopeOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: {
        summary: 'Revoke an API key',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await apiKeys.revokeKey(principalOf(request), await scopeOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
