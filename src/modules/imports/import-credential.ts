import { readBool } from '../../db/column-types.js';
import type { Executor } from '../../db/database.js';
import { nowIso } from '../../lib/time.js';
import * as keys from '../api-keys/api-key.repository.js';
import type { Principal } from '../context.js';
import { platformPermissions } from '../roles/permissions.js';
import { permissionsOfRow, rolesByUser } from '../roles/role.service.js';
import * as sessions from '../sessions/session.repository.js';

/**
 * Who submitted an import job, as stored on the job: enough to authenticate the credential again
 * while the job runs, and no secret. `permissions` is what it held at submission (shown in logs,
 * never used to decide: see reauthenticate).
 */
export interface JobCredential {
  kind: Principal['kind'];
  id: string;
  role: string;
  permissions: string[];
  /**
   * For a user's login session or personal access token: the SHA-256 of the token, the form the
   * sessions table keeps, so the job finds that very session again (and stops when it ends).
   */
  tokenHash?: string;
}

export function jobCredentialOf(principal: Principal, tokenHash: string | undefined): JobCredential {
  return {
    kind: principal.kind,
    id: principal.id,
    role: principal.role,
    permissions: [...principal.permissions],
    ...(principal.kind === 'user' && tokenHash !== undefined ? { tokenHash } : {}),
  };
}

export type Reauthentication = { ok: true; principal: Principal } | { ok: false; reason: string };

const ended = (reason: string): Reauthentication => ({
  ok: false,
  reason: `The import stopped: ${reason}; rows after this point were not created`,
});

/**
 * Authenticates a job's credential again, as a request presenting it now would be: an API key not
 * revoked, with its role's permissions of now; a user's session or personal token still live, its
 * user live and active, with the permissions of the user's roles of now. The job then acts with
 * this principal, so every privilege check of its rows (users:create, the roles a row grants,
 * users:set-active, attribute write permissions) uses what the credential may do now, not at submission.
 * The local CLI (`kind: cli`) has no credential to revoke and keeps its rights.
 */
export async function reauthenticate(db: Executor, tenantId: string, credential: JobCredential): Promise<Reauthentication> {
  switch (credential.kind) {
    case 'cli':
      return {
        ok: true,
        principal: { kind: 'cli', id: credential.id, tenantId, role: credential.role, permissions: new Set(credential.permissions) },
      };
    case 'api_key': {
      const key = (await keys.findById(db, tenantId, credential.id)) ?? (await keys.findById(db, null, credential.id));
      if (!key || key.revokedAt !== null) return ended('the API key that submitted it was revoked');
      // The row authentication itself reads (findByPrefixWithRole): the key's role as it stands now.
      const row = await keys.findByPrefixWithRole(db, key.prefix);
      if (!row || row.id !== key.id || row.revokedAt !== null) return ended('the API key that submitted it was revoked');
      const permissions =
        row.tenantId === null
          ? [...platformPermissions]
          : row.roleName === null || row.roleBuiltin === null || row.rolePermissions === null
            ? []
            : permissionsOfRow({ name: row.roleName, builtin: row.roleBuiltin, permissions: row.rolePermissions });
      return {
        ok: true,
        principal: { kind: 'api_key', id: row.id, tenantId: row.tenantId, role: row.role, permissions: new Set(permissions) },
      };
    }
    case 'user': {
      if (credential.tokenHash === undefined)
        return ended(
          'the session that submitted it cannot be checked again (submitted before credentials were re-checked); submit it again',
        );
      const session = await sessions.findLiveByTokenHash(db, credential.tokenHash, nowIso());
      if (!session || session.tenantId !== tenantId || session.userId !== credential.id)
        return ended('the session or personal access token that submitted it has ended');
      if (!readBool(session.active)) return ended('the user who submitted it was deactivated');
      // The same rule as authentication: a login session of a user who must change the password acts nowhere.
      if (session.kind === 'login' && readBool(session.requirePasswordChange))
        return ended('the user who submitted it must change the password first');
      const roles = (await rolesByUser(db, tenantId, [session.userId])).get(session.userId) ?? [];
      return {
        ok: true,
        principal: {
          kind: 'user',
          id: session.userId,
          tenantId,
          role: roles.map((r) => r.name).join(',') || 'none',
          permissions: new Set(roles.flatMap((r) => r.permissions)),
        },
      };
    }
    default:
      // Signed tokens (Rollout JWTs) cannot submit jobs and cannot be revoked: never run one on a snapshot.
      return ended(`a ${credential.kind} credential cannot be checked again`);
  }
}

/** The principal an import job may act with now: its credential authenticated again, still holding users:create. */
export async function jobPrincipal(db: Executor, tenantId: string, credential: JobCredential): Promise<Reauthentication> {
  const auth = await reauthenticate(db, tenantId, credential);
  if (auth.ok && !auth.principal.permissions.has('users:create'))
    return ended('the credential that submitted it no longer holds the "users:create" permission');
  return auth;
}
