import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../app.js';
import type { Config } from '../config/config.js';
import { apiKeyRoutes } from '../modules/api-keys/api-key.routes.js';
import { healthRoutes } from '../modules/health/health.routes.js';
import { tenantRoutes } from '../modules/tenants/tenant.routes.js';
import { userRoutes } from '../modules/users/user.routes.js';
import { userBatchRoutes } from '../modules/users/user-batch.routes.js';
import { registerIdempotency } from './idempotency.js';
import { attributeRoutes } from '../modules/attributes/attribute.routes.js';
import { groupRoutes } from '../modules/groups/group.routes.js';
import { roleRoutes } from '../modules/roles/role.routes.js';
import { settingsRoutes } from '../modules/settings/settings.routes.js';
import { importRoutes } from '../modules/imports/import.routes.js';
import { eventRoutes } from '../modules/events/event.routes.js';
import { mailLinkRoutes, mailRoutes } from '../modules/mail/mail.routes.js';
import { mailPageRoutes } from '../modules/mail/mail-pages.routes.js';
import { webhookRoutes } from '../modules/webhooks/webhook.routes.js';
import { personalTokenRoutes, sessionRoutes } from '../modules/sessions/session.routes.js';
import { browserSessionRoutes } from '../modules/sessions/browser-session.routes.js';
import { adminPageRoutes } from '../admin/admin.routes.js';
import { requireApiKey } from './auth.js';
import { registerContracts } from '../contracts/contract-routes.js';
import { scimRoutes } from '../scim/scim.routes.js';
import { registerReadRouting } from './read-routing.js';
import { registerErrorHandler, sendProblem } from './error-handler.js';
import { toProblem } from './problem.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerBodyDeadline } from './body-deadline.js';
import { registerTextGuard, useJsonBodyParser } from './hostile-input.js';
import { registerRateLimits } from './rate-limits.js';
import { requestSerializer, UrlRedactor } from './log-redaction.js';
import { registerOpenApi } from './openapi.js';
import { logIdentity } from './log-identity.js';
import { rootRoutes } from './root.routes.js';
import { createSerializerCompiler, createValidatorCompiler } from './validation.js';

export interface HttpOptions {
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: Writable;
  version?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Secrets that could ride along in a logged object; the default request serializer logs no headers or bodies anyway.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'secret',
  '*.secret',
  'body',
  '*.body',
];

function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export async function buildHttpServer(core: Core, config: Config, options: HttpOptions = {}): Promise<FastifyInstance> {
  // Mail link tokens ride in URLs (`?token=`, `/v1/password-setups/<token>`): logged URLs have them redacted.
  const urls = new UrlRedactor();
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { req: requestSerializer(urls) },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // request.ip (rate limits, login limits, logs) is the client's address only when the proxies in front are named.
    // A hop count trusts that many proxies nearest Roster (Fastify's own rule for a number, which its types omit).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Long path parameters (tokens, odd ids) reach validation and get the documented 4xx, not Fastify's 414.
    routerOptions: { maxParamLength: 1000 },
    // Errors Fastify raises before routing (a malformed URL) in the documented problem format.
    frameworkErrors: (error, request, reply) => {
      const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URI_TOO_LONG' : 'BAD_REQUEST';
      return sendProblem(
        reply,
        toProblem(code, String(request.id), { detail: code === 'BAD_REQUEST' ? 'The URL is malformed' : 'A path segment is too long' }),
      );
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  urls.watch(app);
  app.setValidatorCompiler(createValidatorCompiler());
  app.setSerializerCompiler(createSerializerCompiler());
  app.decorateRequest('principal', null);
  // text/plain is not a JSON body; only adapters that accept it (e.g. Rollout) register a parser for it.
  app.removeContentTypeParser('text/plain');
  useJsonBodyParser(app, ['application/json', 'application/merge-patch+json']);
  registerErrorHandler(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // DATABASE_READ_URL: list reads go to the replica (src/db/read-replica.ts).
  if (core.database.replicaStatus) registerReadRouting(app, config.readMaxLagSeconds);
  registerBodyDeadline(app, config.requestTimeoutMs);
  registerTextGuard(app);
  // Parses the admin page's session cookie (before the rate limits, which count it as a credential).
  await app.register(cookie);
  await registerSecurityHeaders(app);
  const rateLimits = await registerRateLimits(app, {
    perKeyPerMinute: config.rateLimitPerKey,
    perAddressPerMinute: config.rateLimitPerAddress,
    redisUrl: config.redisUrl,
  });
  app.addHook('onResponse', async (request, reply) => {
    // The "request completed" line (logged after this hook) says for whom and by whom the request was made.
    const who = logIdentity(request);
    if (who) reply.log = reply.log.child(who);
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    core.metrics.httpRequests.inc(labels);
    core.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  await registerOpenApi(app, options.version ?? '0.1.0');
  const replicaStatus = core.database.replicaStatus;
  await app.register(healthRoutes, {
    isReady: core.isReady,
    metrics: core.metrics,
    redisStatus: rateLimits.redisStatus,
    ...(replicaStatus ? { replicaState: () => replicaStatus().state } : {}),
    metricsAccess: config.metrics,
  });
  await app.register(rootRoutes);
  await app.register(
    async (v1) => {
      requireApiKey(v1, core.authenticate);
      registerIdempotency(v1, core.idempotency, core.tenants);
      await v1.register(tenantRoutes, { tenants: core.tenants });
      await v1.register(apiKeyRoutes, { apiKeys: core.apiKeys, tenants: core.tenants });
      await v1.register(userRoutes, { users: core.users, tenants: core.tenants });
      await v1.register(userBatchRoutes, { users: core.users, tenants: core.tenants, bodyLimit: config.batchBodyLimitBytes });
      await v1.register(settingsRoutes, { tenants: core.tenants });
      await v1.register(roleRoutes, { roles: core.roles, tenants: core.tenants });
      await v1.register(groupRoutes, { groups: core.groups, tenants: core.tenants });
      await v1.register(attributeRoutes, { attributes: core.attributes, tenants: core.tenants });
      await v1.register(webhookRoutes, { webhooks: core.webhooks, tenants: core.tenants });
      await v1.register(eventRoutes, { events: core.events, tenants: core.tenants });
      await v1.register(mailRoutes, { mail: core.mail, tenants: core.tenants });
      await v1.register(personalTokenRoutes, { sessions: core.sessions, tenants: core.tenants });
      await v1.register(importRoutes, {
        imports: core.imports,
        tenants: core.tenants,
        maxBytes: config.importMaxBytes,
        users: core.users,
        db: core.database.db,
      });
    },
    { prefix: '/v1' },
  );
  // Logins carry no API key, so they live outside the key-checking scope.
  await app.register(sessionRoutes, { prefix: '/v1', sessions: core.sessions });
  await app.register(browserSessionRoutes, {
    prefix: '/v1',
    authenticate: core.authenticate,
    sessions: core.sessions,
    tenants: core.tenants,
    users: core.users,
    publicUrl: config.publicUrl,
  });
  await app.register(adminPageRoutes);
  await app.register(mailLinkRoutes, { prefix: '/v1', mail: core.mail });
  await app.register(mailPageRoutes, { mail: core.mail });
  await registerContracts(app, { core, config });
  await app.register(scimRoutes, { prefix: '/scim/v2', core, publicUrl: config.publicUrl });
  return app;
}
