import { CompiledQuery } from 'kysely';
import type { Executor } from './database.js';

/**
 * Statements run in order in one call. On SQLite's writer thread a batch is one message, answered once,
 * instead of a round trip per statement: a chunk's dozen INSERTs wait for the main thread only once, so the
 * writer commits one chunk while the main thread validates the next (an import). On the inline connection
 * the statements simply run one after the other.
 *
 * A batch travels through Kysely as one raw query whose text is BATCH_SQL and whose parameters are the
 * statements: the connection, the transaction and its lock stay Kysely's.
 */
const BATCH_SQL = '/* roster: statement batch */';
/** The pseudo-statement that ends a batch carrying a BatchEnd (executeBatch's `commitWhen`): never run as SQL. */
const BATCH_END_SQL = '/* roster: batch end */';

export interface BatchStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** "Statement `statement` of the batch answered exactly `rows` rows." */
export interface RowCountCondition {
  statement: number;
  rows: number;
}

/** What a batch asks of SQLite's writer thread after its statements. */
export interface BatchEnd {
  /** COMMIT after the statements when each listed statement answered that many rows. */
  commitWhen: RowCountCondition[];
  /** Names this batch's commit, so that a speculative batch may run only after it (`speculative.after`). */
  token?: number;
  /** A speculative batch (executeSpeculatively): run alone, at once, only after the commit named `after`. */
  speculative?: { after: number; abandoned: PromiseLike<unknown> };
}

export function isStatementBatch(query: CompiledQuery): boolean {
  return query.sql === BATCH_SQL;
}

/** The batch's statements, without its end. */
export function statementsOf(query: CompiledQuery): BatchStatement[] {
  const statements = query.parameters as BatchStatement[];
  return statements.at(-1)?.sql === BATCH_END_SQL ? statements.slice(0, -1) : statements;
}

/** What the batch asks after its statements (a commit condition), when it asks anything. */
export function batchEndOf(query: CompiledQuery): BatchEnd | undefined {
  const last = (query.parameters as BatchStatement[]).at(-1);
  return last?.sql === BATCH_END_SQL ? (last.parameters[0] as BatchEnd) : undefined;
}

/** A SQLite connection's answer to a batch: one row per statement, holding the statement's own rows. */
export interface BatchAnswerRow {
  rows: Array<Record<string, unknown>>;
}

// Column names, camel-cased once each: a batch's RETURNING rows repeat the same few keys hundreds of times.
const camelKeys = new Map<string, string>();
const camel = (key: string) => {
  let camelKey = camelKeys.get(key);
  if (camelKey === undefined) {
    camelKey = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (camelKeys.size < 1000) camelKeys.set(key, camelKey);
  }
  return camelKey;
};

/** The answer a connection gives a batch's commit condition, after the statements' own rows. */
export const COMMITTED_ROW = { committed: true } as const;

/**
 * SQLite: runs `statements` in order and answers each one's rows (RETURNING), with camelCase keys as
 * Kysely's plugin gives them. The first statement that fails stops the batch and rejects it: the
 * statements before it ran, so a batch belongs in a transaction, which the caller's error then rolls back.
 *
 * `commitWhen`, for a batch that is its transaction's last write: on the writer thread, when every listed
 * statement answered exactly that many rows, the thread commits the transaction in the same message
 * (`committed`), so the main thread is not waited for between the batch and its COMMIT; the transaction's
 * own commit then has nothing left to do, and it must run nothing else. Otherwise (a condition not met,
 * the inline connection) the transaction stays open as without it.
 */
export async function executeBatch(
  db: Executor,
  statements: BatchStatement[],
  commitWhen?: RowCountCondition[],
  /** Names the commit, for a speculative batch that must run after it (executeSpeculatively). */
  token?: number,
): Promise<{ answers: unknown[][]; committed: boolean }> {
  return send(db, statements, commitWhen && { commitWhen, ...(token !== undefined ? { token } : {}) });
}

/**
 * SQLite's writer thread only, outside any transaction: runs `statements` as a transaction of their own (BEGIN,
 * the statements, COMMIT when every `commitWhen` condition holds, ROLLBACK otherwise), in one message, and only
 * if the batch named `after` committed (its executeBatch `token`) and no transaction is open when this one's turn
 * comes. It is posted once that batch is posted, without waiting for its answer, so the writer goes from one
 * transaction to the next without waiting for the main thread; nothing runs if `abandoned` settles first (that
 * batch will never be posted). `committed: false` means nothing was written: the caller writes the usual way.
 */
export async function executeSpeculatively(
  db: Executor,
  statements: BatchStatement[],
  options: { commitWhen: RowCountCondition[]; token: number; after: number; abandoned: PromiseLike<unknown> },
): Promise<{ answers: unknown[][]; committed: boolean }> {
  const { commitWhen, token, after, abandoned } = options;
  return send(db, statements, { commitWhen, token, speculative: { after, abandoned } });
}

async function send(
  db: Executor,
  statements: BatchStatement[],
  end: BatchEnd | undefined,
): Promise<{ answers: unknown[][]; committed: boolean }> {
  const sent = end ? [...statements, { sql: BATCH_END_SQL, parameters: [end] }] : statements;
  // The plugin camel-cases the answer's own rows ({ rows }); the statements' rows inside are kept as SQLite named them.
  const { rows } = await db.executeQuery<BatchAnswerRow>(CompiledQuery.raw(BATCH_SQL, sent));
  const answers = rows
    .slice(0, statements.length)
    .map((answer) => answer.rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [camel(key), value]))));
  return { answers, committed: rows[statements.length]?.rows[0]?.committed === true };
}

/** Whether `answers` (one list of rows per statement) meet every condition. */
export function rowCountsMet(answers: ReadonlyArray<{ length: number }>, conditions: readonly RowCountCondition[]): boolean {
  return conditions.every(({ statement, rows }) => answers[statement]?.length === rows);
}
