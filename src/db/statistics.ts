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

/** Rows written after which a keeper starts no more ANALYZEs (see StatisticsKeeper). */
export const STATISTICS_LAST_AT = 16_000;

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
 *
 * Only the first ones matter: once the statistics describe thousands of rows the planner scales them to
 * the table's current size by itself, and autovacuum analyses again after every tenth of growth. Each
 * ANALYZE samples up to 30,000 rows of every table whatever its size, so the later doublings of a
 * million-row import cost CPU beside the import and changed no plan (a 100,000-row import on PostgreSQL
 * spent a tenth of the machine's CPU in them): none is started once `lastAt` rows have been written.
 */
export class StatisticsKeeper {
  #written = 0;
  #nextAt = 500;
  #running: Promise<void> | undefined;
  #started = 0;

  constructor(
    private readonly db: Db,
    private readonly onError: (error: unknown) => void,
    private readonly tables: readonly string[],
    private readonly lastAt = STATISTICS_LAST_AT,
  ) {}

  /** How many ANALYZEs this keeper has started. */
  get analysesStarted(): number {
    return this.#started;
  }

  rowsWritten(count: number): void {
    this.#written += count;
    if (this.#written < this.#nextAt || this.#running) return;
    this.#nextAt = this.#written >= this.lastAt ? Infinity : this.#written * 2;
    this.#started += 1;
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
