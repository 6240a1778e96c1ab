/**
 * Everything the CLI needs only on the local store (the core, the database, the server itself),
 * loaded on demand so a command that calls a server starts without it.
 */
export { loadConfig } from '../config/config.js';
export { databaseFromConfig } from '../app.js';
export { default as pino } from 'pino';
export { migrateToLatest } from '../db/migrate.js';
export { waitForDatabase } from '../db/wait-for-database.js';
export { serve, work } from '../serve.js';
export { cliPrincipal, tenantContext, withCore } from './cli-context.js';
export { importFile } from './import-export.js';
export { localBackend } from './cli-backend.js';
export { backupSqlite, restoreSqlite } from '../db/sqlite-backup.js';
export { BULK_CHECKPOINT_PAGES } from '../db/sqlite-open.js';
