import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CamelCasePlugin,
  CompiledQuery,
  Kysely,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { DB } from './database.js';
import type { Database } from './kysely.js';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js';
import { batchEndOf, isStatementBatch, statementsOf, type BatchAnswerRow } from './statement-batch.js';
import { CheckpointThread } from './sqlite-checkpoint-thread.js';
import { stderrJsonLog } from './connection-error-log.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { SplitSqliteDialect } from './sqlite-writer/split-dialect.js';
import { WriterThread } from './sqlite-writer/writer-thread.js';

/** How long a connection waits for another one's lock (another process writing, a checkpoint) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * How a file store writes: `inline` (the default) keeps one connection on the main thread for everything;
 * `thread` runs every write and transaction on a writer thread, so a commit's fsync never blocks the event
 * loop, while reads outside transactions run on a main-thread connection beside it. Measured on a quiet
 * 2-core machine (BENCHMARKS.md), `thread` costs more CPU per create than the fsync it takes off the event
 * loop (messages to and from the thread, a second connection: single creates about a third fewer, idle RSS
 * +20 MiB), but keeps reads fast while a long import writes, and lets `roster import` validate one batch while
 * the thread commits another; hence a choice, not the server's default. `:memory:` is always
 * inline (an in-memory database cannot be shared by two connections).
 */
export function sqliteWriterMode(env: NodeJS.ProcessEnv = process.env): 'thread' | 'inline' {
  const value = env.ROSTER_SQLITE_WRITER ?? 'inline';
  if (value !== 'thread' && value !== 'inline') throw new Error(`ROSTER_SQLITE_WRITER must be thread or inline, not ${value}`);
  return value;
}

/**
 * Transactions take the write lock when they begin (BEGIN IMMEDIATE). A deferred BEGIN would read first and
 * fail at its first write with SQLITE_BUSY, without waiting, whenever another connection committed since
 * its read began: with two writers (the import thread's connection and the server's, or another process),
 * a create would fail at random instead of waiting its turn.
 *
 * Waiting for a lock never blocks the event loop: better-sqlite3's busy timeout would sleep inside the
 * call, holding every request of the process for as long as the import thread's chunk keeps the lock
 * (seconds, measured: reads during an import had a 3 s maximum). The connection's busy timeout is 0 and a
 * statement refused with SQLITE_BUSY (which has had no effect) is retried after a timer, 1 ms doubling to
 * 16 ms, for up to BUSY_TIMEOUT_MS.
 */
class ImmediateTransactionsDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

/** Runs a statement, retrying it after a timer while another connection holds the lock it needs. */
async function whenUnlocked<T>(run: () => Promise<T>, timeoutMs = BUSY_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 16)) {
    try {
      return await run();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * Each statement retried while another connection holds the lock; a statement batch run one statement after
 * the other. `settled` runs after each statement but a select that leaves no transaction open (a commit, or
 * a write outside a transaction).
 */
function retryWhenBusy(connection: DatabaseConnection, sqlite: SQLite.Database, settled?: () => void): void {
  const execute = connection.executeQuery.bind(connection);
  const one = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    try {
      return await whenUnlocked(() => execute<R>(query));
    } finally {
      // A read adds nothing to the WAL: only what wrote (or committed) looks at it.
      if (settled && !sqlite.inTransaction && query.query.kind !== 'SelectQueryNode') settled();
    }
  };
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    if (!isStatementBatch(query)) return one<R>(query);
    // Speculation is the writer thread's: here it writes nothing, and the caller writes the usual way.
    if (batchEndOf(query)?.speculative) return { rows: [] };
    const rows: BatchAnswerRow[] = [];
    for (const { sql, parameters } of statementsOf(query))
      rows.push({ rows: (await one<Record<string, unknown>>(CompiledQuery.raw(sql, [...parameters]))).rows });
    return { rows: rows as R[] };
  };
}

/** SQLite's default: a commit that leaves the WAL past this many pages checkpoints it. */
const DEFAULT_AUTOCHECKPOINT = 1000;

/**
 * The checkpoint interval of a connection that writes in bulk (`roster import`, the server's import thread):
 * at most about 40 MiB of WAL. A 100,000-row CLI import: +11-20 % against SQLite's 1,000.
 */
