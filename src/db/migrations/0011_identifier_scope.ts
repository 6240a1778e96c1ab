import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * `user_identifiers` gains a `scope`, part of its primary key `(tenant_id, value, scope)`. A claim in
 * the tenant scope (`''`, every existing row) is what it was: the value is that user's alone. A claim
 * scoped to its own user (the user's id) is kept only so that logins and searches still find the user;
 * it blocks nobody. Such claims are made for deactivated users of a tenant whose setting
 * `users.uniqueAmong` is `active` (the Fleet contract: "unique among active users"), so two active users
 * never share an email or username, and the primary key still decides it under any concurrency.
 *
 * SQLite cannot change a primary key in place: the table is rebuilt and its rows copied.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table user_identifiers add column scope text not null default ''`.execute(db);
    await sql`alter table user_identifiers drop constraint user_identifiers_pkey`.execute(db);
    await sql`alter table user_identifiers add constraint user_identifiers_pkey primary key (tenant_id, value, scope)`.execute(db);
    return;
  }
  await db.schema
    .createTable('user_identifiers_0011')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_identifiers_pkey', ['tenant_id', 'value', 'scope'])
    .addForeignKeyConstraint('user_identifiers_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await sql`insert into user_identifiers_0011 (tenant_id, value, scope, user_id) select tenant_id, value, '', user_id from user_identifiers`.execute(
    db,
  );
  await db.schema.dropTable('user_identifiers').execute();
  await db.schema.alterTable('user_identifiers_0011').renameTo('user_identifiers').execute();
  await db.schema.createIndex('user_identifiers_user_idx').on('user_identifiers').columns(['user_id', 'tenant_id']).execute();
}
