import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isUniqueViolation } from '../errors.js';
import type { Database } from '../kysely.js';
import { openSqlite, sqliteWriterOf } from '../sqlite-open.js';

// A SQLite file opened the production way: writes and transactions on the writer thread, reads on the main thread.
describe('sqlite on a file: writer thread and main-thread reads', () => {
  let dir: string;
  let database: Database;
  const db = () => database.db;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-split-'));
    database = openSqlite(path.join(dir, 'roster.sqlite'), 'thread');
    await sql`create table t (id integer primary key, name text not null unique)`.execute(db());
  });

  afterEach(async () => {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const names = async () => (await sql<{ name: string }>`select name from t order by id`.execute(db())).rows.map((r) => r.name);

  it('should read a write at once after it is answered, and see a transaction only once committed', async () => {
    await sql`insert into t (name) values (${'a'})`.execute(db());
    expect(await names()).toEqual(['a']);
    let inside: string[] = [];
    await db()
      .transaction()
      .execute(async (trx) => {
        await sql`insert into t (name) values (${'b'})`.execute(trx);
        // Outside the transaction (the main-thread reader) the insert is not there yet, and the read does not wait.
        expect(await names()).toEqual(['a']);
        inside = (await sql<{ name: string }>`select name from t order by id`.execute(trx)).rows.map((r) => r.name);
      });
    expect(inside).toEqual(['a', 'b']);
    expect(await names()).toEqual(['a', 'b']);
  });

  it('should answer RETURNING from the writer and report a unique violation in better-sqlite3 shape', async () => {
    const returned = await sql<{ id: number; name: string }>`insert into t (name) values (${'x'}) returning id, name`.execute(db());
    expect(returned.rows).toEqual([{ id: 1, name: 'x' }]);
    const error = await sql`insert into t (name) values (${'x'})`.execute(db()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SQLite.SqliteError);
    expect((error as { code: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('should roll a failed transaction back and serve the next one', async () => {
    const failed = await db()
      .transaction()
      .execute(async (trx) => {
        await sql`insert into t (name) values (${'y'})`.execute(trx);
        await sql`insert into t (name) values (${'y'})`.execute(trx);
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(failed)).toBe(true);
    expect(await names()).toEqual([]);
    await db()
      .transaction()
      .execute(async (trx) => sql`insert into t (name) values (${'z'})`.execute(trx));
    expect(await names()).toEqual(['z']);
  });

  it('should fail a transaction whose writer thread dies as unavailable (503), keep nothing of it, and write again after', async () => {
    const error = await db()
      .transaction()
      .execute(async (trx) => {
        await sql`insert into t (name) values (${'lost'})`.execute(trx);
        await sqliteWriterOf(db())!.kill();
        await sql`insert into t (name) values (${'lost-too'})`.execute(trx);
      })
      .catch((e: unknown) => e);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(await names()).toEqual([]);
    await sql`insert into t (name) values (${'after'})`.execute(db());
    expect(await names()).toEqual(['after']);
  });
});
