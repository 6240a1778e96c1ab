import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { EventListSchema, ListEventsQuerySchema } from './event.schemas.js';
import type { EventService } from './event.service.js';

export const eventRoutes: FastifyPluginAsyncTypebox<{ events: EventService; tenants: TenantService }> = async (
  app,
  { events, tenants },
) => {
  app.get(
    '/events',
    {
      schema: {
        summary: 'The audit log',
        description:
          'Every event of the tenant, oldest first (or newest first with `order=desc`), filtered by type, actor (`actorId`: an API key or user id), ' +
          "resource (`resourceId`, e.g. a user id for that user's history) and time (`since` inclusive, `until` exclusive). Needs `events:read`. " +
          'Kept ROSTER_EVENT_RETENTION_DAYS days.',
        tags: ['Events'],
        security: bearer,
        headers: tenantHeader,
        querystring: ListEventsQuerySchema,
        response: { 200: EventListSchema, ...errorResponses },
      },
    },
    async (request) => events.listEvents(await tenantContextOf(request, tenants), request.query),
  );
};
