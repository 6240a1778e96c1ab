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

export interface BatchStatement {
  sql: string;
  parameters: readonly unknown[];
}

export function isStatementBatch(query: CompiledQuery): boolean {
  return query.sql === BATCH_SQL;
}

export function statementsOf(query: CompiledQuery): BatchStatement[] {
  return query.parameters as BatchStatement[];
}

/** A SQLite connection's answer to a batch: one row per statement, holding the statement's own rows. */
export interface BatchAnswerRow {
  rows: Array<Record<string, unknown>>;
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * SQLite: runs `statements` in order and answers each one's rows (RETURNING), with camelCase keys as
 * Kysely's plugin gives them. The first statement that fails stops the batch and rejects it: the
 * statements before it ran, so a batch belongs in a transaction, which the caller's error then rolls back.
 */
export async function executeBatch(db: Executor, statements: BatchStatement[]): Promise<unknown[][]> {
  // The plugin camel-cases the answer's own rows ({ rows }); the statements' rows inside are kept as SQLite named them.
  const { rows } = await db.executeQuery<BatchAnswerRow>(CompiledQuery.raw(BATCH_SQL, statements));
  return rows.map((answer) => answer.rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [camel(key), value]))));
}
