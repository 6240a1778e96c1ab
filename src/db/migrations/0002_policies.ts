import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/** Tenant policy settings, HR profile fields, groups, attribute definitions and login sessions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .alterTable('tenants')
    .addColumn('settings', t.json, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();

  for (const column of ['position', 'arrival_date', 'departure_date', 'date_of_birth', 'city_of_birth', 'country_of_birth']) {
    await db.schema.alterTable('users').addColumn(column, 'text').execute();
  }

  await db.schema
    .createTable('groups')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_default', t.boolean, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('groups_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('groups_type_code_key', ['tenant_id', 'type', 'code'])
    .execute();

  await db.schema
    .createTable('user_groups')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_groups_pkey', ['tenant_id', 'user_id', 'group_id'])
    .addForeignKeyConstraint('user_groups_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .addForeignKeyConstraint('user_groups_group_fkey', ['tenant_id', 'group_id'], 'groups', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('user_groups_group_idx').on('user_groups').columns(['group_id', 'tenant_id']).execute();

  await db.schema
    .createTable('attribute_definitions')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('definition', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('attribute_definitions_pkey', ['tenant_id', 'key'])
    .execute();

  // Values of attributes marked unique, held by live users: the primary key decides, as for identifiers.
  await db.schema
    .createTable('user_attribute_claims')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_attribute_claims_pkey', ['tenant_id', 'key', 'value'])
    .addForeignKeyConstraint('user_attribute_claims_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('user_attribute_claims_user_idx').on('user_attribute_claims').columns(['user_id', 'tenant_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('sessions_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('sessions_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .execute();
}
