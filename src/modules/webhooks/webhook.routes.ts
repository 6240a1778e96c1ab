import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { CreatedWebhookSchema, CreateWebhookSchema, DeliverySchema, PatchWebhookSchema, WebhookSchema } from './webhook.schemas.js';
import type { WebhookService } from './webhook.service.js';

const tags = ['Webhooks'];

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService; tenants: TenantService }> = async (
  app,
  { webhooks, tenants },
) => {
  app.post(
    '/webhooks',
    {
      schema: {
        summary: 'Register a webhook',
        description:
          'Needs `webhooks:manage`. Deliveries are signed per Standard Webhooks (see docs/webhooks.md); the secret is in this response only.',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateWebhookSchema,
        response: { 201: CreatedWebhookSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.createWebhook(await tenantContextOf(request, tenants), request.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        summary: 'List webhooks',
        tags,
        security: bearer,
        headers: tenantHeader,
        response: { 200: Type.Object({ data: Type.Array(WebhookSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await webhooks.listWebhooks(await tenantContextOf(request, tenants)) }),
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Get a webhook',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 200: WebhookSchema, ...errorResponses },
      },
    },
    async (request) => webhooks.getWebhook(await tenantContextOf(request, tenants), request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Change a webhook',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        body: PatchWebhookSchema,
        response: { 200: WebhookSchema, ...errorResponses },
      },
    },
    async (request) => webhooks.updateWebhook(await tenantContextOf(request, tenants), request.params.id, request.body),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await webhooks.deleteWebhook(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: 'Delivery log of a webhook',
        description: 'Newest first, with every attempt (status code, latency, error).',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(DeliverySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: await webhooks.listDeliveries(await tenantContextOf(request, tenants), request.params.id, request.query.limit ?? 50),
    }),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        summary: 'Send a delivery again',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: Type.Object({ id: Type.String({ maxLength: 100 }), deliveryId: Type.String({ maxLength: 100 }) }),
        response: { 202: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await webhooks.redeliver(await tenantContextOf(request, tenants), request.params.id, request.params.deliveryId);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/webhooks/:id/ping',
    {
      schema: {
        summary: 'Send a test event',
        description: 'A `webhook.ping` event, to this webhook only; watch it in the delivery log.',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 202: Type.Object({ eventId: Type.String(), deliveryId: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(202).send(await webhooks.ping(await tenantContextOf(request, tenants), request.params.id)),
  );
};
