import type { Executor } from '../../db/database.js';
import type { TokenPurpose } from './mail.table.js';

/**
 * Voids a user's unused mailed tokens of one purpose: a verification link proves the address it was
 * sent to, so once the email changes, no link mailed before may verify the new one.
 */
export async function deleteUnusedTokens(db: Executor, tenantId: string, userId: string, purpose: TokenPurpose): Promise<void> {
  await db
    .deleteFrom('userTokens')
    .where('tenantId', '=', tenantId)
    .where('userId', '=', userId)
    .where('purpose', '=', purpose)
    .where('usedAt', 'is', null)
    .execute();
}
