import { CompiledQuery } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { BatchStatement } from '../../db/statement-batch.js';

/**
 * Multi-row INSERTs of the create path without query building: the SQL text depends only on the
 * table, the columns, the number of rows and the dialect, so it is built once per shape and kept (on
 * SQLite the driver's statement cache then prepares it once too). Kysely's building (compile,
 * transforms, freezing) of the same statements was a tenth of a create's CPU.
 *
 * The text is executed through Kysely (`CompiledQuery.raw`): the connection, the transaction and the
 * result's camel-casing stay Kysely's; only the plugins' query transforms are skipped, so values are
 * bound as the database takes them (booleans as 0/1 on SQLite).
 */

export type SqlDialect = 'sqlite' | 'postgres';

/** A camelCase column's SQL name, as Kysely's CamelCasePlugin writes it (both insert paths build text without it). */
export const snake = (column: string) => column.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Shapes kept: a chunk has at most 500 rows, a few tables and tails, so this stays small. */
const MAX_SHAPES = 4000;
const texts = new Map<string, string>();

function insertText(dialect: SqlDialect, table: string, columns: readonly string[], rowCount: number, tail: string): string {
  const key = `${dialect}\u0000${table}\u0000${columns.join(',')}\u0000${rowCount}\u0000${tail}`;
  let text = texts.get(key);
  if (text !== undefined) return text;
  let n = 0;
  const tuple = () => `(${columns.map(() => (dialect === 'sqlite' ? '?' : `$${++n}`)).join(', ')})`;
  const tuples = Array.from({ length: rowCount }, tuple);
  text = `INSERT INTO ${table} (${columns.map((c) => `"${snake(c)}"`).join(', ')}) VALUES ${tuples.join(', ')}${tail}`;
  if (texts.size >= MAX_SHAPES) texts.clear();
  texts.set(key, text);
  return text;
}

/** The statement inserting `rows` (objects keyed by the camelCase `columns`), for a batch (statement-batch.ts); none for no rows. */
export function insertStatement(
  dialect: SqlDialect,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<Record<string, unknown>>,
  tail = '',
): BatchStatement | undefined {
  if (rows.length === 0) return undefined;
  const parameters: unknown[] = [];
  for (const row of rows)
    for (const c of columns) {
      const value = row[c] ?? null;
      parameters.push(dialect === 'sqlite' && typeof value === 'boolean' ? (value ? 1 : 0) : value);
    }
  return { sql: insertText(dialect, table, columns, rows.length, tail), parameters };
}

/**
 * Inserts `rows` (objects keyed by the camelCase `columns`) in one statement.
 * @param tail SQL after the VALUES list, e.g. ` ON CONFLICT DO NOTHING RETURNING user_id, value`
 * @returns the rows RETURNING gave, camel-cased.
 */
export async function insertRows<R = unknown>(
  db: Executor,
  dialect: SqlDialect,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<Record<string, unknown>>,
  tail = '',
): Promise<R[]> {
  return runStatement<R>(db, insertStatement(dialect, table, columns, rows, tail));
}

/** Runs a statement built by insertStatement (none: nothing to run) and answers its rows, camel-cased. */
export async function runStatement<R = unknown>(db: Executor, statement: BatchStatement | undefined): Promise<R[]> {
  if (!statement) return [];
  const result = await db.executeQuery<R>(CompiledQuery.raw(statement.sql, [...statement.parameters]));
  return result.rows;
}
