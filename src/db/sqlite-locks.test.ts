import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqlitePair } from '../testing/sqlite-pair.js';

/**
 * Two connections writing one SQLite file (the server's and its import thread's, or another process's):
 * the second waits for the first's lock on a timer, so the event loop goes on serving meanwhile, and its
 * write lands once the first commits. A sleep inside the driver (better-sqlite3's busy timeout) would
 * block the thread: here, the first connection could then never finish, and the second would fail.
 */
describe('sqlite: a write waiting for another connection', () => {
  const { first, second } = sqlitePair('locks');

  it('should wait on a timer while the lock is held, keep the event loop free, and write once the lock is released', async () => {
    await sql`create table t (n integer not null)`.execute(first.db);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = first.db.transaction().execute(async (trx) => {
      await sql`insert into t (n) values (1)`.execute(trx);
      locked();
      await released;
    });
    await isLocked;

    let written = false;
    const waiting = sql`insert into t (n) values (2)`.execute(second.db).then(() => {
      written = true;
    });
    const alsoInTransaction = second.db.transaction().execute(async (trx) => {
      await sql`insert into t (n) values (3)`.execute(trx);
    });
    // Timers fire while both wait: the event loop is not held by either.
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(written).toBe(false);
    release();
    await holder;
    await Promise.all([waiting, alsoInTransaction]);
    const rows = await sql<{ n: number }>`select n from t order by n`.execute(second.db);
    expect(rows.rows.map((r) => r.n)).toEqual([1, 2, 3]);
  });
});
