import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation } from './errors.js';
import type { Database } from './kysely.js';
import { openSqlite } from './sqlite-open.js';
import { executeBatch } from './statement-batch.js';

/** A statement batch answers like its statements one by one, on the writer thread (one message) and on the inline connection. */
for (const mode of ['thread', 'inline'] as const) {
  describe(`sqlite (${mode}): a statement batch`, () => {
    let dir: string;
    let database: Database;
    const db = () => database.db;

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-batch-'));
      database = openSqlite(path.join(dir, 'roster.sqlite'), mode);
      await sql`create table t (id integer primary key, display_name text not null unique)`.execute(db());
    });

    afterEach(async () => {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const names = async () =>
      (await sql<{ displayName: string }>`select display_name from t order by id`.execute(db())).rows.map((r) => r.displayName);

    it("should answer each statement's RETURNING rows, camel-cased, and none for a plain write", async () => {
      const answers = await db()
        .transaction()
        .execute((trx) =>
          executeBatch(trx, [
            { sql: 'insert into t (display_name) values (?), (?)', parameters: ['a', 'b'] },
            {
              sql: 'insert into t (display_name) values (?), (?) on conflict do nothing returning id, display_name',
              parameters: ['b', 'c'],
            },
            { sql: 'select count(*) as row_count from t', parameters: [] },
          ]),
        );
      expect(answers).toEqual([[], [{ id: 3, displayName: 'c' }], [{ rowCount: 3 }]]);
      expect(await names()).toEqual(['a', 'b', 'c']);
    });

    it('should stop at the first statement that fails, and leave nothing of the transaction', async () => {
      const error = await db()
        .transaction()
        .execute((trx) =>
          executeBatch(trx, [
            { sql: 'insert into t (display_name) values (?)', parameters: ['kept?'] },
            { sql: 'insert into t (display_name) values (?)', parameters: ['kept?'] },
            { sql: 'insert into t (display_name) values (?)', parameters: ['after'] },
          ]),
        )
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(await names()).toEqual([]);
      // The store goes on: the next transaction writes.
      await db()
        .transaction()
        .execute((trx) => executeBatch(trx, [{ sql: 'insert into t (display_name) values (?)', parameters: ['next'] }]));
      expect(await names()).toEqual(['next']);
    });

    it('should run a batch outside a transaction statement by statement', async () => {
      const answers = await executeBatch(db(), [
        { sql: 'insert into t (display_name) values (?) returning display_name', parameters: ['solo'] },
        { sql: 'select display_name from t', parameters: [] },
      ]);
      expect(answers).toEqual([[{ displayName: 'solo' }], [{ displayName: 'solo' }]]);
    });
  });
}
