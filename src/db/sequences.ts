import { sql } from 'kysely';
import type { Executor } from './database.js';

/**
 * Reserves `count` consecutive integers of the counter `scope/name` and returns the first one.
 * Run it outside the creating transaction: like a PostgreSQL sequence it then never holds a row
 * lock while users are inserted, at the cost of gaps when an insert fails.
 */
export async function reserveSeq(db: Executor, scope: string, name: string, count = 1): Promise<number> {
  const row = await db
    .insertInto('sequences')
    .values({ scope, name, value: count })
    .onConflict((oc) => oc.columns(['scope', 'name']).doUpdateSet({ value: sql<number>`sequences.value + ${count}` }))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value) - count + 1;
}
