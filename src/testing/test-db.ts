import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Dialect } from '../db/database.js';
import { openDatabase, type Database } from '../db/kysely.js';
import { migrateToLatest } from '../db/migrate.js';

export interface TestDialect {
  name: Dialect;
  /** False when the dialect cannot run here (no TEST_DATABASE_URL): its suites are reported as skipped. */
  available: boolean;
  /** A fresh, migrated database: in-memory SQLite (a file with TEST_SQLITE_FILE=1), or a new PostgreSQL schema dropped by `close`. */
  open(options?: { poolSize?: number }): Promise<Database>;
}

const pgUrl = process.env.TEST_DATABASE_URL;
/**
 * TEST_SQLITE_FILE=1: the SQLite suites run on a file in a fresh temporary folder (the production layout:
 * writes on the writer thread, reads on the main thread) instead of `:memory:` (one connection).
 */
const sqliteOnFile = process.env.TEST_SQLITE_FILE === '1';

async function openSqliteTest(): Promise<Database> {
  if (!sqliteOnFile) {
    const database = openDatabase({ sqlitePath: ':memory:' });
    await migrateToLatest(database);
    return database;
  }
  return openSqliteFile();
}

/** A migrated SQLite file in a fresh temporary folder, removed by `close`. */
async function openSqliteFile(sqliteWriter?: 'thread' | 'inline'): Promise<Database> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-test-sqlite-'));
  const database = openDatabase({ sqlitePath: path.join(dir, 'roster.sqlite'), ...(sqliteWriter ? { sqliteWriter } : {}) });
  await migrateToLatest(database);
  return {
    ...database,
    close: async () => {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

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
    open: openSqliteTest,
  },
  { name: 'postgres', available: Boolean(pgUrl), open: (options) => openPostgres(options?.poolSize ?? 10) },
];

/** SQLite on a file with its writes on the writer thread (`roster import`'s store, ROSTER_SQLITE_WRITER=thread). */
export const sqliteWriterThread: TestDialect = { name: 'sqlite', available: true, open: () => openSqliteFile('thread') };

/** Every store a create path runs on: testDialects, and SQLite with its writer thread, each with a label for describe. */
export const testStores: Array<{ label: string; dialect: TestDialect }> = [
  ...testDialects.map((dialect) => ({ label: dialect.name, dialect })),
  { label: 'sqlite (writer thread)', dialect: sqliteWriterThread },
];
