import { CamelCasePlugin, Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { DB, Dialect } from './database.js';
import { openSqlite } from './sqlite-open.js';
import { burstLogger, stderrJsonLog, type DatabaseLog } from './connection-error-log.js';
import { parseMultiHostUrl } from './multi-host-url.js';
import { multiHostClient, PrimaryLocator } from './primary-locator.js';
import { ReplicaMonitor, RoutingPool, type ReplicaStatus } from './read-replica.js';

/** How long opening one PostgreSQL connection may take: a dead host fails the request (503) instead of hanging. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5000;
/** How long a request may wait for a free pooled connection (busy pool, or hosts failing one after another). */
export const POOL_WAIT_TIMEOUT_MS = 15_000;

export interface DatabaseOptions {
  /** PostgreSQL connection string; SQLite is used when absent. */
  postgresUrl?: string | undefined;
  /** PostgreSQL schema to use (tests give each file its own). */
  postgresSchema?: string | undefined;
  poolSize?: number;
  /** SQLite file path, or `:memory:`. */
  sqlitePath?: string;
  /** How a SQLite file is written (sqlite-open.ts, sqliteWriterMode): ROSTER_SQLITE_WRITER's choice when unset. */
  sqliteWriter?: 'thread' | 'inline';
  /**
   * SQLite: the WAL pages after which a checkpoint copies them into the database (SQLite's default 1,000): in
   * the commit that crosses them, or on the checkpoint thread (`sqliteCheckpointThread`).
   * A bulk writer (`roster import`) takes more: a page that many chunks rewrite (an index's last leaf, the
   * events' tail) is copied once instead of at every checkpoint. Every commit's log is still synced.
   */
  sqliteCheckpointPages?: number;
  /**
   * SQLite, inline: checkpoints run on a thread of their own (sqlite-checkpoint-thread.ts) instead of inside
   * the commit that crosses the interval, with the event loop held. The server and `roster worker` take it.
   */
  sqliteCheckpointThread?: boolean;
  /** Where PostgreSQL connection errors are reported (once per burst); JSON on stderr by default. */
  log?: DatabaseLog;
  /** PostgreSQL: a replica (or several hosts, libpq form) for list reads (DATABASE_READ_URL); see read-replica.ts. */
  readUrl?: string | undefined;
  /** How far behind the replica may be before list reads go back to the primary (ROSTER_READ_MAX_LAG_SECONDS). */
  readMaxLagSeconds?: number;
}

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The PostgreSQL schema when not the default one. */
  schema?: string | undefined;
  close(): Promise<void>;
  /** PostgreSQL: the pool's connections, for /metrics. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /** With a read replica: its state and lag, for /metrics and /readyz. */
  replicaStatus?: () => ReplicaStatus;
  /**
   * SQLite: while another connection writes most of the pages (the import thread), this one leaves WAL
   * checkpoints to it (see sqlite-open.ts); `false` takes them back.
   */
  leaveCheckpointsToOthers?: (leave: boolean) => void;
}

// The PostgreSQL driver is loaded only when PostgreSQL is used: a SQLite deployment starts faster and smaller without it.
const require = createRequire(import.meta.url);

/** int8 (bigint, count(*)) arrives as a string by default; our counters stay far below 2^53. */
function pgTypes(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === 20) return (value: string) => Number(value);
      return driver.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
}

/**
 * A pg Pool on a (possibly multi-host) URL: the libpq multi-host form (h1:5432,h2:5433 with
 * target_session_attrs) is not understood by `pg`, so its Client is given one host at a time by the
 * locator, which finds the right one again after a failover.
 */
function openPool(driver: typeof pg, url: string, options: DatabaseOptions, report: (error: unknown) => void): pg.Pool {
  const parsed = parseMultiHostUrl(url);
  const locator = new PrimaryLocator(driver, parsed, POSTGRES_CONNECT_TIMEOUT_MS);
  const pool = new driver.Pool({
    connectionString: parsed.singleHostUrl,
    Client: multiHostClient(driver, locator, POSTGRES_CONNECT_TIMEOUT_MS),
    max: options.poolSize ?? 10,
    types: pgTypes(driver),
    // Bounded waits: a request waits at most this long for a connection, then answers 503 (each
    // connection attempt itself gives up after POSTGRES_CONNECT_TIMEOUT_MS, set by the client class).
    connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
    // A primary that vanished without a reset (a network partition) is noticed by TCP keepalives.
    keepAlive: true,
    ...(options.postgresSchema ? { options: `-c search_path=${options.postgresSchema}` } : {}),
  });
  // A connection dying (the primary killed, a failover) emits 'error' on the pool for idle clients and on
  // the client itself for lent ones: without listeners Node ends the process. The query in flight
  // fails on its own (503 to the caller); here it is only reported, once per burst.
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}

export function openDatabase(options: DatabaseOptions): Database {
  if (options.postgresUrl) {
    const driver = require('pg') as typeof pg;
    const report = burstLogger(options.log ?? stderrJsonLog);
    const pool = openPool(driver, options.postgresUrl, options, report);
    let routed: PostgresPool = pool;
    let replicaStatus: (() => ReplicaStatus) | undefined;
    if (options.readUrl) {
      const replica = openPool(driver, options.readUrl, options, report);
      const monitor = new ReplicaMonitor(replica, options.readMaxLagSeconds ?? 5);
      monitor.start();
      routed = new RoutingPool(pool, replica, monitor);
      replicaStatus = () => monitor.status;
    }
    // Column names are camel-cased; keys inside jsonb values are data (attribute keys such as `cost_center`,
    // template names, settings) and come back exactly as stored.
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: routed }),
      plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
    });
    return {
      db,
      dialect: 'postgres',
      schema: options.postgresSchema,
      close: () => db.destroy(),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      ...(replicaStatus ? { replicaStatus } : {}),
    };
  }
  return openSqlite(options.sqlitePath ?? ':memory:', options.sqliteWriter, options.sqliteCheckpointPages, options.sqliteCheckpointThread);
}
