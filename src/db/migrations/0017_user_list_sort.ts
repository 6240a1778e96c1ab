import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * The users list sorts by creation date and family name, and filters by a creation range (issue 22):
 * on a large tenant each would otherwise read and sort every live user for one page. Each index ends
 * with `id`, the tie-breaker of the list's keyset cursor, so a page resumes inside a run of equal values
 * without a sort. Email and username sorts use the look-up indexes of 0001 (`users_*_live_idx`); role
 * and group filters use `user_roles_role_idx` and `user_groups_group_idx`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('users_created_live_idx')
    .on('users')
    .columns(['tenant_id', 'created_at', 'id'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  // Family names sort case-insensitively (lower()), the same on SQLite and PostgreSQL whatever the collation.
  await db.schema
    .createIndex('users_family_name_live_idx')
    .on('users')
    .expression(sql`tenant_id, lower(family_name), id`)
    .where((eb) => eb.and([eb(sql.ref('deleted_at'), 'is', null), eb(sql.ref('family_name'), 'is not', null)]))
    .execute();
}
