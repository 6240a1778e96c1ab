import type { Executor } from '../../db/database.js';

/** The live session or personal token with this token hash, with its user still live (and whether active, or bound to change its password). */
export async function findLiveByTokenHash(db: Executor, tokenHash: string, now: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', (j) => j.onRef('users.tenantId', '=', 'sessions.tenantId').onRef('users.id', '=', 'sessions.userId'))
    .select(['sessions.tenantId', 'sessions.id', 'sessions.userId', 'sessions.kind', 'users.active', 'users.requirePasswordChange'])
    .where('sessions.tokenHash', '=', tokenHash)
    .where('sessions.expiresAt', '>', now)
    .where('users.deletedAt', 'is', null)
    .executeTakeFirst();
}

export async function insert(
  db: Executor,
  row: {
    tenantId: string;
    id: string;
    userId: string;
    tokenHash: string;
    createdAt: string;
    expiresAt: string;
    kind: string;
    name: string | null;
  },
): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** @returns whether a token of this user was deleted. */
export async function deleteToken(db: Executor, tenantId: string, userId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('sessions')
    .where('tenantId', '=', tenantId)
    .where('userId', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ends a login session by its token hash (personal tokens are revoked by id, not here). */
export async function deleteLoginByTokenHash(db: Executor, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('tokenHash', '=', tokenHash).where('kind', '=', 'login').execute();
}

/**
 * Ends every login session and personal token of a user: after a password change or a deactivation,
 * nothing issued before it may act again (reactivation does not bring them back).
 */
export async function deleteAllForUser(db: Executor, tenantId: string, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('tenantId', '=', tenantId).where('userId', '=', userId).execute();
}

/** Ends a user's login sessions (browser sign-ins included); personal tokens stay. @returns how many ended. */
export async function deleteLoginSessionsOfUser(db: Executor, tenantId: string, userId: string): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('tenantId', '=', tenantId)
    .where('userId', '=', userId)
    .where('kind', '=', 'login')
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
