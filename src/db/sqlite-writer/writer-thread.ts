import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { writerSource } from './worker-source.js';
import type { BatchEnd, BatchStatement } from '../statement-batch.js';
import { closeWorker } from '../../lib/close-worker.js';

const require = createRequire(import.meta.url);

/** What a statement run by the writer answers. */
export interface WriterResult {
  rows?: unknown[];
  /** A statement batch's answer: each statement's rows (none for a write without RETURNING). */
  results?: unknown[][];
  /** A statement batch's `commitWhen` was met: the thread committed the transaction after it. */
  committed?: boolean;
  /** A speculative batch wrote nothing (statement-batch.ts, executeSpeculatively). */
  skipped?: boolean;
  changes?: number;
  lastInsertRowid?: number | bigint;
  /** Which thread ran the statement. */
  thread?: number;
}

interface Pending {
  resolve(result: WriterResult): void;
  reject(error: Error): void;
}

interface Reply {
  id: number;
  ready?: boolean;
  rows?: unknown[];
  results?: unknown[][];
  committed?: boolean;
  skipped?: boolean;
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code?: string };
}

/**
 * Raised for statements the writer thread could not answer because it ended (a crash, or the store closing):
 * SQLSTATE 08006 (connection failure) so that `isDatabaseUnavailable` makes it a 503, as for a PostgreSQL
 * connection lost mid-request. Whatever transaction was open is rolled back by SQLite (never committed), unless
 * its last batch had already committed it (executeBatch's commitWhen, answered `committed` before the end).
 */
export class WriterUnavailableError extends Error {
  readonly code = '08006';
  constructor(reason: string) {
    super(`The SQLite writer thread is not available (Connection terminated): ${reason}`);
    this.name = 'WriterUnavailableError';
  }
}

/**
 * The thread that owns the store's write connection (`synchronous = FULL`): COMMIT's fsync and every write
 * statement run there, so the event loop goes on serving requests while a commit is on disk. One message
 * per statement; answers come back in order. A thread that dies is replaced on the next statement.
 */
export class WriterThread {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** Counts the threads started: a transaction begun on one thread must never go on on the next. */
  #generation = 0;

  constructor(
    private readonly file: string,
    private readonly options: { busyTimeoutMs: number; cacheCapacity: number; checkpointPages: number },
  ) {}

