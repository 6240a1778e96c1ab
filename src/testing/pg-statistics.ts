import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** PostgreSQL's clock now, to compare with when a table was last analyzed. */
export async function databaseNow(db: Db): Promise<string> {
  return (await sql<{ now: string }>`select now()::text as now`.execute(db)).rows[0]!.now;
}

/**
 * Whether `table` (of the connection's schema) was analyzed by a statement (not autovacuum) after `since`.
 * PostgreSQL reports it within seconds: wait for it with `until`.
 */
export async function analyzedSince(db: Db, table: string, since: string): Promise<boolean> {
  const { rows } = await sql<{ analyzed: boolean }>`select coalesce(last_analyze > ${since}::timestamptz, false) as analyzed
    from pg_stat_user_tables where schemaname = current_schema() and relname = ${table}`.execute(db);
  return rows[0]?.analyzed === true;
}
