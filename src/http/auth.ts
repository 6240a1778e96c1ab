import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Principal, TenantContext } from '../modules/context.js';
import type { TenantService } from '../modules/tenants/tenant.service.js';
import { assertCsrf, cookieCredential } from './browser-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const TENANT_HEADER = 'x-roster-tenant';

/** Turns a presented secret (an API key, a session or personal access token) into its principal. */
export type Authenticate = (token: string) => Promise<Principal | undefined>;

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Adds authentication to every route of `scope`: a Bearer credential (API key or user token), or for
 * browsers the session cookie, whose unsafe requests must carry the CSRF header. 401 before any handler runs.
 */
export function requireApiKey(scope: FastifyInstance, authenticate: Authenticate): void {
  scope.addHook('onRequest', async (request) => {
    const bearer = bearerToken(request.headers.authorization);
    // An Authorization header wins: a cookie is only looked at when no header was sent.
    const fromCookie = request.headers.authorization === undefined ? cookieCredential(request) : undefined;
    const token = bearer ?? fromCookie;
    const principal = token ? await authenticate(token) : undefined;
    if (!principal) throw new AppError('UNAUTHENTICATED', { detail: 'Send an API key as "Authorization: Bearer rst_…"' });
    if (fromCookie !== undefined) assertCsrf(request, fromCookie);
    request.principal = principal;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}

/**
 * The tenant a request acts on: the key's own tenant, or for a platform key the tenant named
 * (by slug or id) in X-Roster-Tenant. A tenant key naming another tenant is refused without
 * saying whether that tenant exists.
 * @throws TENANT_REQUIRED; TENANT_NOT_FOUND; TENANT_ACCESS_DENIED.
 */
export async function tenantContextOf(request: FastifyRequest, tenants: TenantService): Promise<TenantContext> {
  const raw = request.headers[TENANT_HEADER];
  return resolveTenantContext(principalOf(request), typeof raw === 'string' ? raw : undefined, String(request.id), tenants);
}

/**
 * The tenant context of a principal that names a tenant (by slug, id or number) in a header of its
 * protocol: X-Roster-Tenant natively, x-account-id for Pulse, X-Rollout-Credential-Id for Rollout.
 * @throws TENANT_REQUIRED; TENANT_NOT_FOUND; TENANT_ACCESS_DENIED.
 */
export async function resolveTenantContext(
  principal: Principal,
  raw: string | undefined,
  requestId: string,
  tenants: TenantService,
): Promise<TenantContext> {
  const named = raw !== undefined && raw.trim() !== '' ? raw.trim() : undefined;
  if (principal.tenantId !== null) {
    if (named !== undefined && named !== principal.tenantId) {
      const tenant = await tenants.findTenant(named);
      if (tenant?.id !== principal.tenantId) throw new AppError('TENANT_ACCESS_DENIED');
    }
    return { tenantId: principal.tenantId, principal, requestId };
  }
  if (named === undefined) throw new AppError('TENANT_REQUIRED');
  const tenant = await tenants.getTenant(named);
  return { tenantId: tenant.id, principal, requestId };
}
