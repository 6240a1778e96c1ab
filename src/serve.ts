import pino from 'pino';
import { createCore, databaseFromConfig, type Core } from './app.js';
import { loadConfig, type Config } from './config/config.js';
import { waitForDatabase } from './db/wait-for-database.js';
import { startMetricsServer } from './http/metrics-server.js';
import { buildHttpServer } from './http/server.js';
import { ImportThread } from './jobs/import-thread.js';
import { assertCanListen, portProblem } from './lib/port-check.js';
import { growYoungGenerationUnderLoad } from './lib/young-generation.js';
import { StartupError } from './lib/startup-error.js';

// The entry point reports these two apart; it takes them from here so that they are the bundle's classes.
export { ConfigError } from './config/config.js';
export { StartupError } from './lib/startup-error.js';

type Log = Pick<pino.Logger, 'info' | 'warn' | 'error'>;

/** A long-running process checkpoints a SQLite file on a thread of its own, not inside the commit that crosses the interval. */
const SERVER_SQLITE = { sqliteCheckpointThread: true };

/**
 * Starts the background workers (imports, webhooks, mail) and the hourly purges; returns what stops the
 * import thread, when imports run on one (`serve` with ROSTER_IMPORT_THREAD, the default).
 */
function startWorkers(core: Core, config: Config, log: Log, options: { importThread: boolean }): () => Promise<void> {
  let stopImports = async (): Promise<void> => undefined;
  if (options.importThread) {
    const thread = new ImportThread(
      core.database.db,
      {
        usersCreated: (count) => core.metrics.usersCreated.inc(count),
        mailQueued: () => core.mailWorker.wake(),
        // SQLite: the thread's connection, which writes the import's pages, checkpoints them on its thread.
        running: (running) => core.database.leaveCheckpointsToOthers?.(running),
      },
      log,
      config.importStaleSeconds * 1000,
    );
    core.announceImportsTo(() => thread.announce());
    thread.start(log);
    stopImports = () => thread.stop();
  } else core.importWorker.start(log);
  core.webhookWorker.start(log);
  core.mailWorker.start(log);
  const purge = setInterval(() => {
    core.idempotency.purgeExpired().catch((error: unknown) => log.error({ err: error }, 'idempotency purge failed'));
    core.events.purgeOlderThan(config.eventRetentionDays).catch((error: unknown) => log.error({ err: error }, 'event purge failed'));
  }, 3_600_000);
  purge.unref();
  return stopImports;
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits. */
function onSignals(log: Log, stop: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/**
 * What must hold before anything is created: the port is free (else a platform key would be created and
 * printed for a server that then fails) and the database answers (retried while it starts).
 */
async function preflight(config: Config, log: Log, options: { listens: boolean }): Promise<void> {
  if (options.listens) await assertCanListen(config.host, config.port);
  if (config.databaseUrl) await waitForDatabase(config.databaseUrl, config.dbConnectTimeoutSeconds, log);
}

/** Starts the HTTP server with migrations applied (and the workers unless ROSTER_RUN_WORKERS=false). */
export async function serve(): Promise<void> {
  const config = loadConfig();
  await preflight(config, pino({ level: config.logLevel }), { listens: true });
  const core = await createCore({ config, database: databaseFromConfig(config, SERVER_SQLITE) });
  const bootstrapKey = await core.apiKeys.ensureAdminKey(config.adminKey);
  if (bootstrapKey) {
    // Printed once, straight to the terminal and not through the logger: logs never carry secrets.
    process.stdout.write(
      `\nRoster created a platform admin key. It is shown this once; store it now:\n\n  ${bootstrapKey}\n\n` +
        `Use it as "Authorization: Bearer <key>", or set ROSTER_ADMIN_KEY to manage it yourself.\n\n`,
    );
  }
  const app = await buildHttpServer(core, config);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    await core.close();
    const problem = portProblem((error as NodeJS.ErrnoException).code, config.host, config.port);
    throw problem ? new StartupError(problem) : error;
  }
  // Its own port, so /metrics can stay on an internal interface while the API is public.
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : await startMetricsServer(core.metrics, { ...config.metrics, port: config.metrics.port }, config.host);
  const stopImportThread = config.runWorkers ? startWorkers(core, config, app.log, { importThread: config.importThread }) : undefined;
  onSignals(app.log, async () => {
    await metricsServer?.close();
    await app.close();
    await stopImportThread?.();
    await core.close();
  });
  growYoungGenerationUnderLoad();
  app.log.info(
    { database: core.database.dialect, workers: config.runWorkers, admin: `${config.publicUrl}/admin`, docs: `${config.publicUrl}/docs` },
    'Roster is ready',
  );
}

/**
 * `roster worker`: only the background workers, no HTTP. Run it beside servers started with
 * ROSTER_RUN_WORKERS=false to keep deliveries and imports off the API's processes.
 */
export async function work(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  await preflight(config, log, { listens: false });
  const core = await createCore({ config, database: databaseFromConfig(config, SERVER_SQLITE), logger: log, dedicatedWorkers: true });
  // A worker process serves no requests: its imports need no thread of their own.
  startWorkers(core, config, log, { importThread: false });
  // The workers' timers do not hold the process open (they must not keep a stopped server alive); this does.
  const keepAlive = setInterval(() => undefined, 60_000);
  onSignals(log, async () => {
    clearInterval(keepAlive);
    await core.close();
  });
  log.info({ database: core.database.dialect }, 'Roster workers are running');
}
