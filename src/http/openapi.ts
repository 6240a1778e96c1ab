import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI 3.1 at /openapi.json, generated from the TypeBox schemas the routes validate with, and a
 * reference page at /docs. Register before the routes so they are collected.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster API',
        version,
        description: 'Multi-tenant user directory and provisioning. Errors are RFC 9457 problem documents; codes are listed in docs/errors.md.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A Roster API key (rst_… or a custom prefix), or a user session / personal access token (rss_…)' },
          rocketChatUserId: { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'Rocket.Chat contract: the signed-in user id' },
          rocketChatAuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'Rocket.Chat contract: a session or personal access token' },
          rolloutCredentialId: { type: 'apiKey', in: 'header', name: 'X-Rollout-Credential-Id', description: 'Rollout contract: the tenant (slug, id or number)' },
        },
      },
    },
  });
  // staticCSP: the reference page sends its own policy, allowing only its own scripts and styles.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
