import { sql } from 'kysely';
import type { Db } from './database.js';

/** What a user's creation writes: the user tables and its event. */
export const USER_TABLES = [
  'users',
  'user_identifiers',
  'user_roles',
  'user_groups',
  'user_attribute_claims',
  'user_external_ids',
  'events',
];

/**
 * What the webhook worker's fan-out writes. The claim's per-resource order check looks up earlier pending
 * deliveries of the same webhook and resource; with the statistics of an empty table the planner took the
 * webhook's index instead of the order index and read every pending delivery of the webhook for each one:
 * one claim over 60,000 pending deliveries took 176 s.
 */
export const DELIVERY_TABLES = ['webhook_deliveries'];

/**
 * Keeps PostgreSQL's statistics up with bulk loads. A table filled faster than autovacuum analyses
 * it keeps the statistics of when it was empty, and the cached plans of foreign-key checks then
 * scan a whole tenant per inserted row (measured: 100 rows/s instead of 3,000). Analysing after
 * 500, 1,000, 2,000, 4,000 … rows written by this process costs a logarithmic number of ANALYZEs,
 * and each one invalidates the stale plans. One keeper per kind of bulk write (users, webhook deliveries).
 */
export class StatisticsKeeper {
  #written = 0;
  #nextAt = 500;
  #running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly onError: (error: unknown) => void,
    private readonly tables: readonly string[],
  ) {}

  rowsWritten(count: number): void {
    this.#written += count;
    if (this.#written < this.#nextAt || this.#running) return;
    this.#nextAt = this.#written * 2;
    this.#running = sql`analyze ${sql.raw(this.tables.join(', '))}`
      .execute(this.db)
      .then(() => undefined, this.onError)
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Waits for an ANALYZE in progress (so a shutdown does not cut it off). */
  async settle(): Promise<void> {
    await this.#running;
  }
}
