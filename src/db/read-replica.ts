import { AsyncLocalStorage } from 'node:async_hooks';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { isDatabaseUnavailable } from './errors.js';

/**
 * Read replicas (DATABASE_READ_URL), in one place.
 *
 * Every service keeps its one `db`; what changes is where that Kysely's connections come from. Its pool is a
 * {@link RoutingPool}: a connection asked for inside a read scope comes from the replica while the replica is
 * usable (caught up, or behind by at most ROSTER_READ_MAX_LAG_SECONDS), and from the primary otherwise and
 * everywhere else. The HTTP layer opens a read scope for the listed read routes only ({@link READ_ROUTES}):
 * writes, and everything a write request reads, stay on the primary.
 *
 * Inside a read scope there are two stages:
 * - `auth` (before the handler: authentication, tenant lookups): the primary, so a revoked key or a changed
 *   role counts at once; only when the primary is unavailable (an outage, a failover) the replica answers,
 *   which is then as fresh as anything can be (nothing is written without a primary).
 * - `read` (the handler): the replica when usable, else the primary.
 * A credential that wrote through this process in the last ROSTER_READ_MAX_LAG_SECONDS reads from the
 * primary (stage `primary`): its own writes are there, whatever the replica's lag.
 */

export type ReadStage = 'auth' | 'read' | 'primary';
interface ReadScope {
  stage: ReadStage;
}

const scopes = new AsyncLocalStorage<ReadScope>();

/** Runs `fn` in a read scope at `stage` (the HTTP hook starts at `auth`; a CLI export runs at `read`). */
export function runInReadScope<T>(stage: ReadStage, fn: () => T): T {
  return scopes.run({ stage }, fn);
}

/** Moves the current read scope (if any) to `stage`: `read` once authenticated, `primary` after a recent write. */
export function setReadStage(stage: ReadStage): void {
  const scope = scopes.getStore();
  if (scope) scope.stage = stage;
}

/** The stage of the current read scope; undefined outside one (every write path). */
export function currentReadStage(): ReadStage | undefined {
  return scopes.getStore()?.stage;
}

/**
 * The routes served from the replica: collection GETs (lists, searches, the export's pages, SCIM queries and
 * the admin page's lists). Single resources by id stay on the primary: a client that just wrote one reads it
 * back from where it was written.
 */
export const READ_ROUTES: ReadonlySet<string> = new Set(
  [
    '/v1/users',
    '/v1/events',
    '/v1/roles',
    '/v1/groups',
    '/v1/attributes',
    '/v1/api-keys',
    '/v1/webhooks',
    '/v1/webhooks/:id/deliveries',
    '/v1/mail',
    '/v1/tenants',
    '/v1/imports/:id/errors',
    '/v1/exports/users',
    '/scim/v2/Users',
    '/scim/v2/Groups',
  ].map((url) => `GET ${url}`),
);

export type ReplicaState = 'starting' | 'in use' | 'lagging' | 'unreachable';

export interface ReplicaStatus {
  state: ReplicaState;
  /** Seconds behind the primary at the last check (0 when caught up); undefined when unknown. */
  lagSeconds: number | undefined;
}

/** How often the replica's lag is checked (not per request). */
export const REPLICA_CHECK_INTERVAL_MS = 1000;
/** A check that takes longer counts as "unreachable". */
const CHECK_TIMEOUT_MS = 3000;

interface LagRow {
  recovery: boolean;
  caughtUp: boolean | null;
  lag: number | string | null;
}

/**
 * Watches one replica: every second it asks whether the replica has replayed all it received
 * (`pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()`: caught up, even when an idle primary makes
 * `now() - pg_last_xact_replay_timestamp()` grow) and otherwise how old its last replayed commit is.
 * A server not in recovery (a promoted replica, or a primary given as DATABASE_READ_URL) is always current.
 */
export class ReplicaMonitor {
  #status: ReplicaStatus = { state: 'starting', lagSeconds: undefined };
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxLagSeconds: number,
  ) {}

  get status(): ReplicaStatus {
    return this.#status;
  }

  /** Whether reads may go to the replica now. */
  get usable(): boolean {
    return this.#status.state === 'in use';
  }

  start(): void {
    if (this.#timer) return;
    void this.check();
    this.#timer = setInterval(() => void this.check(), REPLICA_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A connection to the replica failed: stop using it until the next check says otherwise. */
  markUnreachable(): void {
    this.#status = { state: 'unreachable', lagSeconds: undefined };
  }

  /** One check (concurrent callers share it); never throws. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the replica did not answer in time')), CHECK_TIMEOUT_MS);
      });
      const query = this.pool.query<LagRow>(
        `select pg_is_in_recovery() as recovery,
                pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() as "caughtUp",
                extract(epoch from now() - pg_last_xact_replay_timestamp()) as lag`,
      );
      query.catch(() => undefined);
      const row = (await Promise.race([query, timeout])).rows[0];
      if (!row) throw new Error('no answer');
      if (!row.recovery || row.caughtUp === true) {
        this.#status = { state: 'in use', lagSeconds: 0 };
        return;
      }
      const lag = row.lag === null ? undefined : Math.max(0, Number(row.lag));
      this.#status = { state: lag !== undefined && lag <= this.maxLagSeconds ? 'in use' : 'lagging', lagSeconds: lag };
    } catch {
      this.#status = { state: 'unreachable', lagSeconds: undefined };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The pool behind the one Kysely every service uses: the primary's connections, or inside a read scope
 * the replica's (see the module comment). Connections are only chosen here; each query runs where its
 * connection is, so a transaction never spans both.
 */
export class RoutingPool implements PostgresPool {
  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool,
    private readonly monitor: ReplicaMonitor,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const stage = currentReadStage();
    if (stage === 'read' && this.monitor.usable) {
      try {
        return await this.replica.connect();
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.monitor.markUnreachable();
        return this.primary.connect();
      }
    }
    if (stage === 'auth' || stage === 'read') {
      try {
        return await this.primary.connect();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || !this.monitor.usable) throw error;
        return this.replica.connect();
      }
    }
    return this.primary.connect();
  }

  async end(): Promise<void> {
    this.monitor.stop();
    await Promise.all([this.primary.end(), this.replica.end()]);
  }
}

/**
 * Remembers which credentials wrote through this process in the last `windowMs`: their reads go to the
 * primary, so a client reads its own writes back even from a list (on this process; another process
 * behind the same load balancer does not know, and the documented lag bound applies there).
 */
export class RecentWriters {
  readonly #until = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  wrote(actor: string): void {
    const now = Date.now();
    this.#until.set(actor, now + this.windowMs);
    if (this.#until.size > 10_000) for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
  }

  wroteRecently(actor: string): boolean {
    const until = this.#until.get(actor);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#until.delete(actor);
    return false;
  }
}

/** Prometheus gauges of the replica: its state (one series per state, 1 for the current one) and lag. */
export function registerReplicaMetrics(registry: Registry, status: () => ReplicaStatus): void {
  const states: ReplicaState[] = ['starting', 'in use', 'lagging', 'unreachable'];
  new Gauge({
    name: 'roster_db_read_replica_state',
    help: 'DATABASE_READ_URL: 1 for the current state (in use: list reads go to the replica; lagging or unreachable: to the primary)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const current = status().state;
      for (const state of states) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'roster_db_read_replica_lag_seconds',
    help: 'DATABASE_READ_URL: seconds the replica was behind at the last check (0 when caught up; absent when unknown)',
    registers: [registry],
    collect() {
      this.reset();
      const lag = status().lagSeconds;
      if (lag !== undefined) this.set(lag);
    },
  });
}
