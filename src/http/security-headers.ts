import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What an API response may load or be framed by: nothing. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * `upgrade-insecure-requests` makes a browser fetch every subresource over https. Roster serves plain
 * HTTP itself and TLS is the proxy's job, so on any host name other than localhost (which browsers
 * exempt) a page carrying it loads none of its scripts: /docs was blank over plain HTTP. Where TLS is
 * used, the proxy's HSTS and redirects do this job.
 */
function withoutUpgradeInsecureRequests(policy: string): string {
  return policy
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && directive.toLowerCase() !== 'upgrade-insecure-requests')
    .join('; ');
}

/**
 * Security headers on every response (helmet: nosniff, HSTS, frame and referrer policies, …). A
 * strict Content-Security-Policy goes on every response that sets none itself; the reference page
 * at /docs and the mailed-link pages set their own, which must work over plain HTTP as over TLS.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true, contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('content-security-policy') && !request.url.startsWith('/docs')) reply.header('content-security-policy', API_CSP);
    return payload;
  });
  // A plugin's own onSend hooks (Swagger UI's sets its policy in one) run after the ones above; a route's
  // hooks run after all of them, so this is where a policy is final on every route, whoever set it.
  const finalPolicy = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const policy = reply.getHeader('content-security-policy');
    if (typeof policy === 'string' && /upgrade-insecure-requests/i.test(policy))
      reply.header('content-security-policy', withoutUpgradeInsecureRequests(policy));
    return payload;
  };
  app.addHook('onRoute', (route) => {
    const own = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...own, finalPolicy];
  });
}
