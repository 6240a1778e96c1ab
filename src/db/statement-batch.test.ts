import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation } from './errors.js';
import type { Database } from './kysely.js';
import { openSqlite } from './sqlite-open.js';
import { executeBatch, executeSpeculatively } from './statement-batch.js';

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

    /** A committed batch named `token`, as an import's batch before the speculative one. */
    const committedBatch = (token: number, name: string) =>
      db()
        .transaction()
        .execute((trx) => executeBatch(trx, claimBatch([name], `${name}-first`), [{ statement: 1, rows: 1 }], token));
    const never = new Promise<never>(() => undefined);

    it(
      mode === 'thread'
        ? 'should run a speculative batch as a transaction of its own once the batch it names committed, and name its own commit'
        : 'should write nothing for a speculative batch, leaving it to the usual path',
      async () => {
        const first = committedBatch(101, 'a');
        // Posted while the named batch may still be on its way: it runs after it, in the thread.
        const second = executeSpeculatively(db(), claimBatch(['b'], 'b-first'), {
          commitWhen: [{ statement: 1, rows: 1 }],
          token: 102,
          after: 101,
          abandoned: never,
        });
        expect((await first).committed).toBe(mode === 'thread');
        const { committed, answers } = await second;
        if (mode === 'inline') {
          expect(committed).toBe(false);
          expect(await names()).toEqual(['a-first', 'a']);
          return;
        }
        expect(committed).toBe(true);
        expect(answers[1]).toHaveLength(1);
        const third = await executeSpeculatively(db(), claimBatch(['c'], 'c-first'), {
          commitWhen: [{ statement: 1, rows: 1 }],
          token: 103,
          after: 102,
          abandoned: never,
        });
        expect(third.committed).toBe(true);
        expect(await names()).toEqual(['a-first', 'a', 'b-first', 'b', 'c-first', 'c']);
      },
    );

    it('should write nothing for a speculative batch whose claims are not all won, or that fails', async () => {
      await committedBatch(201, 'taken');
      const lost = await executeSpeculatively(db(), claimBatch(['x', 'taken'], 'lost-first'), {
        commitWhen: [{ statement: 1, rows: 2 }],
        token: 202,
        after: 201,
        abandoned: never,
      });
      expect(lost).toEqual({ answers: [], committed: false });
      const failing = await executeSpeculatively(
        db(),
        [
          { sql: 'insert into t (display_name) values (?)', parameters: ['half'] },
          { sql: 'insert into t (display_name) values (?)', parameters: ['taken'] },
        ],
        { commitWhen: [], token: 203, after: 201, abandoned: never },
      );
      expect(failing.committed).toBe(false);
      expect(await names()).toEqual(['taken-first', 'taken']);
      // The thread goes on: the next speculative batch after the same commit runs.
      const next = await executeSpeculatively(db(), claimBatch(['y'], 'y-first'), {
        commitWhen: [{ statement: 1, rows: 1 }],
        token: 204,
        after: 201,
        abandoned: never,
      });
      expect(next.committed).toBe(mode === 'thread');
    });

    // The thread's: on the inline connection a statement outside the open transaction waits for it to end.
    it.runIf(mode === 'thread')(
      'should write nothing for a speculative batch after a batch that did not commit, and leave that transaction to its owner',
      async () => {
        await executeBatch(db(), [{ sql: 'insert into t (display_name) values (?)', parameters: ['y'] }]);
        const outcome = await db()
          .transaction()
          .execute(async (trx) => {
            // 'y' exists: the named batch's condition fails and its transaction stays open.
            const named = await executeBatch(trx, claimBatch(['x', 'y']), [{ statement: 1, rows: 2 }], 301);
            const speculative = await executeSpeculatively(db(), claimBatch(['z'], 'z-first'), {
              commitWhen: [{ statement: 1, rows: 1 }],
              token: 302,
              after: 301,
              abandoned: never,
            });
            await sql`insert into t (display_name) values ('owner went on')`.execute(trx);
            return { named: named.committed, speculative: speculative.committed };
          });
        expect(outcome).toEqual({ named: false, speculative: false });
        expect(await names()).toEqual(['y', 'first', 'x', 'owner went on']);
      },
    );

    it('should not post a speculative batch when the batch it names is abandoned before being posted', async () => {
      let abandon!: () => void;
      const abandoned = new Promise<void>((resolve) => (abandon = resolve));
      const speculative = executeSpeculatively(db(), claimBatch(['w'], 'w-first'), { commitWhen: [], token: 402, after: 401, abandoned });
      abandon();
      expect(await speculative).toEqual({ answers: [], committed: false });
      // Batch 401 commits later, under that name: the abandoned batch is not run after it.
      await committedBatch(401, 'late');
      expect(await names()).toEqual(['late-first', 'late']);
    });

    it.runIf(mode === 'thread')('should let several speculative batches wait for the same batch to be posted', async () => {
      const speculate = (name: string, token: number) =>
        executeSpeculatively(db(), claimBatch([name], `${name}-first`), {
          commitWhen: [{ statement: 1, rows: 1 }],
          token,
          after: 501,
          abandoned: never,
        });
      const waiting = [speculate('p', 502), speculate('q', 503)];
      await committedBatch(501, 'named');
      expect((await Promise.all(waiting)).map((r) => r.committed)).toEqual([true, true]);
      expect(await names()).toEqual(['named-first', 'named', 'p-first', 'p', 'q-first', 'q']);
    });

    it.runIf(mode === 'thread')('should refuse a speculative batch inside a transaction and leave that transaction whole', async () => {
      const refused = await db()
        .transaction()
        .execute(async (trx) => {
          const error = await executeSpeculatively(trx, claimBatch(['s']), {
            commitWhen: [],
            token: 601,
            after: 1,
            abandoned: never,
          }).catch((e: unknown) => e);
          await sql`insert into t (display_name) values ('inside')`.execute(trx);
          throw error;
        })
        .catch((e: unknown) => e);
      expect(String(refused)).toMatch(/transaction of its own/);
      // The transaction's BEGIN was still sent with its first statement, so its rollback took 'inside' with it.
      expect(await names()).toEqual([]);
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
