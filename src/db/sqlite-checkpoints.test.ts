import fs from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqlitePair } from '../testing/sqlite-pair.js';
import type { Database } from './kysely.js';

/**
 * The server's connection leaves WAL checkpoints to the import thread's while the thread runs: a small
 * commit of the server's must not copy the import's pages into the database with the event loop held.
 * What is observable is the WAL: frames a checkpoint has not yet copied stay in it.
 */
describe('sqlite: checkpoints left to another connection', () => {
  const { file, first: server, second: importer } = sqlitePair('checkpoints');

  /** About `pages` pages of 4 KiB, in commits of 100. */
  async function write(database: Database, pages: number): Promise<void> {
    for (let done = 0; done < pages; done += 100)
      await database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 100; i++) await sql`insert into t (b) values (randomblob(3900))`.execute(trx);
      });
  }

  /**
   * How many times the WAL was started over, which a writer does after a checkpoint copied all of it: the
   * checkpoint sequence number of the WAL's header (bytes 12-15), read without touching the database.
   */
  function walRestarts(): number {
    const header = Buffer.alloc(16);
    const fd = fs.openSync(`${file}-wal`, 'r');
    try {
      fs.readSync(fd, header, 0, 16, 0);
    } finally {
      fs.closeSync(fd);
    }
    return header.readUInt32BE(12);
  }

  it("should not checkpoint on the server's commits while another connection takes them, and again once it takes them back", async () => {
    await sql`create table t (b blob not null)`.execute(server.db);
    expect(server.leaveCheckpointsToOthers).toBeTypeOf('function');
    await write(server, 100);
    const before = walRestarts();

    server.leaveCheckpointsToOthers!(true);
    await write(server, 2500);
    // Past SQLite's 1,000-page threshold many times over, and never checkpointed: the WAL holds it all.
    expect(walRestarts()).toBe(before);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(2500 * 4096);

    // The other connection's next commit finds the WAL past the threshold and checkpoints it, so the next write starts it over.
    await sql`insert into t (b) values (x'00')`.execute(importer.db);
    await write(server, 100);
    const afterImporter = walRestarts();
    expect(afterImporter).toBeGreaterThan(before);

    server.leaveCheckpointsToOthers!(false);
    await write(server, 2500);
    expect(walRestarts()).toBeGreaterThanOrEqual(afterImporter + 2);
  });
});
