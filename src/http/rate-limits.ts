import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  const token = (typeof h.authorization === 'string' ? h.authorization : undefined) ?? (typeof h['x-auth-token'] === 'string' ? h['x-auth-token'] : undefined) ?? cookieCredential(request);
  return token === undefined ? undefined : createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/**
 * Two limits on every request but health and metrics: per client address, and per credential (API
 * key or user token) when one is sent. Over either → 429 RATE_LIMITED with Retry-After. With
 * `REDIS_URL` the counters live in Redis, so the limits hold across processes.
 */
export async function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  // ioredis is loaded only when Redis is configured.
  const redis = options.redisUrl === undefined
    ? undefined
    : new (createRequire(import.meta.url)('ioredis') as { Redis: typeof RedisClient }).Redis(options.redisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1, lazyConnect: false });
  if (redis) app.addHook('onClose', async () => void (await redis.quit()));
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'roster-rl:' } : {}),
    // A Redis outage must not take the directory down with it; the limits then lapse.
    skipOnError: true,
  });
  const skip = (request: FastifyRequest) => UNLIMITED.has(request.url.split('?')[0] ?? '');
  // Two independent counters (the plugin's own hook runs only one limiter per request).
  const perAddress = app.createRateLimit({ max: options.perAddressPerMinute, timeWindow: 60_000, keyGenerator: (request) => `a:${request.ip}` });
  const perKey = app.createRateLimit({ max: options.perKeyPerMinute, timeWindow: 60_000, keyGenerator: (request) => `k:${credentialOf(request) ?? '-'}` });
  app.addHook('onRequest', async (request) => {
    if (skip(request)) return;
    const checks = [perAddress(request), ...(credentialOf(request) === undefined ? [] : [perKey(request)])];
    for (const limit of await Promise.all(checks)) {
      if (!limit.isAllowed && limit.isExceeded) {
        throw new AppError('RATE_LIMITED', { detail: 'Too many requests; retry later', details: { retryAfter: Math.max(1, limit.ttlInSeconds) } });
      }
    }
  });
}
