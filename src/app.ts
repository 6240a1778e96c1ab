import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Config } from './config/config.js';
import { openDatabase, type Database, type DatabaseOptions } from './db/kysely.js';
import { migrateToLatest } from './db/migrate.js';
import { DELIVERY_TABLES, StatisticsKeeper, USER_TABLES } from './db/statistics.js';
import { registerReplicaMetrics } from './db/read-replica.js';
import { Metrics } from './lib/metrics.js';
import { registerBacklogMetrics } from './lib/backlog-metrics.js';
import { PasswordHasher } from './lib/password-hasher.js';
import { PrincipalCache } from './modules/api-keys/principal-cache.js';
import { ApiKeyService } from './modules/api-keys/api-key.service.js';
import { AttributeService } from './modules/attributes/attribute.service.js';
import { GroupService } from './modules/groups/group.service.js';
import { IdempotencyService } from './modules/idempotency/idempotency.service.js';
import { ImportService } from './modules/imports/import.service.js';
import { ImportWorker } from './jobs/import-worker.js';
import { WebhookWorker } from './jobs/webhook-worker.js';
import type { Lookup, TargetPolicy } from './rules/public-address.js';
import { MailWorker } from './jobs/mail-worker.js';
import { MailService } from './modules/mail/mail.service.js';
import { MailSenderPolicy } from './modules/mail/mail-sender.js';
import { EventService } from './modules/events/event.service.js';
import { WebhookService } from './modules/webhooks/webhook.service.js';
import { RoleService } from './modules/roles/role.service.js';
import { SessionService } from './modules/sessions/session.service.js';
import { TenantService } from './modules/tenants/tenant.service.js';
import { UserService } from './modules/users/user.service.js';
import type { Principal } from './modules/context.js';
import { JwtService } from './modules/jwt/jwt.service.js';
import { SESSION_TOKEN_PREFIX } from './modules/sessions/session.service.js';

