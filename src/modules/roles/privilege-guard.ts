import type { Executor } from '../../db/database.js';
import { AppError } from '../../errors/app-error.js';
import type { Principal } from '../context.js';
import { listByUsers } from './role.repository.js';
import { tenantPermissions } from './permissions.js';

/**
 * The privilege guard, one rule for every path: nobody gets more than they were given.
 *
 * - Granting: a caller may only hand out (to a role, a key or a user) permissions it holds itself.
 * - Changing: a caller may only change the credentials, identifiers, roles, groups or active state
 *   of a user (or delete it), revoke a key, or edit, rename or delete a role, when it holds every
 *   permission that user, key or role holds. Otherwise setting an admin's password or email, or
 *   renaming a role a key holds, would hand the caller the admin's rights by another door.
 *
 * Platform keys, the CLI and tenant admins hold every tenant permission, so they always pass.
 */

function firstMissing(principal: Principal, permissions: Iterable<string>): string | undefined {
  for (const permission of permissions) if (!principal.permissions.has(permission)) return permission;
  return undefined;
}

/** @throws PERMISSION_DENIED naming the first permission the caller lacks. */
export function assertCanGrant(principal: Principal, permissions: Iterable<string>, what: string): void {
  const missing = firstMissing(principal, permissions);
  if (missing !== undefined) {
    throw new AppError('PERMISSION_DENIED', {
      detail: `Granting ${what} needs the "${missing}" permission`,
      details: { permission: missing },
    });
  }
}

/**
 * The caller must hold every permission the target (a user, key or role) holds. `action` says what
 * was refused, e.g. `Changing the password of this user`.
 * @throws PERMISSION_DENIED naming the first permission the caller lacks.
 */
export function assertCallerCovers(principal: Principal, targetPermissions: Iterable<string>, action: string): void {
  const missing = firstMissing(principal, targetPermissions);
  if (missing !== undefined) {
    throw new AppError('PERMISSION_DENIED', {
      detail: `${action} needs the "${missing}" permission: a caller must hold every permission of the user, key or role it changes`,
      details: { permission: missing },
    });
  }
}

/** Whether the caller holds every tenant permission (then no target can hold more, and no query is needed). */
export function holdsEveryPermission(principal: Principal): boolean {
  return firstMissing(principal, tenantPermissions) === undefined;
}

/** Every permission the given users hold through their roles, in one query. */
export async function permissionsOfUsers(db: Executor, tenantId: string, userIds: string[]): Promise<Set<string>> {
  const roles = await listByUsers(db, tenantId, userIds);
  return new Set([...roles.values()].flatMap((list) => list.flatMap((r) => r.permissions)));
}

/**
 * The caller must hold every permission of every one of these users.
 * @throws PERMISSION_DENIED naming the first permission the caller lacks.
 */
export async function assertCallerCoversUsers(
  db: Executor,
  principal: Principal,
  tenantId: string,
  userIds: string[],
  action: string,
): Promise<void> {
  if (userIds.length === 0 || holdsEveryPermission(principal)) return;
  assertCallerCovers(principal, await permissionsOfUsers(db, tenantId, userIds), action);
}
