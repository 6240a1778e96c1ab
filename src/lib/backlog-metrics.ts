import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/database.js';

/** Connections of the PostgreSQL pool (none for SQLite, which has one connection in the process). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

type CountQuery = Promise<{ n: number | string | bigint } | undefined>;

/**
 * Work waiting in the shared tables, counted when Prometheus scrapes: what an operator alerts on
 * (deliveries piling up, mail not leaving, imports stuck) is state in the database, shared by every
 * process, so it is read from there rather than counted in one process. Each count uses a (partial)
 * index, so a scrape stays cheap however large the tables grow.
 */
export function registerBacklogMetrics(registry: Registry, db: Db, poolStats?: () => PoolStats): void {
  const value = async (read: CountQuery | number) => {
    const result = await read;
    return typeof result === 'number' ? result : Number(result?.n ?? 0);
  };
  /** A gauge read when scraped. */
  const count = (name: string, help: string, read: () => CountQuery) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await value(read()));
      },
    });
  /** A gauge with one series per value of its label, each read when scraped. */
  const countBy = <V extends string>(
    name: string,
    help: string,
    label: string,
    values: readonly V[],
    read: (value: V) => CountQuery | number,
  ) => {
    const metric: Gauge<string> = new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        for (const v of values) metric.set({ [label]: v }, await value(read(v)));
      },
    });
  };
  const deliveries = (status: 'pending' | 'failed') => () =>
    db
      .selectFrom('webhookDeliveries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', status)
      .executeTakeFirst();

  count('roster_webhook_deliveries_pending', 'Webhook deliveries waiting for their first or next attempt', deliveries('pending'));
  count(
    'roster_webhook_deliveries_failed',
    'Webhook deliveries that gave up after their last retry (kept for the delivery log and redelivery)',
    deliveries('failed'),
  );
  count('roster_events_pending_fanout', 'Committed events not yet turned into webhook deliveries', () =>
    db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('pendingFanout', '=', sql.lit(true))
      .executeTakeFirst(),
  );
  countBy('roster_import_jobs', 'Import jobs waiting or running', 'status', ['queued', 'running'] as const, (status) =>
    db
      .selectFrom('importJobs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', status)
      .executeTakeFirst(),
  );
  countBy('roster_mail_messages', 'Mail waiting to be sent, or given up on', 'status', ['pending', 'failed'] as const, (status) =>
    db
      .selectFrom('mailMessages')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', status)
      .executeTakeFirst(),
  );
  if (poolStats) {
    const states = ['total', 'idle', 'waiting'] as const;
    countBy(
      'roster_db_pool_connections',
      'PostgreSQL pool connections of this process: total open, idle, and requests waiting for one',
      'state',
      states,
      (state) => poolStats()[state],
    );
  }
}
