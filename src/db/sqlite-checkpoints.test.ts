import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlitePair } from '../testing/sqlite-pair.js';
import type { Database } from './kysely.js';
import { walState } from './sqlite-checkpoint-thread.js';
import { openSqlite, sqliteCheckpointThreadOf } from './sqlite-open.js';
import { until } from '../testing/until.js';

const execFileAsync = promisify(execFile);

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
 * loop held, the thread copies it once 1,000 frames were written, and the WAL stays bounded whatever the
 * commits do (the main connection copies a tail the thread's checkpoints keep leaving behind).
 */
describe('sqlite (inline): checkpoints on a thread of their own', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-checkpoint-thread-'));
  const file = path.join(dir, 'server.sqlite');
  const server = openSqlite(file, 'inline', 1000, true);
  const thread = sqliteCheckpointThreadOf(server.db)!;
  const framesSteps = Array.from({ length: 80 }, (_, i) => (i + 1) * 100);
  beforeAll(async () => {
    await sql`create table t (b blob not null)`.execute(server.db);
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should take no checkpoint inside a commit, and copy the WAL on the thread', async () => {
    const { rows } = await sql<Record<string, number>>`pragma wal_autocheckpoint`.execute(server.db);
    expect(Object.values(rows[0] ?? {})).toEqual([0]);
    const before = walRestarts(file);
    await write(server, 1300);
    // Past 1,000 frames the thread is asked; a write after its checkpoint starts the WAL over.
    await until(
      async () => {
        await sql`insert into t (b) values (x'00')`.execute(server.db);
        return walRestarts(file) > before;
      },
      'the checkpoint thread to copy the WAL',
      20_000,
    );
    expect(thread.mainCheckpoints).toBe(0);
  });

  it('should keep the WAL bounded under commits back to back', async () => {
    const before = walRestarts(file);
    let largest = 0;
    // One row of 3 pages a commit, each awaited without the event loop turning in between (inline SQLite answers at once).
    for (let i = 0; i < 2500; i++) {
      await sql`insert into t (b) values (randomblob(12000))`.execute(server.db);
      largest = Math.max(largest, walState(file, framesSteps).frames);
    }
    // Unchecked, these commits leave more than 7,500 frames; here never past 3,000 (twice the interval and a look's worth).
    expect(largest).toBeLessThan(3000);
    expect(walRestarts(file)).toBeGreaterThanOrEqual(before + 2);
  });

  it('should go on writing while another process opens the store and reads it', async () => {
    // SQLite's locks on the wal-index are the process's: were any of them dropped here, the other process would
    // rebuild the wal-index under this one's writes (in the reviewed draft: SIGBUS, the process killed).
    for (let round = 0; round < 3; round++) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(server.db);
      let reading = true;
      const read = execFileAsync(process.execPath, ['-e', readerScript(file)]).finally(() => (reading = false));
      while (reading) {
        await write(server, 100);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(Number((await read).stdout)).toBeGreaterThanOrEqual(rows[0]!.n);
    }
    await write(server, 300);
    const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(server.db);
    await server.close();
    // The thread closed first, so the server's connection, the last, copied the WAL and removed it.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const { stdout } = await execFileAsync(process.execPath, ['-e', readerScript(file)]);
    expect(Number(stdout)).toBe(rows[0]?.n);
  });
});

/** A script for another process: opens `file` with better-sqlite3 and prints the rows of `t`. */
function readerScript(file: string): string {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return `const SQLite = require(${JSON.stringify(driver)});
const db = new SQLite(${JSON.stringify(file)});
process.stdout.write(String(db.prepare('select count(*) as n from t').get().n));
db.close();`;
}
