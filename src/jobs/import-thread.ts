import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import * as imports from '../modules/imports/import.repository.js';
import { BackgroundWorker } from './background-worker.js';

/** What the server process tells its import thread. */
export type ToImportThread = { type: 'wake' } | { type: 'stop' };
/** What the import thread tells the server process. */
export type FromImportThread = { type: 'users-created'; count: number } | { type: 'mail-queued' };

type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export interface ImportThreadHooks {
  usersCreated(count: number): void;
  mailQueued(): void;
  /** The thread started (true) or ended (false). */
  running?(running: boolean): void;
}

/**
 * Runs import jobs on a worker thread of the server process, so that an import's per-row work (mapping,
 * validation, building and committing chunks; on SQLite the commits themselves, which are synchronous)
 * never holds up the event loop that answers requests: reads stay fast while a million rows go in, and
 * the import gets a core of its own. The thread is started when a job is runnable (checked on each wake
 * and every `pollMs`, the same query the in-process worker runs) and leaves by itself once idle, so an
 * idle server carries no second heap. Jobs keep every guarantee of the in-process worker (one chunk per
 * transaction with its progress, resumable after a kill): the thread runs that same worker.
 */
export class ImportThread extends BackgroundWorker {
  #thread: Worker | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly hooks: ImportThreadHooks,
    log: Log,
    private readonly staleMs: number,
    pollMs = 2000,
  ) {
    super(log, pollMs, 'import thread');
  }

  /** A job was queued: the running thread looks at once (and stays), or one is started. */
  announce(): void {
    if (this.#thread) this.#thread.postMessage({ type: 'wake' } satisfies ToImportThread);
    else this.wake();
  }

  protected async drain(): Promise<void> {
    // A running thread polls the queue itself.
    if (this.stopping || this.#thread) return;
    const job = await imports.findNextRunnable(this.db, new Date(Date.now() - this.staleMs).toISOString());
    if (job && !this.stopping && !this.#thread) this.#spawn();
  }

  #spawn(): void {
    const thread = startThread();
    this.#thread = thread;
    this.hooks.running?.(true);
    this.#closed = new Promise<void>((resolve) => {
      thread.once('exit', (code) => {
        this.#thread = undefined;
        this.hooks.running?.(false);
        resolve();
        // A clean exit (idle) may have raced a job queued meanwhile: look again. A crash waits for the next poll.
        if (code === 0) this.wake();
        else this.log.error({ exitCode: code }, 'the import thread stopped; it is started again on the next poll');
      });
    });
    thread.on('error', (error) => this.log.error({ err: error }, 'the import thread failed'));
    thread.on('message', (message: FromImportThread) => {
      if (message.type === 'users-created') this.hooks.usersCreated(message.count);
      else if (message.type === 'mail-queued') this.hooks.mailQueued();
    });
  }

  /** Stops polling, asks the thread to end its job's turn at a safe point (the job goes back to the queue), and waits for it. */
  override async stop(): Promise<void> {
    await super.stop();
    const thread = this.#thread;
    if (!thread) return;
    thread.postMessage({ type: 'stop' } satisfies ToImportThread);
    await this.#closed;
  }
}

/**
 * The thread's young generation: V8's default (up to 3 × 16 MiB) made a 200,000-row import's server peak
 * at 297 MiB, 3 MiB at 265 MiB but 20 % slower (more scavenges promote more); 8 MiB kept the speed at
 * 271 MiB (BENCHMARKS.md).
 */
const THREAD_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: 8 } };

/**
 * From the build, the bundled entry (or the compiled one beside this file); from the sources (tests run
 * the server with tsx), the TypeScript entry through tsx, which a worker thread does not inherit.
 */
function startThread(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  if (!fromSources) {
    // `npm run build` bundles the entry into dist/import-thread.js (scripts/bundle-server.mjs).
    const bundle = new URL('../import-thread.js', import.meta.url);
    return new Worker(fs.existsSync(bundle) ? bundle : new URL('./import-thread-entry.js', import.meta.url), THREAD_OPTIONS);
  }
  const entry = new URL('./import-thread-entry.ts', import.meta.url);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...THREAD_OPTIONS, eval: true });
}
