import path from 'node:path';
import { domainToASCII } from 'node:url';
import { parseMultiHostUrl } from '../db/multi-host-url.js';
import { parseAllowedNetworks, type AllowedNetworks } from '../rules/public-address.js';

/** Validated, frozen process configuration. Every field comes from one environment variable (README "Configuration"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL connection string; when unset Roster uses SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  /** PostgreSQL replica(s) for list reads (same multi-host form); absent: every read goes to DATABASE_URL. */
  databaseReadUrl: string | undefined;
  /** How far behind the replica may be (seconds) before list reads go back to the primary. */
  readMaxLagSeconds: number;
  dbPoolSize: number;
  adminKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  /** Body limit of POST /v1/users/batch, which carries up to 1000 users. */
  batchBodyLimitBytes: number;
  /** Largest upload of POST /v1/imports (streamed, so this bounds disk and run time, not memory). */
  importMaxBytes: number;
  /** Largest record (CSV row, NDJSON line, JSON item) and CSV cell of an import: a bigger one is a row error, never held in memory. */
  importMaxRecordBytes: number;
  importMaxFieldBytes: number;
  /** A running import not heard from for this long is taken over (its process is presumed dead). */
  importStaleSeconds: number;
  requestTimeoutMs: number;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Requests per minute per credential and per client address (429 beyond). */
  rateLimitPerKey: number;
  rateLimitPerAddress: number;
  /** `/metrics`: a bearer token Prometheus must send, and a port of its own (then the API's port does not serve it). */
  metrics: { token: string | undefined; port: number | undefined };
  /** Redis for rate-limit counters shared by all Roster processes. */
  redisUrl: string | undefined;
  /** Password hashes queued or running beyond which creates get 503 with Retry-After. */
  hashQueueMax: number;
  /** Delays before each webhook retry, in ms. */
  webhookRetrySchedule: number[];
  webhookTimeoutMs: number;
  /** Let webhooks target every loopback and private address (development; off: no SSRF into Roster's own network). */
  webhookAllowPrivate: boolean;
  /** ROSTER_WEBHOOK_ALLOWED_NETWORKS: the inner networks and host names webhooks may reach. */
  webhookAllowedNetworks: AllowedNetworks;
  eventRetentionDays: number;
  /** Whether `serve` runs the background workers itself (false when `roster worker` runs them). */
  runWorkers: boolean;
  /** Whether `serve` runs import jobs on a worker thread of its own (started while jobs are runnable), off the event loop that answers requests. */
  importThread: boolean;
  /** SMTP server for outgoing mail; without it mail is stored and readable through GET /v1/mail. */
  smtpUrl: string | undefined;
  /** Base of the links in mails; by default the address the server listens on (HOST, PORT). */
  publicUrl: string;
  /** How long a starting process waits for an unreachable PostgreSQL (DATABASE_URL), retrying with backoff (0: no retry). */
  dbConnectTimeoutSeconds: number;
  /** Domains a tenant's `mail.from` may use (ROSTER_MAIL_FROM_DOMAINS); undefined: only the built-in sender's. */
  mailFromDomains: string[] | undefined;
  sessionTtlSeconds: number;
  /** How long an authenticated API key is remembered by a process (0: not at all). */
  authCacheMs: number;
  /** Failed logins allowed per account, and per client address, in a 15-minute window. */
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerAddress: number;
  /**
   * Bearer JWTs accepted where a contract uses them (Rollout): a shared secret and/or a JWKS URL. A token must carry `exp`
   * (at most `maxLifetimeSeconds` ahead) and name its tenant in `tenantClaim`; it acts as the tenant role named in
   * `roleClaim`, else as `role` (no default: a token naming no role is refused).
   */
  jwt: {
    secret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    role: string | undefined;
    tenantClaim: string;
    roleClaim: string;
    maxLifetimeSeconds: number;
  };
  /** Fastify's `trustProxy`: which peers' X-Forwarded-For is believed for the client address (false: none). */
  trustProxy: boolean | number | string[];
  /** Tenant (slug, id or number) of Rocket.Chat logins that name none: Rocket.Chat clients send no tenant header (ROSTER_ROCKETCHAT_TENANT). */
  rocketChatTenant: string | undefined;
}

