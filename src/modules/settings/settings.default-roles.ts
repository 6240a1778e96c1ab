import type { Executor } from '../../db/database.js';
import { throwIfFieldErrors } from '../../errors/app-error.js';
import type { Principal } from '../context.js';
import { assertCanGrant, loadRoles, matchRoles } from '../roles/role.service.js';

/**
 * `users.defaultRoles` as it is saved: every role must exist (ROLE_UNKNOWN), and whoever saves it must
 * hold every permission of those roles (the privilege guard), or a `settings:manage` holder could make
 * `admin` the role of every user created after.
 * @throws VALIDATION_FAILED; PERMISSION_DENIED.
 */
export async function assertDefaultRolesGrantable(db: Executor, principal: Principal, tenantId: string, names: string[]): Promise<void> {
  const matched = matchRoles(await loadRoles(db, tenantId, names), names, '/users/defaultRoles');
  throwIfFieldErrors(matched.errors);
  for (const role of matched.roles) assertCanGrant(principal, role.permissions, `default role "${role.name}"`);
}
