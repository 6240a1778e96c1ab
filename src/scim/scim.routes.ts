import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { useJsonBodyParser } from '../http/hostile-input.js';
import type { Core } from '../app.js';
import { AppError } from '../errors/app-error.js';
import { asAppError, setRetryAfter } from '../http/error-handler.js';
import { bearerAuth, contractContext } from '../contracts/shared/contract-plugin.js';
import { LIMITS, SCIM_CONTENT_TYPE, URN } from './scim.constants.js';
import { runBulk } from './scim-bulk.js';
import { resourceTypes, schemas, serviceProviderConfig } from './scim-discovery.js';
import { toScimError } from './scim-error.js';
import { ScimGroups } from './scim-groups.service.js';
import { ScimUsers, type ListQuery, type ScimResult } from './scim-users.service.js';

const tags = ['SCIM 2.0'];
const TENANT_HEADER = 'x-roster-tenant';

function listQuery(query: unknown): ListQuery {
  const q = (query ?? {}) as Record<string, string | undefined>;
  const int = (v: string | undefined) => (v !== undefined && /^-?\d{1,9}$/.test(v) ? Number(v) : undefined);
  return {
    filter: q.filter,
    startIndex: int(q.startIndex),
    count: int(q.count),
    sortBy: q.sortBy,
    sortOrder: q.sortOrder,
    attributes: q.attributes,
    excludedAttributes: q.excludedAttributes,
  };
}

function send(reply: FastifyReply, result: ScimResult): FastifyReply {
  if (result.location) reply.header('location', result.location);
  if (result.version) reply.header('etag', result.version);
  reply.code(result.status).type(SCIM_CONTENT_TYPE);
  return result.body === undefined ? reply.send() : reply.send(JSON.stringify(result.body));
}

const ifMatch = (request: FastifyRequest) => (typeof request.headers['if-match'] === 'string' ? request.headers['if-match'] : undefined);

/**
 * SCIM 2.0 at /scim/v2 (RFC 7643/7644): Users, Groups, Bulk and the discovery endpoints. An
 * adapter over the same services as /v1; Bearer API key or user token, tenant from the key.
 */
export const scimRoutes: FastifyPluginAsync<{ core: Core; publicUrl: string }> = async (app, { core, publicUrl }) => {
  const baseUrl = `${publicUrl}/scim/v2`;
  const users = new ScimUsers(core, baseUrl);
  const groups = new ScimGroups(core, baseUrl);

  // The one JSON parser of every surface: prototype member names and deep nesting are refused there (400 invalidSyntax).
  useJsonBodyParser(app, [SCIM_CONTENT_TYPE]);
  app.setErrorHandler((error, request, reply) => {
    const appError = asAppError(error as Parameters<typeof asAppError>[0], request);
    setRetryAfter(reply, appError);
    const { status, body } = toScimError(appError);
    return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toScimError(
      new AppError('ROUTE_NOT_FOUND', { detail: `No SCIM endpoint ${request.method} ${request.url.split('?')[0]}` }),
    );
    return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
  });

  // Discovery needs no credentials: it describes the service, not a tenant.
  app.get('/ServiceProviderConfig', { schema: { tags, summary: 'SCIM service provider configuration' } }, (_req, reply) =>
    send(reply, { status: 200, body: serviceProviderConfig(baseUrl) }),
  );
  app.get('/ResourceTypes', { schema: { tags, summary: 'SCIM resource types' } }, (request, reply) =>
    send(reply, {
      status: 200,
      body: { schemas: [URN.listResponse], totalResults: 2, startIndex: 1, itemsPerPage: 2, Resources: resourceTypes(baseUrl) },
    }),
  );
  app.get('/ResourceTypes/:id', { schema: { tags, summary: 'A SCIM resource type' } }, async (request, reply) => {
    const found = resourceTypes(baseUrl).find((r) => r.id === (request.params as { id: string }).id);
    if (!found) throw new AppError('ROUTE_NOT_FOUND', { detail: 'No such resource type' });
    return send(reply, { status: 200, body: found });
  });
  app.get('/Schemas', { schema: { tags, summary: 'SCIM schemas' } }, (request, reply) =>
    send(reply, {
      status: 200,
      body: { schemas: [URN.listResponse], totalResults: 3, startIndex: 1, itemsPerPage: 3, Resources: schemas(baseUrl) },
    }),
  );
  app.get('/Schemas/:id', { schema: { tags, summary: 'A SCIM schema' } }, async (request, reply) => {
    const found = schemas(baseUrl).find((s) => s.id === (request.params as { id: string }).id);
    if (!found) throw new AppError('ROUTE_NOT_FOUND', { detail: 'No such schema' });
    return send(reply, { status: 200, body: found });
  });

  await app.register(async (authed) => {
    authed.addHook('onRequest', bearerAuth(core.authenticate, 'Send an API key as "Authorization: Bearer rst_…"'));
    const ctxOf = async (request: FastifyRequest) => (await contractContext(request, core, TENANT_HEADER)).ctx;

    for (const [resource, service] of [
      ['Users', users],
      ['Groups', groups],
    ] as const) {
      authed.post(`/${resource}`, { schema: { tags, summary: `Create a SCIM ${resource.slice(0, -1)}` } }, async (request, reply) =>
        send(reply, await service.create(await ctxOf(request), request.body)),
      );
      authed.get(`/${resource}`, { schema: { tags, summary: `List or filter SCIM ${resource}` } }, async (request, reply) =>
        send(reply, await service.list(await ctxOf(request), listQuery(request.query))),
      );
      authed.get(`/${resource}/:id`, { schema: { tags, summary: `Get a SCIM ${resource.slice(0, -1)}` } }, async (request, reply) => {
        const result = await service.get(await ctxOf(request), (request.params as { id: string }).id, listQuery(request.query));
        const noneMatch = request.headers['if-none-match'];
        if (
          typeof noneMatch === 'string' &&
          result.version !== undefined &&
          noneMatch
            .split(',')
            .map((v) => v.trim())
            .includes(result.version)
        ) {
          return reply.code(304).header('etag', result.version).send();
        }
        return send(reply, result);
      });
      authed.put(`/${resource}/:id`, { schema: { tags, summary: `Replace a SCIM ${resource.slice(0, -1)}` } }, async (request, reply) =>
        send(reply, await service.replace(await ctxOf(request), (request.params as { id: string }).id, request.body, ifMatch(request))),
      );
      authed.patch(
        `/${resource}/:id`,
        { schema: { tags, summary: `Patch a SCIM ${resource.slice(0, -1)} (add, replace, remove)` } },
        async (request, reply) =>
          send(reply, await service.patch(await ctxOf(request), (request.params as { id: string }).id, request.body, ifMatch(request))),
      );
      authed.delete(`/${resource}/:id`, { schema: { tags, summary: `Delete a SCIM ${resource.slice(0, -1)}` } }, async (request, reply) =>
        send(reply, await service.delete(await ctxOf(request), (request.params as { id: string }).id, ifMatch(request))),
      );
    }
    authed.post(
      '/Bulk',
      { bodyLimit: LIMITS.bulkMaxPayloadSize, config: { itemizedBody: true }, schema: { tags, summary: 'SCIM bulk operations' } },
      async (request, reply) => send(reply, await runBulk(await ctxOf(request), request.body, users, groups)),
    );
  });
};
