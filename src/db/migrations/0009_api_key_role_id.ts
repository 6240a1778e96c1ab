import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * API keys hold their role by id, as users do (user_roles.role_id): a key bound by name followed
 * the name, so renaming a role, or creating one with the name of a deleted role, re-armed every key
 * that still carried the name. The name column stays as it was given at creation (for the record);
 * authentication joins on role_id only. Keys whose role no longer exists get no role_id and are
 * refused from now on.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('role_id', 'text').execute();
  // The same correlated update on SQLite and PostgreSQL: the role of the key's tenant with the key's role name.
  await sql`update api_keys set role_id = (
      select roles.id from roles where roles.tenant_id = api_keys.tenant_id and roles.name = api_keys.role
    ) where tenant_id is not null`.execute(db);
  await db.schema.createIndex('api_keys_role_idx').on('api_keys').columns(['tenant_id', 'role_id']).execute();
}