/** Raised for a bad environment value; `main` prints it and exits with status 1. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const ADMIN_KEY_PATTERN = /^rst_[A-Za-z0-9_-]{48,}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A comma-separated list of durations such as `5s,1m,2h` (units ms, s, m, h). */
function readDurations(env: Env, name: string, fallback: string): number[] {
  const raw = readString(env, name) ?? fallback;
  return raw.split(',').map((part) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(part.trim());
    if (!match) throw new ConfigError(`${name} must be durations like 5s,1m,2h, got "${part.trim()}"`);
    return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
  });
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function readString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** A JWT claim name: an identifier or a namespaced URI-like name (https://example.com/role), so it cannot be confused with a path or reach a prototype member. */
function readClaimName(env: Env, name: string, fallback: string): string {
  const raw = readString(env, name) ?? fallback;
  if (!/^[A-Za-z_][A-Za-z0-9_:./-]{0,199}$/.test(raw) || ['__proto__', 'constructor', 'prototype'].includes(raw)) {
    throw new ConfigError(`${name} must be a claim name such as ${fallback}, got "${raw}"`);
  }
  return raw;
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/**
 * ROSTER_TRUST_PROXY, in the forms Fastify's `trustProxy` takes: `true` (trust every hop: only when nothing but the
 * proxy can reach Roster), a hop count, or comma-separated addresses and CIDRs of the proxies. Unset or `false`: the
 * socket address is the client.
 */
function readTrustProxy(env: Env, name: string): boolean | number | string[] {
  const raw = readString(env, name);
  if (raw === undefined || ['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return readInt(env, name, 0, 1, 100);
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const isV4 = IPV4.test(address) && address.split('.').every((part) => Number(part) <= 255);
    const max = isV4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (!(isV4 || IPV6.test(address)) || !bitsOk || extra !== undefined) {
      throw new ConfigError(
        `${name} must be true, a hop count, or comma-separated proxy addresses or CIDRs such as 127.0.0.1,10.0.0.0/8, got "${entry}"`,
      );
    }
  }
  return entries;
}

/** A comma-separated list of domain names (lower-cased; IDNs in punycode); unset: undefined. */
function readDomains(env: Env, name: string): string[] | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const domain = domainToASCII(entry.toLowerCase());
      if (!domain || !domain.split('.').every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label))) {
        throw new ConfigError(`${name} must be comma-separated domain names such as example.com,mail.example.org, got "${entry}"`);
      }
      return domain;
    });
}

/**
 * Where the server listens, as a URL for links: HOST and PORT, with 127.0.0.1 for the wildcard addresses
 * (0.0.0.0, ::), which no browser can open. Behind a proxy or TLS, ROSTER_PUBLIC_URL says the real one.
 */
