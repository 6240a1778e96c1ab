import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** What an API response may load or be framed by: nothing. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Security headers on every response (helmet: nosniff, HSTS, frame and referrer policies, …). A
 * strict Content-Security-Policy goes on every response that sets none itself; the reference page
 * at /docs and the mailed-link pages set their own.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true, contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('content-security-policy') && !request.url.startsWith('/docs')) reply.header('content-security-policy', API_CSP);
    return payload;
  });
}
