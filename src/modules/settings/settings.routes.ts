import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { PatchSettingsSchema, TenantSettingsSchema } from './settings.schemas.js';

const tags = ['Settings'];

export const settingsRoutes: FastifyPluginAsyncTypebox<{ tenants: TenantService }> = async (app, { tenants }) => {
  app.get(
    '/settings',
    {
      schema: {
        summary: "Read the tenant's policies",
        description: 'Needs `settings:manage`. Every member is present, defaults included.',
        tags,
        security: bearer,
        headers: tenantHeader,
        response: { 200: TenantSettingsSchema, ...errorResponses },
      },
    },
    async (request) => tenants.getSettings(await tenantContextOf(request, tenants)),
  );

  app.patch(
    '/settings',
    {
      schema: {
        summary: "Change the tenant's policies",
        description:
          'JSON Merge Patch (RFC 7396): members sent replace, objects merge, and `null` resets a whole policy (`{"email": null}`) or one member at any depth (`{"email": {"blockFreeMail": null}}`) to its default. Needs `settings:manage`. Applies to users created or changed afterwards.',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: PatchSettingsSchema,
        response: { 200: TenantSettingsSchema, ...errorResponses },
      },
    },
    async (request) => tenants.updateSettings(await tenantContextOf(request, tenants), request.body),
  );
};
