import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Roles gain an optional `display_name`: the words a product's clients use for the role (Rollout's
 * `"Sales Agent"`, `"Admin"`), where the role's `name` is a lower-case slug. Contracts find a role by
 * either, without case, so a display name is unique per tenant without case (an expression index,
 * the same on SQLite and PostgreSQL).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('roles').addColumn('display_name', 'text').execute();
  await sql`create unique index roles_display_name_key on roles (tenant_id, lower(display_name)) where display_name is not null`.execute(
    db,
  );
}
