import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/**
 * Tenants, API keys, roles, users and their identifiers. Every tenant-owned table leads its
 * primary key and unique indexes with `tenant_id`, so a distributed PostgreSQL can shard by tenant.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time, not today's DB type
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('sequences')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('sequences_pkey', ['scope', 'name'])
    .execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', t.bigint, (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_locale', 'text', (c) => c.notNull())
    .addColumn('default_timezone', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('revoked_at', t.timestamp)
    .execute();
  await db.schema.createIndex('api_keys_tenant_idx').on('api_keys').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('roles')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('permissions', t.json, (c) => c.notNull())
    .addColumn('builtin', t.boolean, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('roles_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('roles_name_key', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('seq', t.bigint, (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_normalized', 'text')
    .addColumn('username', 'text')
    .addColumn('username_normalized', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('display_name', 'text')
    .addColumn('nickname', 'text')
    .addColumn('bio', 'text')
    .addColumn('phone', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('address', t.json)
    .addColumn('active', t.boolean, (c) => c.notNull())
    .addColumn('email_verified', t.boolean, (c) => c.notNull())
    .addColumn('require_password_change', t.boolean, (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('attributes', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', t.timestamp)
    .addPrimaryKeyConstraint('users_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('users_seq_key', ['tenant_id', 'seq'])
    .execute();
  // Look-up indexes over live users; uniqueness itself is user_identifiers' primary key, the one place that decides it.
  // Each is partial on its own column being set. Otherwise, while a bulk load outruns the statistics, PostgreSQL may
  // pick one of them (they all start with tenant_id) for a probe by primary key and read the whole tenant per row.
  for (const column of ['email_normalized', 'username_normalized'] as const) {
    await db.schema
      .createIndex(`users_${column.replace('_normalized', '')}_live_idx`)
      .on('users')
      .columns(['tenant_id', column])
      .where((eb) => eb.and([eb(sql.ref('deleted_at'), 'is', null), eb(sql.ref(column), 'is not', null)]))
      .execute();
  }
  await db.schema
    .createIndex('users_external_id_idx')
    .on('users')
    .columns(['tenant_id', 'external_id'])
    .where(sql.ref('external_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('user_identifiers')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_identifiers_pkey', ['tenant_id', 'value'])
    .addForeignKeyConstraint('user_identifiers_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  // Secondary indexes of child tables lead with their own key, so no probe by tenant alone can stray into them.
  await db.schema.createIndex('user_identifiers_user_idx').on('user_identifiers').columns(['user_id', 'tenant_id']).execute();

  await db.schema
    .createTable('user_roles')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('role_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_roles_pkey', ['tenant_id', 'user_id', 'role_id'])
    .addForeignKeyConstraint('user_roles_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .addForeignKeyConstraint('user_roles_role_fkey', ['tenant_id', 'role_id'], 'roles', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('user_roles_role_idx').on('user_roles').columns(['role_id', 'tenant_id']).execute();
}
