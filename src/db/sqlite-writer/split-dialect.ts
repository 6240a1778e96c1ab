import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  RawNode,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';
import { batchEndOf, COMMITTED_ROW, isStatementBatch, statementsOf, type BatchAnswerRow } from '../statement-batch.js';
import type { WriterResult, WriterThread } from './writer-thread.js';

/** One holder at a time of the write connection: a transaction (BEGIN to COMMIT/ROLLBACK) or one write. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return release;
  }
}

const readSql = /^\s*select\b/i;

/**
 * True for a statement the main thread's read connection may answer: a Kysely select, or raw SQL that starts
 * with SELECT and that SQLite says writes nothing. Everything else (INSERT/UPDATE/DELETE/REPLACE with or
 * without RETURNING, DDL, PRAGMA, transaction control) goes to the writer.
 */
function isRead(query: CompiledQuery, reader: SqliteDatabase): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  if (!RawNode.is(query.query) || !readSql.test(query.sql)) return false;
  return (reader.prepare(query.sql) as unknown as SQLite.Statement).readonly;
}

function fromWriter<R>(result: WriterResult): QueryResult<R> {
  if (result.skipped) return { rows: [] };
  if (result.results) {
    const rows = result.results.map((rows): BatchAnswerRow => ({ rows: rows as BatchAnswerRow['rows'] }));
    if (result.committed) rows.push({ rows: [COMMITTED_ROW] });
    return { rows: rows as R[] };
  }
  if (result.rows) return { rows: result.rows as R[] };
  return {
    numAffectedRows: result.changes !== undefined ? BigInt(result.changes) : undefined,
    insertId: result.lastInsertRowid !== undefined ? BigInt(result.lastInsertRowid) : undefined,
    rows: [],
  };
}

function readOn<R>(reader: SqliteDatabase, { sql, parameters }: CompiledQuery): QueryResult<R> {
  const statement = reader.prepare(sql);
  return { rows: statement.all(parameters) as R[] };
}

/**
 * A connection as Kysely sees it: outside a transaction, reads run at once on the main thread's read
 * connection (WAL: beside the writer, on the last committed state) and each write waits its turn for the
 * writer; inside a transaction every statement, reads included, runs on the writer, in order.
 */
class SplitConnection implements DatabaseConnection {
  /** Set while this connection holds the writer for a transaction. */
  release: (() => void) | undefined;
  /** BEGIN not yet sent: it travels with the transaction's first statement. */
  beginPending = false;
  /** The writer thread that ran the transaction's BEGIN. */
  thread: number | undefined;
  /** The writer committed the transaction with its last batch (executeBatch's `commitWhen`). */
  committed = false;

  constructor(
    private readonly reader: SqliteDatabase,
    private readonly writer: WriterThread,
    private readonly mutex: Mutex,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.release) {
      // Anything after a batch that committed would run outside the transaction the caller believes open.
      if (this.committed) throw new Error('The transaction was committed with its last statement batch: nothing may follow it.');
      const end = isStatementBatch(query) ? batchEndOf(query) : undefined;
      if (end?.speculative) throw new Error('A speculative batch is a transaction of its own: it cannot run inside another.');
      const begin = this.beginPending;
      this.beginPending = false;
      const answer = isStatementBatch(query)
        ? this.writer.runBatch(statementsOf(query), begin, this.thread, end)
        : this.writer.run(query.sql, query.parameters, begin, this.thread);
      // BEGIN ran even if the statement after it failed: the transaction lives on that thread from now on.
      if (begin) this.thread = (await answer.catch(() => ({ thread: undefined }))).thread;
      const result = await answer;
      if (result.committed) this.committed = true;
      return fromWriter(result);
    }
    const end = isStatementBatch(query) ? batchEndOf(query) : undefined;
    // Not under the lock: it is a transaction of its own in one message, and the thread runs it only between two others.
    if (end?.speculative) return fromWriter(await this.writer.speculate(statementsOf(query), { ...end, speculative: end.speculative }));
    if (isStatementBatch(query)) {
      // Outside a transaction a batch is its statements one by one, each a write or a read as it is.
      const rows: BatchAnswerRow[] = [];
      for (const { sql, parameters } of statementsOf(query))
        rows.push({ rows: (await this.executeQuery<Record<string, unknown>>(CompiledQuery.raw(sql, [...parameters]))).rows });
      return { rows: rows as R[] };
    }
    if (isRead(query, this.reader)) return readOn(this.reader, query);
    const release = await this.mutex.lock();
    try {
      return fromWriter(await this.writer.run(query.sql, query.parameters));
    } finally {
      release();
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!this.release && isRead(query, this.reader)) {
      for (const row of this.reader.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
      return;
    }
    // Inside a transaction the writer answers with every row at once.
    for (const row of (await this.executeQuery<R>(query)).rows) yield { rows: [row] };
  }

  /**
   * Ends the transaction with `sql` (COMMIT or ROLLBACK); nothing to send when no statement ran, or when the
   * writer committed it with its last batch (a ROLLBACK then, from a caller failing after that batch, has
   * nothing left to undo: `commitWhen` is only for a batch that is its transaction's last step).
   */
  async end(sql: string): Promise<void> {
    if (this.beginPending || this.committed) {
      this.beginPending = false;
      this.committed = false;
      return;
    }
    try {
      await this.writer.run(sql, [], false, this.thread);
    } catch (error) {
      // The thread that ran BEGIN ended (a crash: SQLite rolled the transaction back with its connection), or a
      // failed COMMIT already ended it: the caller's own error is the one to report.
      if (sql === 'rollback') return;
      throw error;
    }
  }
}

class SplitDriver implements Driver {
  readonly #mutex = new Mutex();

  constructor(
    private readonly reader: SqliteDatabase,
    private readonly writer: WriterThread,
  ) {}

  async init(): Promise<void> {
    await this.writer.start();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SplitConnection(this.reader, this.writer, this.#mutex);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const split = connection as SplitConnection;
    split.release = await this.#mutex.lock();
    split.beginPending = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileSavepoint('savepoint', name, compile));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileSavepoint('rollback to', name, compile));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileSavepoint('release', name, compile));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const split = connection as SplitConnection;
    const release = split.release;
    split.release = undefined;
    split.beginPending = false;
    split.committed = false;
    split.thread = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      this.reader.close();
    }
  }
}

function compileSavepoint(command: string, name: string, compile: QueryCompiler['compileQuery']): CompiledQuery {
  void compile;
  return CompiledQuery.raw(`${command} "${name.replace(/"/g, '""')}"`);
}

/**
 * SQLite with its writes on a thread of their own (see writer-thread.ts) and its reads on the main thread.
 * SQL, adapter and introspection are SQLite's own.
 */
export class SplitSqliteDialect implements Dialect {
  constructor(
    private readonly reader: SqliteDatabase,
    private readonly writer: WriterThread,
  ) {}

  createDriver(): Driver {
    return new SplitDriver(this.reader, this.writer);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
