import type { FastifyPluginAsync } from 'fastify';

/** Where a newcomer goes from `/`: the pages for people, then the machine-readable ones. */
export const ROOT_LINKS = {
  admin: { href: '/admin', title: 'Admin page: sign in and manage users, roles, groups, imports and webhooks' },
  docs: { href: '/docs', title: 'API reference (Swagger UI): try every call with an API key' },
  openapi: { href: '/openapi.json', title: 'OpenAPI 3.1 document, for generated clients' },
  health: { href: '/healthz', title: 'Liveness' },
  ready: { href: '/readyz', title: 'Readiness (database, Redis)' },
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Roster</title></head>
<body>
<h1>Roster</h1>
<p>A multi-tenant user directory and provisioning service. It answers its API under <code>/v1</code> and <code>/scim/v2</code>.</p>
<ul>
${Object.values(ROOT_LINKS)
  .map((link) => `<li><a href="${link.href}">${link.href}</a>: ${link.title}</li>`)
  .join('\n')}
</ul>
</body>
</html>
`;

/**
 * `GET /`: a page linking to /admin and /docs for a person with a browser; a JSON index of the same
 * links for anything that does not ask for HTML (curl, scripts). Nothing here needs a credential.
 */
export const rootRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    reply.header('vary', 'accept');
    if ((request.headers.accept ?? '').includes('text/html')) return reply.type('text/html; charset=utf-8').send(PAGE);
    return reply.type('application/json; charset=utf-8').send({ name: 'Roster', links: ROOT_LINKS });
  });
};
