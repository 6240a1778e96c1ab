import { AppError } from '../errors/app-error.js';
import { platformPermissions, type Permission } from './roles/permissions.js';

/**
 * Who is acting: an API key, a signed-in user (a login session or a personal access token, with
 * the permissions of the user's roles), or the local CLI (which has platform rights, as it has the database).
 */
export interface Principal {
  kind: 'api_key' | 'cli' | 'user' | 'jwt';
  id: string;
  /** null for platform principals. */
  tenantId: string | null;
  role: string;
  permissions: ReadonlySet<string>;
}

/** What every service call in a tenant receives: the tenant, the actor and the request id for logs and events. */
export interface TenantContext {
  tenantId: string;
  principal: Principal;
  requestId: string;
}

/** @throws PERMISSION_DENIED naming the missing permission. */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.has(permission)) {
    throw new AppError('PERMISSION_DENIED', { detail: `This action needs the "${permission}" permission`, details: { permission } });
  }
}

/** How a principal is recorded in `created_by` columns: `api_key:<id>`, `user:<id>`, `jwt:<subject>` or `cli`. */
export function actorRef(principal: Principal): string {
  return principal.kind === 'cli' ? 'cli' : `${principal.kind}:${principal.id}`;
}

export function parseActorRef(ref: string): { type: string; id: string | null } {
  const colon = ref.indexOf(':');
  return colon < 0 ? { type: ref, id: null } : { type: ref.slice(0, colon), id: ref.slice(colon + 1) };
}

/** Sees and may do everything in a tenant: used to render resources for events, which are not filtered per caller. */
export const systemPrincipal: Principal = {
  kind: 'cli',
  id: 'system',
  tenantId: null,
  role: 'system',
  permissions: new Set(platformPermissions),
};
