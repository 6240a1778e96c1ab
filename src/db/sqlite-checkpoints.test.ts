import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlitePair } from '../testing/sqlite-pair.js';
import type { Database } from './kysely.js';
import { framesWaiting } from './sqlite-checkpoint-thread.js';
import { openSqlite } from './sqlite-open.js';
import { until } from '../testing/until.js';

/**
 * The server's connection leaves WAL checkpoints to the import thread's while the thread runs: a small
 * commit of the server's must not copy the import's pages into the database with the event loop held.
 * What is observable is the WAL: frames a checkpoint has not yet copied stay in it.
 */
/** About `pages` pages of 4 KiB, in commits of 100. */
async function write(database: Database, pages: number): Promise<void> {
  for (let done = 0; done < pages; done += 100)
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 100; i++) await sql`insert into t (b) values (randomblob(3900))`.execute(trx);
    });
}

/**
 * How many times the WAL of `file` was started over, which a writer does after a checkpoint copied all of it:
 * the checkpoint sequence number of the WAL's header (bytes 12-15), read without touching the database.
 */
function walRestarts(file: string): number {
  const header = Buffer.alloc(16);
  const fd = fs.openSync(`${file}-wal`, 'r');
  try {
    fs.readSync(fd, header, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32BE(12);
}

describe('sqlite: checkpoints left to another connection', () => {
  const { file, first: server, second: importer } = sqlitePair('checkpoints');

  it("should not checkpoint on the server's commits while another connection takes them, and again once it takes them back", async () => {
    await sql`create table t (b blob not null)`.execute(server.db);
    expect(server.leaveCheckpointsToOthers).toBeTypeOf('function');
    await write(server, 100);
    const before = walRestarts(file);

    server.leaveCheckpointsToOthers!(true);
    await write(server, 2500);
    // Past SQLite's 1,000-page threshold many times over, and never checkpointed: the WAL holds it all.
    expect(walRestarts(file)).toBe(before);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(2500 * 4096);

    // The other connection's next commit finds the WAL past the threshold and checkpoints it, so the next write starts it over.
    await sql`insert into t (b) values (x'00')`.execute(importer.db);
    await write(server, 100);
    const afterImporter = walRestarts(file);
    expect(afterImporter).toBeGreaterThan(before);

    server.leaveCheckpointsToOthers!(false);
    await write(server, 2500);
    expect(walRestarts(file)).toBeGreaterThanOrEqual(afterImporter + 2);
  });
});

/**
 * A bulk writer (`roster import`) checkpoints after more WAL pages than SQLite's 1,000, so a page many
 * chunks rewrite is copied once; on both ways of writing a file (inline, the writer thread).
 */
describe.each(['inline', 'thread'] as const)('sqlite (%s): a longer checkpoint interval', (mode) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-checkpoint-interval-'));
  const file = path.join(dir, 'bulk.sqlite');
  const bulk = openSqlite(file, mode, 3000);
  afterAll(async () => {
    await bulk.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should leave the WAL unchecked past 1,000 pages, and checkpoint it past the interval given', async () => {
    await sql`create table t (b blob not null)`.execute(bulk.db);
    await write(bulk, 100);
    const before = walRestarts(file);
    await write(bulk, 2500);
    expect(walRestarts(file)).toBe(before);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(2500 * 4096);
    // Past 3,000 pages the next commit checkpoints, and the write after it starts the WAL over.
    await write(bulk, 700);
    await write(bulk, 100);
    expect(walRestarts(file)).toBeGreaterThan(before);
  });
});

/**
 * The server's connection checkpoints on a thread of its own: its commits never copy the WAL with the event
 * loop held, and the thread copies it once 1,000 frames wait, so the WAL is started over as before.
 */
describe('sqlite (inline): checkpoints on a thread of their own', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-checkpoint-thread-'));
  const file = path.join(dir, 'server.sqlite');
  const server = openSqlite(file, 'inline', 1000, true);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should leave checkpoints out of its commits, copy the WAL on the thread, and remove it on close', async () => {
    await sql`create table t (b blob not null)`.execute(server.db);
    await write(server, 100);
    const before = walRestarts(file);

    // The thread held back (as while the import thread writes): the commits alone never checkpoint.
    server.leaveCheckpointsToOthers!(true);
    await write(server, 2500);
    expect(walRestarts(file)).toBe(before);
    expect(framesWaiting(file)).toBeGreaterThanOrEqual(2500);

    // Let go, the next commit finds 2,500 frames waiting and returns with them still waiting (an inline
    // connection's commit would have copied them before returning): the thread, starting, copies them.
    server.leaveCheckpointsToOthers!(false);
    await sql`insert into t (b) values (x'00')`.execute(server.db);
    expect(framesWaiting(file)).toBeGreaterThanOrEqual(2500);
    // A write after the thread's checkpoint starts the WAL over.
    await until(async () => {
      await sql`insert into t (b) values (x'00')`.execute(server.db);
      return framesWaiting(file)! < 1000 && walRestarts(file) > before;
    }, 'the checkpoint thread to copy the WAL');

    await server.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(Number((await countRows(file)).n)).toBeGreaterThan(2600);
  });
});

/** Rows of `t` in `file`, read by a connection of its own. */
async function countRows(file: string): Promise<{ n: number }> {
  const reader = openSqlite(file, 'inline');
  try {
    const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(reader.db);
    return rows[0]!;
  } finally {
    await reader.close();
  }
}
