import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Dialect } from '../db/database.js';
import { openDatabase, type Database } from '../db/kysely.js';
import { migrateToLatest } from '../db/migrate.js';

export interface TestDialect {
  name: Dialect;
  /** False when the dialect cannot run here (no TEST_DATABASE_URL): its suites are reported as skipped. */
  available: boolean;
  /** A fresh, migrated database: in-memory SQLite, or a new PostgreSQL schema dropped by `close`. */
  open(options?: { poolSize?: number }): Promise<Database>;
}

const pgUrl = process.env.TEST_DATABASE_URL;

async function openPostgres(poolSize: number): Promise<Database> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const database = openDatabase({ postgresUrl: pgUrl, postgresSchema: schema, poolSize });
  await migrateToLatest(database);
  return {
    ...database,
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: pgUrl });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

export const testDialects: TestDialect[] = [
  {
    name: 'sqlite',
    available: true,
    open: async () => {
      const database = openDatabase({ sqlitePath: ':memory:' });
      await migrateToLatest(database);
      return database;
    },
  },
  { name: 'postgres', available: Boolean(pgUrl), open: (options) => openPostgres(options?.poolSize ?? 10) },
];