export const BULK_CHECKPOINT_PAGES = 10_000;

/**
 * The embedded store: one SQLite file (or `:memory:`) behind Kysely.
 * @param checkpointPages WAL pages after which a checkpoint copies them (DatabaseOptions.sqliteCheckpointPages)
 * @param checkpointThread an inline file store's checkpoints run on a thread of their own instead of in the
 *   commit that crosses the interval (DatabaseOptions.sqliteCheckpointThread)
 */
export function openSqlite(
  file: string,
  mode = sqliteWriterMode(),
  checkpointPages = DEFAULT_AUTOCHECKPOINT,
  checkpointThread = false,
): Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // WAL lets readers run beside the writer; FULL sync makes every acknowledged commit survive power loss.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  let dialect: KyselyDialect;
  let writer: WriterThread | undefined;
  let checkpoints: CheckpointThread | undefined;
  if (file === ':memory:' || mode === 'inline') {
    // Lock waits are timers on this connection (ImmediateTransactionsDialect), never a sleep inside a call.
    sqlite.pragma('busy_timeout = 0');
    let settled: (() => void) | undefined;
    if (checkpointThread && file !== ':memory:') {
      const thread = new CheckpointThread(file, checkpointPages, {
        checkpointHere: () => sqlite.pragma('wal_checkpoint(PASSIVE)'),
        onError: (err) => stderrJsonLog({ msg: 'SQLite checkpoint failed', err }),
      });
      sqlite.pragma('wal_autocheckpoint = 0');
      settled = () => thread.afterCommit();
      checkpoints = thread;
    } else sqlite.pragma(`wal_autocheckpoint = ${checkpointPages}`);
    dialect = new ImmediateTransactionsDialect({
      database: withStatementCache(sqlite),
      onCreateConnection: async (c) => retryWhenBusy(c, sqlite, settled),
    });
  } else {
    // This connection only reads: a write routed here by mistake fails loudly instead of bypassing the writer.
    sqlite.pragma('query_only = ON');
    writer = new WriterThread(file, { busyTimeoutMs: BUSY_TIMEOUT_MS, cacheCapacity: 1000, checkpointPages });
    dialect = new SplitSqliteDialect(withStatementCache(sqlite), writer);
  }
  const db = new Kysely<DB>({
    dialect,
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true }), new SqliteBooleanPlugin()],
  });
  if (writer) writers.set(db, writer);
  if (checkpoints) checkpointThreads.set(db, checkpoints);
  return {
    db,
    dialect: 'sqlite',
    // The checkpoint thread's connection closes first, so this one, the last, copies the WAL and removes it.
    close: async () => {
      await checkpoints?.close();
      await db.destroy();
    },
    // While the import thread writes, this connection leaves the WAL to the thread's, which copies the
    // import's pages every BULK_CHECKPOINT_PAGES on its own thread; otherwise a small commit of the server's
    // (a webhook's fan-out) that found the WAL past 1,000 pages would copy them, here with the event loop held,
    // or on the checkpoint thread, again and again. (Measured alone, this did not move the reads' maximum
    // during a 1,000,000-row import: that came from the finished job's delete, see dropJobData. With the
    // writer thread, this connection never commits.)
    ...(writer
      ? {}
      : {
          leaveCheckpointsToOthers: (leave: boolean) => {
            if (checkpoints) checkpoints.pause(leave);
            else sqlite.pragma(`wal_autocheckpoint = ${leave ? 0 : checkpointPages}`);
          },
        }),
  };
}

const writers = new WeakMap<Kysely<DB>, WriterThread>();
const checkpointThreads = new WeakMap<Kysely<DB>, CheckpointThread>();

/** The checkpoint thread of an inline file store opened with one (tests count its checkpoints). */
export function sqliteCheckpointThreadOf(db: Kysely<DB>): CheckpointThread | undefined {
  return checkpointThreads.get(db);
}

/** The writer thread of a file store opened in `thread` mode (tests end it to see a crash handled). */
export function sqliteWriterOf(db: Kysely<DB>): WriterThread | undefined {
  return writers.get(db);
}
