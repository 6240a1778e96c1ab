import type { ColumnType } from 'kysely';

/** Written as an ISO string; read back as a string (SQLite) or a Date (PostgreSQL). */
export type Timestamp = ColumnType<string | Date, string, string>;
/** Written as a boolean; SQLite reads it back as 0/1. */
export type Bool = ColumnType<boolean | number, boolean, boolean>;
/** Written as JSON text; SQLite reads back text, PostgreSQL (jsonb) the parsed value. */
export type Json = ColumnType<unknown, string, string>;

export function readBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

export function readJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