/** Everything below HTTP: the database, the services and the metrics. The CLI uses it without a server. */
export interface Core {
  database: Database;
  metrics: Metrics;
  tenants: TenantService;
  apiKeys: ApiKeyService;
  users: UserService;
  roles: RoleService;
  groups: GroupService;
  attributes: AttributeService;
  sessions: SessionService;
  idempotency: IdempotencyService;
  imports: ImportService;
  /** Background import runner; `serve` starts it (or an import thread running its own), the CLI does not. */
  importWorker: ImportWorker;
  /** Where a queued import job is announced: this core's import worker, unless `serve` runs imports on a thread. */
  announceImportsTo(wake: () => void): void;
  events: EventService;
  webhooks: WebhookService;
  /** Delivers webhooks; `serve` starts it. */
  webhookWorker: WebhookWorker;
  mail: MailService;
  mailWorker: MailWorker;
  /** Bearer JWTs of a trusted issuer (contracts that use them: Rollout). */
  jwt: JwtService;
  /** An API key, or a session / personal access token (`rss_…`), → who is acting. */
  authenticate(token: string): Promise<Principal | undefined>;
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

export interface CoreOptions {
  config: Config;
  /** An already open database (tests); otherwise opened from the config. */
  database?: Database;
  migrate?: boolean;
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  importPollMs?: number;
  webhookPollMs?: number;
  /** How webhook host names are resolved (tests point names at loopback); the system resolver by default. */
  webhookLookup?: Lookup;
  mailPollMs?: number;
  /** The process runs only workers (`roster worker`): they need not give way to an API. */
  dedicatedWorkers?: boolean;
  /** Told of what happens here besides this core's own counters and workers (the import thread tells the server process). */
  notify?: { usersCreated(count: number): void; mailQueued(): void };
  /** Called after each import worker drain that found no runnable job. */
  importIdle?: () => void;
}

const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * @param sqlite how a SQLite file is written: the thread over ROSTER_SQLITE_WRITER, the checkpoint interval (the
 *   CLI's import takes both), checkpoints on a thread of their own (the server's)
 */
export function databaseFromConfig(
  config: Config,
  sqlite: Pick<DatabaseOptions, 'sqliteWriter' | 'sqliteCheckpointPages' | 'sqliteCheckpointThread'> = {},
): Database {
  return openDatabase(
    config.databaseUrl
      ? {
          postgresUrl: config.databaseUrl,
          poolSize: config.dbPoolSize,
          readUrl: config.databaseReadUrl,
          readMaxLagSeconds: config.readMaxLagSeconds,
        }
      : { sqlitePath: `${config.dataDir}/roster.sqlite`, ...sqlite },
  );
}

/** Composition root: builds repositories' callers (services) over one database. */
export async function createCore({
  config,
  database = databaseFromConfig(config),
  migrate = true,
  logger,
  importPollMs,
  webhookPollMs,
  webhookLookup,
  mailPollMs,
  dedicatedWorkers = false,
  notify,
  importIdle,
}: CoreOptions): Promise<Core> {
  if (migrate) await migrateToLatest(database);
  const hasher = new PasswordHasher(config.argon2, config.hashQueueMax);
  const metrics = new Metrics(() => hasher.pending);
  registerBacklogMetrics(metrics.registry, database.db, database.poolStats);
  if (database.replicaStatus) registerReplicaMetrics(metrics.registry, database.replicaStatus);
  const mailSenders = new MailSenderPolicy(config.mailFromDomains);
  const tenants = new TenantService(database.db, mailSenders);
  const apiKeys = new ApiKeyService(database.db, new PrincipalCache(config.authCacheMs));
  const analyzeFailed = (error: unknown) => (logger ?? silentLogger).error({ err: error }, 'analyze failed');
  const statistics = database.dialect === 'postgres' ? new StatisticsKeeper(database.db, analyzeFailed, USER_TABLES) : undefined;
  const deliveryStatistics =
    database.dialect === 'postgres' ? new StatisticsKeeper(database.db, analyzeFailed, DELIVERY_TABLES) : undefined;
  const onUsersCreated = (n: number) => {
    metrics.usersCreated.inc(n);
    statistics?.rowsWritten(n);
    notify?.usersCreated(n);
  };
  const mailWorker = new MailWorker(database.db, config.smtpUrl, logger ?? silentLogger, mailPollMs, mailSenders);
  const users = new UserService({
    db: database.db,
    dialect: database.dialect,
    hasher,
    tenants,
    onUsersCreated,
    publicUrl: config.publicUrl,
    onMailQueued: () => {
      mailWorker.wake();
      notify?.mailQueued();
    },
  });
  const webhookTargets: TargetPolicy = {
    allowPrivate: config.webhookAllowPrivate,
    allowed: config.webhookAllowedNetworks,
    lookup: webhookLookup,
  };
  const webhookWorker = new WebhookWorker(
    database.db,
    database.dialect,
    {
      retrySchedule: config.webhookRetrySchedule,
      timeoutMs: config.webhookTimeoutMs,
      pollMs: webhookPollMs,
      pauseWhenBusy: !dedicatedWorkers,
      targets: webhookTargets,
      ...(deliveryStatistics ? { deliveriesQueued: (n: number) => deliveryStatistics.rowsWritten(n) } : {}),
    },
    logger ?? silentLogger,
  );
  let wakeImports = () => importWorker.wake();
  const importWorker = new ImportWorker(
    database.db,
    database.dialect,
    users,
    logger ?? silentLogger,
    config.importStaleSeconds * 1000,
    importPollMs,
    importIdle,
  );
  const sessions = new SessionService({
    db: database.db,
    hasher,
    tenants,
    users,
    argon2: config.argon2,
    ttlSeconds: config.sessionTtlSeconds,
    maxFailuresPerAccount: config.loginMaxFailuresPerAccount,
    maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
  });
  return {
    database,
    metrics,
    jwt: new JwtService(database.db, tenants, config.jwt),
    authenticate: (token) => (token.startsWith(SESSION_TOKEN_PREFIX) ? sessions.authenticate(token) : apiKeys.authenticate(token)),
    tenants,
    apiKeys,
    users,
    roles: new RoleService(database.db, () => apiKeys.forgetAuthenticated()),
    groups: new GroupService(database.db),
    attributes: new AttributeService(database.db),
    idempotency: new IdempotencyService(database.db),
    imports: new ImportService(database.db, () => wakeImports(), {
      maxRecordBytes: config.importMaxRecordBytes,
      maxFieldBytes: config.importMaxFieldBytes,
    }),
    importWorker,
    announceImportsTo: (wake) => {
      wakeImports = wake;
    },
    events: new EventService(database.db),
    webhooks: new WebhookService(database.db, () => webhookWorker.wake(), webhookTargets),
    webhookWorker,
    mail: new MailService(database.db, tenants, hasher, { publicUrl: config.publicUrl, onMailQueued: () => mailWorker.wake() }),
    mailWorker,
    sessions,
    // Bounded: with the database unreachable the pool's connect timeout (5 s) ends the query; the race
    // keeps /readyz answering 503 even if a connection hangs mid-query (a partition without resets).
    isReady: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the database did not answer within 5 s')), 5000);
      });
      try {
        await Promise.race([sql`select 1`.execute(database.db), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return true;
    },
    close: async () => {
      await importWorker.stop();
      await webhookWorker.stop();
      await mailWorker.stop();
      await statistics?.settle();
      await deliveryStatistics?.settle();
      await database.close();
    },
  };
}
