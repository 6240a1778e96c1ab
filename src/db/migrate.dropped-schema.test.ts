import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './kysely.js';
import { migrateToLatest } from './migrate.js';

const pgUrl = process.env.TEST_DATABASE_URL;

/**
 * Kysely's migrator reads every schema's tables before it takes its lock; a schema another client drops during
 * that read failed the migration with 3F000 naming that schema (a CI run: a test file's schema dropped while the
 * next file migrated its own). Migrating must go through while other schemas are dropped around it.
 */
describe.skipIf(!pgUrl)('postgres: migrating while other schemas are dropped', () => {
  it('should migrate its own schema while other clients drop theirs', async () => {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    const others = Array.from({ length: 150 }, () => `doomed_${randomBytes(5).toString('hex')}`);
    for (const other of others) await admin.query(`create schema ${other}; create table ${other}.t (id int)`);
    const schema = `migrating_${randomBytes(5).toString('hex')}`;
    await admin.query(`create schema ${schema}`);
    const database = openDatabase({ postgresUrl: pgUrl, postgresSchema: schema, poolSize: 2 });
    try {
      const dropping = (async () => {
        for (const other of others) await admin.query(`drop schema ${other} cascade`);
      })();
      const migrated = await migrateToLatest(database).catch((e: unknown) => e);
      await dropping;
      expect(migrated).toBeInstanceOf(Array);
      expect((migrated as string[]).length).toBeGreaterThan(10);
      const tables = await admin.query<{ n: string }>(`select count(*) as n from pg_tables where schemaname = $1 and tablename = 'users'`, [
        schema,
      ]);
      expect(tables.rows[0]?.n).toBe('1');
    } finally {
      await database.close();
      for (const other of others) await admin.query(`drop schema if exists ${other} cascade`);
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  });
});
