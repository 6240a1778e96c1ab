import { createCore } from './app.js';
import { loadConfig } from './config/config.js';
import { buildHttpServer } from './http/server.js';

/** Starts the HTTP server with migrations applied, and stops it cleanly on SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const core = await createCore({ config });
  const bootstrapKey = await core.apiKeys.ensureAdminKey(config.adminKey);
  if (bootstrapKey) {
    // Printed once, straight to the terminal and not through the logger: logs never carry secrets.
    process.stdout.write(
      `\nRoster created a platform admin key. It is shown this once; store it now:\n\n  ${bootstrapKey}\n\n` +
        `Use it as "Authorization: Bearer <key>", or set ROSTER_ADMIN_KEY to manage it yourself.\n\n`,
    );
  }
  const app = await buildHttpServer(core, config);
  core.importWorker.start(app.log);
  core.webhookWorker.start(app.log);
  core.mailWorker.start(app.log);
  const purge = setInterval(() => {
    core.idempotency.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'idempotency purge failed'));
    core.events.purgeOlderThan(config.eventRetentionDays).catch((error: unknown) => app.log.error({ err: error }, 'event purge failed'));
  }, 3_600_000);
  purge.unref();
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => core.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ database: core.database.dialect }, 'Roster is ready');
}