function listenUrl(env: Env): string {
  const host = readString(env, 'HOST') ?? '127.0.0.1';
  const reachable = ['0.0.0.0', '::', '[::]'].includes(host) ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable}:${readInt(env, 'PORT', 8080, 0, 65535)}`;
}

/**
 * Reads and validates the configuration.
 * @throws ConfigError naming the variable and the accepted values.
 */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = readString(env, 'DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  // The libpq multi-host form (h1:5432,h2:5433, target_session_attrs): readable hosts and a supported target.
  if (databaseUrl !== undefined) {
    try {
      parseMultiHostUrl(databaseUrl);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  const databaseReadUrl = readString(env, 'DATABASE_READ_URL');
  if (databaseReadUrl !== undefined) {
    if (databaseUrl === undefined) throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL (read replicas are for PostgreSQL)');
    if (!/^postgres(ql)?:\/\//.test(databaseReadUrl))
      throw new ConfigError('DATABASE_READ_URL must start with postgres:// or postgresql://');
    try {
      parseMultiHostUrl(databaseReadUrl);
    } catch (error) {
      throw new ConfigError((error as Error).message.replace(/^DATABASE_URL/, 'DATABASE_READ_URL'));
    }
  }
  const adminKey = readString(env, 'ROSTER_ADMIN_KEY');
  if (adminKey !== undefined && !ADMIN_KEY_PATTERN.test(adminKey)) {
    throw new ConfigError(
      'ROSTER_ADMIN_KEY must be "rst_" followed by at least 48 characters from A-Z a-z 0-9 _ -, e.g. rst_$(openssl rand -hex 32)',
    );
  }
  const smtpUrl = readString(env, 'SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl))
    throw new ConfigError('SMTP_URL must start with smtp:// or smtps://, e.g. smtp://user:pass@mail.example.com:587');
  const logLevel = readString(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const redisUrl = readString(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  const importMaxRecordBytes = readInt(env, 'ROSTER_IMPORT_MAX_RECORD_BYTES', 65_536, 1024, 16_777_216);
  const importMaxFieldBytes = readInt(env, 'ROSTER_IMPORT_MAX_FIELD_BYTES', Math.min(32_768, importMaxRecordBytes), 256, 16_777_216);
  if (importMaxFieldBytes > importMaxRecordBytes)
    throw new ConfigError(
      `ROSTER_IMPORT_MAX_FIELD_BYTES (${importMaxFieldBytes}) must not be larger than ROSTER_IMPORT_MAX_RECORD_BYTES (${importMaxRecordBytes})`,
    );
  const metricsToken = readString(env, 'ROSTER_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16)
    throw new ConfigError('ROSTER_METRICS_TOKEN must be at least 16 characters, e.g. $(openssl rand -hex 16)');
  const metricsPort = env.ROSTER_METRICS_PORT?.trim() ? readInt(env, 'ROSTER_METRICS_PORT', 0, 1, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort === readInt(env, 'PORT', 8080, 0, 65535))
    throw new ConfigError('ROSTER_METRICS_PORT must differ from PORT');
  const jwtSecret = readString(env, 'ROSTER_JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new ConfigError('ROSTER_JWT_SECRET must be at least 32 characters');
  const jwksUrl = readString(env, 'ROSTER_JWT_JWKS_URL');
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl))
    throw new ConfigError('ROSTER_JWT_JWKS_URL must be an http:// or https:// URL');
  const jwtAudience = readString(env, 'ROSTER_JWT_AUDIENCE');
  // A shared identity provider signs tokens for many applications: without an audience each of them would be a Roster credential.
  if (jwksUrl !== undefined && jwtAudience === undefined)
    throw new ConfigError(
      'ROSTER_JWT_JWKS_URL needs ROSTER_JWT_AUDIENCE: the audience (aud) the identity provider puts in tokens meant for Roster',
    );
  return Object.freeze({
    jwt: Object.freeze({
      secret: jwtSecret,
      jwksUrl,
      issuer: readString(env, 'ROSTER_JWT_ISSUER'),
      audience: jwtAudience,
      role: readString(env, 'ROSTER_JWT_ROLE'),
      tenantClaim: readClaimName(env, 'ROSTER_JWT_TENANT_CLAIM', 'tenant'),
      roleClaim: readClaimName(env, 'ROSTER_JWT_ROLE_CLAIM', 'roster_role'),
      maxLifetimeSeconds: readInt(env, 'ROSTER_JWT_MAX_LIFETIME_SECONDS', 86_400, 60, 31_536_000),
    }),
    trustProxy: readTrustProxy(env, 'ROSTER_TRUST_PROXY'),
    rocketChatTenant: readString(env, 'ROSTER_ROCKETCHAT_TENANT'),
    port: readInt(env, 'PORT', 8080, 0, 65535),
    host: readString(env, 'HOST') ?? '127.0.0.1',
    dataDir: path.resolve(readString(env, 'ROSTER_DATA_DIR') ?? './data'),
    databaseUrl,
    databaseReadUrl,
    readMaxLagSeconds: readInt(env, 'ROSTER_READ_MAX_LAG_SECONDS', 5, 0, 3600),
    dbPoolSize: readInt(env, 'ROSTER_DB_POOL_SIZE', 10, 1, 500),
    adminKey,
    logLevel: logLevel as Config['logLevel'],
    bodyLimitBytes: readInt(env, 'ROSTER_BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    batchBodyLimitBytes: readInt(env, 'ROSTER_BATCH_BODY_LIMIT_BYTES', 16_777_216, 1024, 1_073_741_824),
    importMaxBytes: readInt(env, 'ROSTER_IMPORT_MAX_BYTES', 268_435_456, 1024, 107_374_182_400),
    importMaxRecordBytes,
    importMaxFieldBytes,
    importStaleSeconds: readInt(env, 'ROSTER_IMPORT_STALE_SECONDS', 30, 1, 86_400),
    requestTimeoutMs: readInt(env, 'ROSTER_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    webhookRetrySchedule: readDurations(env, 'ROSTER_WEBHOOK_RETRY_SCHEDULE', '5s,1m,5m,30m,2h,5h,10h,10h'),
    webhookAllowPrivate: readBool(env, 'ROSTER_WEBHOOK_ALLOW_PRIVATE', false),
    webhookAllowedNetworks: readAllowedNetworks(env, 'ROSTER_WEBHOOK_ALLOWED_NETWORKS'),
    webhookTimeoutMs: readInt(env, 'ROSTER_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    smtpUrl,
    mailFromDomains: readDomains(env, 'ROSTER_MAIL_FROM_DOMAINS'),
    publicUrl: (readString(env, 'ROSTER_PUBLIC_URL') ?? listenUrl(env)).replace(/\/+$/, ''),
    dbConnectTimeoutSeconds: readInt(env, 'ROSTER_DB_CONNECT_TIMEOUT', 30, 0, 3600),
    runWorkers: readBool(env, 'ROSTER_RUN_WORKERS', true),
    importThread: readBool(env, 'ROSTER_IMPORT_THREAD', true),
    eventRetentionDays: readInt(env, 'ROSTER_EVENT_RETENTION_DAYS', 90, 1, 36_500),
    sessionTtlSeconds: readInt(env, 'ROSTER_SESSION_TTL_SECONDS', 43_200, 60, 31_536_000),
    authCacheMs: readInt(env, 'ROSTER_AUTH_CACHE_MS', 1000, 0, 60_000),
    loginMaxFailuresPerAccount: readInt(env, 'ROSTER_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, 1, 1000),
    loginMaxFailuresPerAddress: readInt(env, 'ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS', 50, 1, 100_000),
    rateLimitPerKey: readInt(env, 'ROSTER_RATE_LIMIT_PER_KEY', 6000, 1, 10_000_000),
    rateLimitPerAddress: readInt(env, 'ROSTER_RATE_LIMIT_PER_ADDRESS', 6000, 1, 10_000_000),
    redisUrl,
    metrics: Object.freeze({ token: metricsToken, port: metricsPort }),
    hashQueueMax: readInt(env, 'ROSTER_HASH_QUEUE_MAX', 256, 1, 1_000_000),
    argon2: Object.freeze({
      memoryCost: readInt(env, 'ROSTER_ARGON2_MEMORY_KIB', 19_456, 1024, 4_194_304),
      timeCost: readInt(env, 'ROSTER_ARGON2_TIME_COST', 2, 1, 100),
      parallelism: readInt(env, 'ROSTER_ARGON2_PARALLELISM', 1, 1, 64),
    }),
  });
}

function readAllowedNetworks(env: Env, name: string): AllowedNetworks {
  try {
    return parseAllowedNetworks(readString(env, name));
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}