  /** Starts the thread (once) and waits until it has the store open. */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new WriterUnavailableError('the store is closed'));
    if (this.#ready) return this.#ready;
    const worker = new Worker(writerSource, {
      eval: true,
      // The thread runs plain JavaScript: no loaders (tsx, test runners) inherited from the main thread.
      execArgv: [],
      // Its garbage is the statements' parameters and answers: V8's default young generation (up to 3 × 16 MiB)
      // made a 100,000-row CLI import peak at 235-239 MiB, 8 MiB at 220-224 MiB at the same speed (4 MiB: 211-216
      // MiB, about 5 % slower).
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      workerData: {
        file: this.file,
        driverPath: require.resolve('better-sqlite3'),
        busyTimeoutMs: this.options.busyTimeoutMs,
        cacheCapacity: this.options.cacheCapacity,
        checkpointPages: this.options.checkpointPages,
      },
    });
    this.#worker = worker;
    this.#generation++;
    const ready = new Promise<void>((resolve, reject) => {
      const onReply = (reply: Reply) => {
        if (reply.ready) {
          if (this.#pending.size === 0) worker.unref();
          resolve();
          return;
        }
        if (reply.id === 0 && reply.error) {
          reject(toError(reply.error));
          return;
        }
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        if (reply.error) pending.reject(toError(reply.error));
        else pending.resolve(reply);
      };
      worker.on('message', onReply);
      const onGone = (reason: string) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        const error = new WriterUnavailableError(reason);
        reject(error);
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
      };
      worker.on('error', (error) => onGone(error.message));
      worker.on('exit', (code) => onGone(`it exited (code ${code})`));
    });
    // Referenced until ready; then only while statements are pending (see `run`): an idle thread must not
    // keep a finished process alive.
    this.#ready = ready;
    ready.catch(() => undefined);
    return ready;
  }

  /**
   * Runs one statement on the write connection; `begin` runs BEGIN just before it. `thread` (what an earlier
   * answer said) pins the statement to the thread that ran its transaction's BEGIN: if that thread ended,
   * the statement fails instead of running, outside any transaction, on a new one.
   */
  run(sql: string, parameters: readonly unknown[], begin = false, thread?: number): Promise<WriterResult> {
    return this.#send({ sql, parameters, begin }, thread);
  }

  /**
   * Runs statements in order in one message (statement-batch.ts), as `run` runs one; the first that fails stops the rest.
   * `end.commitWhen`: COMMIT after them when each listed statement answered that many rows (`committed` in the
   * answer); `end.token` names that commit for a speculative batch.
   */
  runBatch(
    batch: readonly BatchStatement[],
    begin = false,
    thread?: number,
    end?: Pick<BatchEnd, 'commitWhen' | 'token'>,
  ): Promise<WriterResult> {
    return this.#send(end ? { batch, begin, commitWhen: end.commitWhen, token: end.token } : { batch, begin }, thread);
  }

  /**
   * A transaction of its own in one message, run only after the commit named `after` (executeSpeculatively).
   * Posted as soon as the batch named `after` is, so that it waits in the thread's queue instead of on the main
   * thread; not posted at all (answered `skipped`) when `abandoned` settles first.
   */
  async speculate(
    batch: readonly BatchStatement[],
    end: BatchEnd & { speculative: NonNullable<BatchEnd['speculative']> },
  ): Promise<WriterResult> {
    const { after, abandoned } = end.speculative;
    if (!this.#posted.has(after) && !(await this.#postedBefore(after, abandoned))) return { skipped: true };
    return this.#send({ batch, speculative: true, commitWhen: end.commitWhen, token: end.token, after }, undefined);
  }

  /** Tokens of the batches posted lately (runBatch's `end.token`), and who waits for one to be. */
  #posted = new Set<number>();
  #postedWaiters = new Map<number, Set<() => void>>();

  /** Whether the batch named `token` gets posted before `abandoned` settles. */
  async #postedBefore(token: number, abandoned: PromiseLike<unknown>): Promise<boolean> {
    let waiter!: () => void;
    const posted = new Promise<true>((resolve) => (waiter = () => resolve(true)));
    const waiters = this.#postedWaiters.get(token) ?? new Set();
    this.#postedWaiters.set(token, waiters.add(waiter));
    const gaveUp = Promise.resolve(abandoned).then(
      () => false as const,
      () => false as const,
    );
    const outcome = await Promise.race([posted, gaveUp]);
    waiters.delete(waiter);
    if (waiters.size === 0 && this.#postedWaiters.get(token) === waiters) this.#postedWaiters.delete(token);
    return outcome;
  }

  #markPosted(token: number): void {
    this.#posted.add(token);
    // A handful is enough: a speculative batch names the batch posted just before its own.
    if (this.#posted.size > 64) this.#posted.delete(this.#posted.values().next().value as number);
    for (const waiter of this.#postedWaiters.get(token) ?? []) waiter();
  }

  async #send(message: object, thread: number | undefined): Promise<WriterResult> {
    if (thread === undefined) await this.start();
    const worker = this.#worker;
    if (!worker || (thread !== undefined && thread !== this.#generation)) throw new WriterUnavailableError('it ended');
    const generation = this.#generation;
    const id = this.#nextId++;
    const answer = new Promise<WriterResult>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (this.#pending.size === 1) worker.ref();
    worker.postMessage({ id, ...message });
    const { token } = message as { token?: number };
    if (token !== undefined) this.#markPosted(token);
    try {
      return { ...(await answer), thread: generation };
    } finally {
      if (this.#pending.size === 0 && this.#worker === worker) worker.unref();
    }
  }

  /** For tests: ends the thread as a crash would. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  /** Closes the write connection (an open transaction is rolled back) and waits for the thread to end. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker) await closeWorker(worker);
  }
}

function toError(reply: { message: string; code?: string }): Error {
  // The same class and code better-sqlite3 raises on the main thread, so callers see one shape.
  if (reply.code) return new SQLite.SqliteError(reply.message, reply.code);
  return new Error(reply.message);
}
