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
      const { answers } = await db()
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

    const claimBatch = (names: string[], first = 'first') => [
      { sql: 'insert into t (display_name) values (?)', parameters: [first] },
      {
        sql: `insert into t (display_name) values ${names.map(() => '(?)').join(', ')} on conflict do nothing returning id`,
        parameters: names,
      },
    ];

    it(
      mode === 'thread'
        ? 'should commit with the batch when its condition is met, before the transaction ends, and refuse any statement after it'
        : 'should leave a met commit condition to the transaction, which commits as usual',
      async () => {
        let seenInside: string[] = [];
        let afterwards: unknown;
        const { committed } = await db()
          .transaction()
          .execute(async (trx) => {
            const result = await executeBatch(trx, claimBatch(['x', 'y']), [{ statement: 1, rows: 2 }]);
            // Another connection (the main thread's reads, outside the transaction) sees only what was committed;
            // the inline connection is the transaction's own until it ends.
            if (mode === 'thread') seenInside = await names();
            afterwards = await sql`insert into t (display_name) values ('late')`.execute(trx).catch((e: unknown) => e);
            if (!result.committed) afterwards = undefined;
            return result;
          });
        if (mode === 'thread') {
          expect(committed).toBe(true);
          expect(seenInside).toEqual(['first', 'x', 'y']);
          expect(String(afterwards)).toMatch(/committed with its last statement batch/);
          expect(await names()).toEqual(['first', 'x', 'y']);
        } else {
          expect(committed).toBe(false);
          expect(await names()).toEqual(['first', 'x', 'y', 'late']);
        }
      },
    );

    it('should leave the transaction open when a commit condition is not met, for the caller to go on or roll back', async () => {
      await executeBatch(db(), [{ sql: 'insert into t (display_name) values (?)', parameters: ['y'] }]);
      const outcome = await db()
        .transaction()
        .execute(async (trx) => {
          // 'y' exists: the claim answers one row of two.
          const { answers, committed } = await executeBatch(trx, claimBatch(['x', 'y']), [{ statement: 1, rows: 2 }]);
          const seenInside = mode === 'thread' ? await names() : [];
          await sql`insert into t (display_name) values ('went on')`.execute(trx);
          return { answers, committed, seenInside };
        });
      expect(outcome.committed).toBe(false);
      expect(outcome.answers[1]).toHaveLength(1);
      if (mode === 'thread') expect(outcome.seenInside).toEqual(['y']);
      expect(await names()).toEqual(['y', 'first', 'x', 'went on']);

      const rolledBack = await db()
        .transaction()
        .execute(async (trx) => {
          const { committed } = await executeBatch(trx, claimBatch(['x', 'z'], 'second'), [{ statement: 1, rows: 2 }]);
          expect(committed).toBe(false);
          throw new Error('the caller gives up');
        })
        .catch((e: unknown) => e);
      expect(String(rolledBack)).toMatch(/gives up/);
      expect(await names()).toEqual(['y', 'first', 'x', 'went on']);
    });

    it('should run a batch outside a transaction statement by statement', async () => {
      const { answers } = await executeBatch(db(), [
        { sql: 'insert into t (display_name) values (?) returning display_name', parameters: ['solo'] },
        { sql: 'select display_name from t', parameters: [] },
      ]);
      expect(answers).toEqual([[{ displayName: 'solo' }], [{ displayName: 'solo' }]]);
    });
  });
}
