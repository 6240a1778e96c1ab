import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { transformDocument } from './openapi/document-transform.js';
import { ROSTER_LOGO_SVG } from './openapi/logo.js';
import { transformRoute } from './openapi/route-transform.js';

/**
 * OpenAPI 3.1 at /openapi.json, generated from the TypeBox schemas the routes validate with, and a
 * reference page at /docs. Register before the routes so they are collected. Operation names, security
 * and what route schemas cannot say are added in src/http/openapi/; `npm run lint:openapi` lints the result.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster API',
        version,
        description:
          'Multi-tenant user directory and provisioning. Errors are RFC 9457 problem documents; codes are listed in docs/errors.md.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative: the document describes the server that serves it, whatever its public address.
      servers: [{ url: '/', description: 'This Roster server' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'A Roster API key (rst_… or a custom prefix), or a user session / personal access token (rss_…)',
          },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'roster_session',
            description: "The admin page's browser session (POST /v1/browser-sessions); unsafe requests also need X-CSRF-Token",
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'GET /metrics: the token of ROSTER_METRICS_TOKEN, when it is set' },
          rocketChatUserId: { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'Rocket.Chat contract: the signed-in user id' },
          rocketChatAuthToken: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Auth-Token',
            description: 'Rocket.Chat contract: a session or personal access token',
          },
          rolloutCredentialId: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Rollout-Credential-Id',
            description: 'Rollout contract: the tenant (slug, id or number)',
          },
        },
      },
    },
    transform: transformRoute,
    transformObject: transformDocument,
  });
  // staticCSP: the reference page sends its own policy, allowing only its own scripts and styles.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    logo: { type: 'image/svg+xml', content: ROSTER_LOGO_SVG, href: '/docs', target: '_self' },
    theme: { title: 'Roster API reference' },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
