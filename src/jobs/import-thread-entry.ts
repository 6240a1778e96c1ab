import { parentPort } from 'node:worker_threads';
import { sql } from 'kysely';
import pino from 'pino';
import { createCore, databaseFromConfig } from '../app.js';
import { BULK_CHECKPOINT_PAGES } from '../db/sqlite-open.js';
import { loadConfig } from '../config/config.js';
import type { FromImportThread, ToImportThread } from './import-thread.js';

/**
 * The import thread (started by ImportThread in the server process): a core of its own over its own
 * database connection, running only the import worker. It leaves by itself once no job has been
 * runnable for IDLE_MS (the worker's own poll finds that out), so a server that is not importing carries
 * no second heap. The server learns it left from the thread's exit.
 */
if (!parentPort) throw new Error('import-thread-entry runs as a worker thread');
const port = parentPort;
const send = (message: FromImportThread) => port.postMessage(message);

const config = loadConfig();
const log = pino({ level: config.logLevel }).child({ thread: 'imports' });
const core = await createCore({
  config,
  // This connection writes the imports' chunks: its checkpoints copy a page many chunks rewrote once.
  database: databaseFromConfig(config, { sqliteCheckpointPages: BULK_CHECKPOINT_PAGES }),
  logger: log,
  // The server process migrated before it started this thread.
  migrate: false,
  dedicatedWorkers: true,
  importIdle: () => idle(),
  notify: {
    usersCreated: (count) => send({ type: 'users-created', count }),
    mailQueued: () => send({ type: 'mail-queued' }),
  },
});

/** Long enough that a run of small imports reuses one thread, short enough that an idle server soon carries none. */
const IDLE_MS = 5000;
let idleSince: number | undefined;
let leaving: Promise<void> | undefined;

/** Called after each drain that found no runnable job: the thread leaves after IDLE_MS of that. */
function idle(): void {
  idleSince ??= Date.now();
  if (Date.now() - idleSince >= IDLE_MS) void leave('idle');
}

async function leave(reason: 'idle' | 'stop'): Promise<void> {
  leaving ??= (async () => {
    log.info({ reason }, 'the import thread is leaving');
    try {
      await core.importWorker.stop();
      // The thread's connection lets the WAL grow to BULK_CHECKPOINT_PAGES; once it leaves, the server takes
      // checkpoints back, and its first ones would copy all of that (up to about 40 MiB): on its checkpoint
      // thread, or with the event loop held where it has none. So this thread copies it first.
      if (core.database.dialect === 'sqlite') await sql`pragma wal_checkpoint(PASSIVE)`.execute(core.database.db);
      await core.close();
    } catch (error) {
      log.error({ err: error }, 'the import thread did not close cleanly');
    }
    port.close();
  })();
  return leaving;
}

port.on('message', (message: ToImportThread) => {
  if (message.type === 'wake') {
    idleSince = undefined;
    core.importWorker.wake();
  } else if (message.type === 'stop') void leave('stop');
});

core.importWorker.start(log);
log.info('the import thread started');
