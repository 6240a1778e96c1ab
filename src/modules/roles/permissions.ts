/**
 * Every permission Roster checks. Tenant roles hold a subset of `tenantPermissions`; only platform
 * keys hold `tenants:manage`.
 */
export const tenantPermissions = [
  'users:create',
  'users:read',
  'users:update',
  'users:delete',
  'users:set-active',
  /** Carry a user's creation date over from another system (`createdAt` on create, batch and import). */
  'users:import',
  /**
   * Read users' password hashes in an export (`GET /v1/exports/users?passwordHashes=true`, `roster export
   * --with-password-hashes`), to move them to another instance. Only admin holds it by default; like every
   * permission, the privilege guard lets only holders grant it, or change a user who holds it.
   */
  'users:export-secrets',
  'keys:manage',
  'roles:manage',
  'groups:manage',
  'attributes:manage',
  'settings:manage',
  'webhooks:manage',
  'events:read',
] as const;

export const platformPermissions = [...tenantPermissions, 'tenants:manage'] as const;

export type Permission = (typeof platformPermissions)[number];

export const PLATFORM_ADMIN_ROLE = 'platform-admin';

/** The roles every tenant starts with. `admin` holds every tenant permission; `user` may read the directory. */
export const builtinRoles: ReadonlyArray<{ name: string; description: string; permissions: readonly Permission[] }> = [
  { name: 'admin', description: 'Manages users and API keys of the tenant', permissions: tenantPermissions },
  { name: 'user', description: 'A member of the directory', permissions: ['users:read'] },
];
