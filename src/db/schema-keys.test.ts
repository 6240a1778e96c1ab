import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Database } from './kysely.js';
import { testDialects } from '../testing/test-db.js';

const postgres = testDialects.find((d) => d.name === 'postgres');

/**
 * Tables that are not owned by one tenant, and why (docs/scaling.md): in a distributed PostgreSQL
 * (Citus) they are reference tables, copied to every node.
 */
const GLOBAL_TABLES: Record<string, string> = {
  tenants: 'the tenant registry itself',
  api_keys: 'a key is looked up before its tenant is known, and platform keys have none',
  sequences: 'keyed by scope, which holds the tenant id',
  kysely_migration: 'migration bookkeeping',
  kysely_migration_lock: 'migration bookkeeping',
};

// The schema rules that keep Roster distributable by tenant: every primary and unique key of a
// tenant's table starts with tenant_id, and every foreign key between tenant tables carries it.
describe.skipIf(!postgres?.available)('postgres: schema keys start with tenant_id', () => {
  let database: Database;
  beforeAll(async () => {
    database = await (postgres as NonNullable<typeof postgres>).open();
  });
  afterAll(async () => database?.close());

  it('should key every tenant table by tenant_id first, in primary keys, unique keys and foreign keys', async () => {
    const keys = await sql<{ table: string; index: string; columns: string }>`
      select c.relname as "table", i.relname as "index",
        (select string_agg(a.attname, ',' order by k.ord) from unnest(ix.indkey) with ordinality k(attnum, ord)
          join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum) as "columns"
      from pg_index ix join pg_class c on c.oid = ix.indrelid join pg_class i on i.oid = ix.indexrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and (ix.indisprimary or ix.indisunique)`.execute(database.db);
    expect(keys.rows.length).toBeGreaterThan(20);
    const offending = keys.rows.filter(
      (k) => !(k.table in GLOBAL_TABLES) && !k.columns.startsWith('tenant_id,') && k.columns !== 'tenant_id',
    );
    expect(offending).toEqual([]);

    const tables = await sql<{ table: string; hasTenant: boolean }>`
      select t.table_name as "table", exists (select 1 from information_schema.columns c where c.table_schema = t.table_schema and c.table_name = t.table_name and c.column_name = 'tenant_id') as "hasTenant"
      from information_schema.tables t where t.table_schema = current_schema()`.execute(database.db);
    expect(tables.rows.filter((t) => !t.hasTenant && !(t.table in GLOBAL_TABLES)).map((t) => t.table)).toEqual([]);

    const foreign = await sql<{ table: string; name: string; columns: string; target: string }>`
      select c.relname as "table", con.conname as "name", r.relname as "target",
        (select string_agg(a.attname, ',' order by k.ord) from unnest(con.conkey) with ordinality k(attnum, ord)
          join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum) as "columns"
      from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_class r on r.oid = con.confrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and con.contype = 'f'`.execute(database.db);
    // A foreign key to a tenant table carries tenant_id, so a row can only point inside its own tenant.
    expect(foreign.rows.filter((f) => !(f.target in GLOBAL_TABLES) && !f.columns.startsWith('tenant_id'))).toEqual([]);
  });
});
