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
/** The pseudo-statement that ends a batch carrying a commit condition (executeBatch's `commitWhen`): never run as SQL. */
const COMMIT_WHEN_SQL = '/* roster: commit when */';

export interface BatchStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** "Statement `statement` of the batch answered exactly `rows` rows." */
export interface RowCountCondition {
  statement: number;
  rows: number;
}

export function isStatementBatch(query: CompiledQuery): boolean {
  return query.sql === BATCH_SQL;
}

/** The batch's statements, without its commit condition. */
export function statementsOf(query: CompiledQuery): BatchStatement[] {
  const statements = query.parameters as BatchStatement[];
  return statements.at(-1)?.sql === COMMIT_WHEN_SQL ? statements.slice(0, -1) : statements;
}

/** The batch's commit condition (executeBatch's `commitWhen`), when it carries one. */
export function commitWhenOf(query: CompiledQuery): RowCountCondition[] | undefined {
  const last = (query.parameters as BatchStatement[]).at(-1);
  return last?.sql === COMMIT_WHEN_SQL ? (last.parameters as RowCountCondition[]) : undefined;
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
): Promise<{ answers: unknown[][]; committed: boolean }> {
  const sent = commitWhen ? [...statements, { sql: COMMIT_WHEN_SQL, parameters: commitWhen }] : statements;
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
