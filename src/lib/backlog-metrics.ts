import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/database.js';

/** Connections of the PostgreSQL pool (none for SQLite, which has one connection in the process). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Work waiting in the shared tables, counted when Prometheus scrapes: what an operator alerts on
 * (deliveries piling up, mail not leaving, imports stuck) is state in the database, shared by every
 * process, so it is read from there rather than counted in one process. Each count uses a (partial)
 * index, so a scrape stays cheap however large the tables grow.
 */
export function registerBacklogMetrics(registry: Registry, db: Db, poolStats?: () => PoolStats): void {
  const count = async (query: Promise<{ n: number | string | bigint } | undefined>) => Number((await query)?.n ?? 0);

  new Gauge({
    name: 'roster_webhook_deliveries_pending',
    help: 'Webhook deliveries waiting for their first or next attempt',
    registers: [registry],
    async collect() {
      this.set(
        await count(
          db
            .selectFrom('webhookDeliveries')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'pending')
            .executeTakeFirst(),
        ),
      );
    },
  });
  new Gauge({
    name: 'roster_webhook_deliveries_failed',
    help: 'Webhook deliveries that gave up after their last retry (kept for the delivery log and redelivery)',
    registers: [registry],
    async collect() {
      this.set(
        await count(
          db
            .selectFrom('webhookDeliveries')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'failed')
            .executeTakeFirst(),
        ),
      );
    },
  });
  new Gauge({
    name: 'roster_events_pending_fanout',
    help: 'Committed events not yet turned into webhook deliveries',
    registers: [registry],
    async collect() {
      this.set(
        await count(
          db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('pendingFanout', '=', sql.lit(true))
            .executeTakeFirst(),
        ),
      );
    },
  });
  const imports = new Gauge({
    name: 'roster_import_jobs',
    help: 'Import jobs waiting or running',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      for (const status of ['queued', 'running'] as const) {
        imports.set(
          { status },
          await count(
            db
              .selectFrom('importJobs')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('status', '=', status)
              .executeTakeFirst(),
          ),
        );
      }
    },
  });
  const mail = new Gauge({
    name: 'roster_mail_messages',
    help: 'Mail waiting to be sent, or given up on',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      for (const status of ['pending', 'failed'] as const) {
        mail.set(
          { status },
          await count(
            db
              .selectFrom('mailMessages')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('status', '=', status)
              .executeTakeFirst(),
          ),
        );
      }
    },
  });
  if (poolStats) {
    const pool = new Gauge({
      name: 'roster_db_pool_connections',
      help: 'PostgreSQL pool connections of this process: total open, idle, and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStats();
        pool.set({ state: 'total' }, stats.total);
        pool.set({ state: 'idle' }, stats.idle);
        pool.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }
}
