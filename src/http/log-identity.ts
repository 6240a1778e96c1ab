import type { FastifyRequest } from 'fastify';

const TENANT_HEADER = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The tenant and actor a request log line names, so an operator can follow one tenant or one key
 * through the logs. Only identifiers: never a secret, and the tenant header only when it has the
 * shape of a slug or id (it is caller input, and logs must not carry arbitrary text).
 */
export function logIdentity(request: FastifyRequest): { tenant?: string; actor?: string } | undefined {
  const principal = request.principal;
  if (!principal) return undefined;
  const header = request.headers['x-roster-tenant'];
  const named = typeof header === 'string' && TENANT_HEADER.test(header) ? header : undefined;
  const tenant = principal.tenantId ?? named;
  return { ...(tenant ? { tenant } : {}), actor: `${principal.kind}:${principal.id}` };
}
