import { createHash } from 'node:crypto';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import type { Redis as RedisClient } from 'ioredis';
import { AppError } from '../errors/app-error.js';
import { cookieCredential } from './browser-auth.js';

export interface RateLimitOptions {
  perKeyPerMinute: number;
  perAddressPerMinute: number;
  /** Shared counters for several Roster processes; in-process counters without it. */
  redisUrl: string | undefined;
}

const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/** The credential a request presents, as a short digest: counters never hold a secret. */
function credentialOf(request: FastifyRequest): string | undefined {
  const h = request.headers;
  const token =
    (typeof h.authorization === 'string' ? h.authorization : undefined) ??
    (typeof h['x-auth-token'] === 'string' ? h['x-auth-token'] : undefined) ??
    cookieCredential(request);
  return token === undefined ? undefined : createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** What a store's callback receives. */
type StoreCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;
interface Store {
  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void;
  read?(key: string, callback: StoreCallback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}
type StoreCtor = new (...args: unknown[]) => Store;

/** A Redis command unanswered for this long counts as an outage (a healthy Redis answers in about a millisecond). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** After a command times out on an open connection, counting stays local for this long before Redis is tried again. */
const REDIS_SUSPEND_MS = 5000;
/** At most one "Redis is down" warning per this interval (ioredis reports every reconnect attempt). */
const REDIS_WARN_INTERVAL_MS = 60_000;

/**
 * Whether the Redis counters can be used now: connected and ready, and no command timed out in the
 * last few seconds (a Redis that accepts connections but never answers). Logs the transitions as JSON
 * through the app's logger, and outage errors at most once a minute, so ioredis never prints its
 * "Unhandled error event" lines on stderr.
 */
export class RedisHealth {
  private suspendedUntil = 0;
  private lastWarning = 0;
  private down = false;
  private closing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'info'>,
  ) {
    redis.on('error', (error: Error) => this.failed(error));
    redis.on('ready', () => this.succeeded());
    redis.on('close', () => this.markDown(undefined));
  }

  /** The app is closing: the connection's end is no outage. */
  close(): void {
    this.closing = true;
  }

  /** Redis answered (connected, or a command succeeded). */
  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.lastWarning = 0;
    this.log.info({ redis: 'up' }, 'Redis answers again: rate limits are shared by all processes again');
  }

  get up(): boolean {
    return this.redis.status === 'ready' && Date.now() >= this.suspendedUntil;
  }

  /** A failed command or connection. A timeout on an open connection suspends Redis for a few seconds. */
  failed(error: Error): void {
    if (/timed? ?out/i.test(error.message)) this.suspendedUntil = Date.now() + REDIS_SUSPEND_MS;
    this.markDown(error);
  }

  private markDown(error: Error | undefined): void {
    const now = Date.now();
    if (this.closing || (this.down && now - this.lastWarning < REDIS_WARN_INTERVAL_MS)) return;
    this.down = true;
    this.lastWarning = now;
    this.log.warn(
      { redis: 'down', err: error ? { message: error.message, code: (error as { code?: string }).code } : undefined },
      'Redis does not answer: rate limits are counted per process until it does',
    );
  }
}

/**
 * Counts in Redis while it answers, else in this process (fail-safe, not fail-open: each process
 * then enforces the limits on its own, so N processes allow up to N times the limit). A request
 * never waits for a Redis that is down: without a connection a command fails at once (no offline
 * queue), and an unanswered one after REDIS_COMMAND_TIMEOUT_MS.
 */
function sharedOrLocalStore(redis: RedisClient, health: RedisHealth): StoreCtor {
  const require = createRequire(import.meta.url);
  const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreCtor;
  const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreCtor;

  class SharedOrLocal implements Store {
    constructor(
      private readonly shared: Store,
      private readonly local: Store,
    ) {}

    private run(method: 'incr' | 'read', key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      const local = () =>
        method === 'read' && this.local.read
          ? this.local.read(key, callback, timeWindow, max)
          : this.local.incr(key, callback, timeWindow, max);
      if (!health.up) return local();
      const handle: StoreCallback = (error, result) => {
        if (!error) {
          health.succeeded();
          return callback(null, result);
        }
        health.failed(error);
        local();
      };
      if (method === 'read' && this.shared.read) this.shared.read(key, handle, timeWindow, max);
      else this.shared.incr(key, handle, timeWindow, max);
    }

    incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      this.run('incr', key, callback, timeWindow, max);
    }

    read(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      this.run('read', key, callback, timeWindow, max);
    }

    child(routeOptions: unknown): Store {
      return new SharedOrLocal(this.shared.child(routeOptions), this.local.child(routeOptions));
    }
  }

  // The plugin builds its store with `new Store(globalParams)`.
  return class extends SharedOrLocal {
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      super(
        new RedisStore(params.continueExceeding, params.exponentialBackoff, redis, 'roster-rl:'),
        new LocalStore(params.continueExceeding, params.exponentialBackoff, 5000),
      );
    }
  } as unknown as StoreCtor;
}

export interface RateLimits {
  /** `up` or `down` with REDIS_URL set; undefined without it. */
  redisStatus(): 'up' | 'down' | undefined;
}

/**
 * Two limits on every request but health and metrics: per client address, and per credential (API
 * key or user token) when one is sent. Over either → 429 RATE_LIMITED with Retry-After. With
 * `REDIS_URL` the counters live in Redis, so the limits hold across processes; while Redis is down
 * or does not answer, each process counts on its own (see `sharedOrLocalStore`).
 */
export async function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): Promise<RateLimits> {
  // ioredis is loaded only when Redis is configured.
  const redis =
    options.redisUrl === undefined
      ? undefined
      : new (createRequire(import.meta.url)('ioredis') as { Redis: typeof RedisClient }).Redis(options.redisUrl, {
          connectTimeout: 1000,
          // An unanswered command (the ready check included) fails instead of waiting; with no connection, commands fail at once.
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          lazyConnect: false,
        });
  const health = redis ? new RedisHealth(redis, app.log) : undefined;
  if (redis) {
    app.addHook('onClose', async () => {
      health?.close();
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: false,
    ...(redis && health ? { store: sharedOrLocalStore(redis, health) as unknown as new () => FastifyRateLimitStore } : {}),
    // The stores above never fail; should anything else, the request goes on rather than the directory going down.
    skipOnError: true,
  });
  const skip = (request: FastifyRequest) => UNLIMITED.has(request.url.split('?')[0] ?? '');
  // Two independent counters (the plugin's own hook runs only one limiter per request).
  const perAddress = app.createRateLimit({
    max: options.perAddressPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `a:${request.ip}`,
  });
  const perKey = app.createRateLimit({
    max: options.perKeyPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `k:${credentialOf(request) ?? '-'}`,
  });
  app.addHook('onRequest', async (request) => {
    if (skip(request)) return;
    const checks = [perAddress(request), ...(credentialOf(request) === undefined ? [] : [perKey(request)])];
    for (const limit of await Promise.all(checks)) {
      if (!limit.isAllowed && limit.isExceeded) {
        throw new AppError('RATE_LIMITED', {
          detail: 'Too many requests; retry later',
          details: { retryAfter: Math.max(1, limit.ttlInSeconds) },
        });
      }
    }
  });
  return { redisStatus: () => (health === undefined ? undefined : health.up ? 'up' : 'down') };
}
