import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { closeWorker } from '../lib/close-worker.js';

const require = createRequire(import.meta.url);

/** How often, at most, a commit looks at how much of the WAL is waiting for a checkpoint. */
const LOOK_INTERVAL_MS = 50;

/**
 * The thread's code, run with `new Worker(source, { eval: true })` as the writer thread's is. It opens its
 * own connection to the file and answers each `{ checkpoint: true }` with a PASSIVE checkpoint, which copies
 * what no reader still needs and never waits for a lock; `{ close: true }` closes it.
 */
const checkpointSource = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driverPath);
let db;
parentPort.on('message', (message) => {
  try {
    if (message.close) {
      if (db) db.close();
      parentPort.close();
      return;
    }
    if (!db) {
      db = new SQLite(workerData.file, { fileMustExist: true });
      // A checkpoint syncs the database file before the WAL may be started over: power loss keeps every commit.
      db.pragma('synchronous = FULL');
      db.pragma('wal_autocheckpoint = 0');
    }
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ done: true });
  } catch (error) {
    parentPort.postMessage({ done: true, error: String(error && error.message) });
  }
});
`;

/**
 * The WAL frames a checkpoint has not copied yet, read from the wal-index (`<file>-shm`) header without
 * touching the database: `mxFrame` (the last committed frame, at byte 16) less `nBackfill` (the frames
 * checkpointed, at byte 96), in the machine's byte order (https://sqlite.org/walformat.html, "The
 * WAL-Index Header"). Undefined while there is no wal-index to read.
 */
export function framesWaiting(file: string): number | undefined {
  const header = Buffer.alloc(100);
  let fd: number;
  try {
    fd = fs.openSync(`${file}-shm`, 'r');
  } catch {
    return undefined;
  }
  try {
    if (fs.readSync(fd, header, 0, 100, 0) < 100) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  const little = os.endianness() === 'LE';
  const mxFrame = little ? header.readUInt32LE(16) : header.readUInt32BE(16);
  const backfilled = little ? header.readUInt32LE(96) : header.readUInt32BE(96);
  return Math.max(0, mxFrame - backfilled);
}

/**
 * Copies a SQLite file's WAL into the database on a thread of its own, for a connection on the main thread
 * whose own checkpoints are off (`wal_autocheckpoint = 0`). SQLite's automatic checkpoint runs inside the
 * commit that crosses the interval: with the event loop held, it copies up to the interval's pages and syncs
 * the database file (a batch of 1,000 creates writes about 1,000 pages, so each such commit took a
 * checkpoint, about half its time). Here a commit only looks at the wal-index, at most every 50 ms, and past
 * `pages` frames waiting asks the thread for a checkpoint; the next commit after it completes starts the WAL
 * over. Commits stay as durable (their log is synced either way); the thread starts on the first checkpoint
 * asked for, so a process that never writes that much never starts it.
 */
export class CheckpointThread {
  #worker: Worker | undefined;
  #busy = false;
  #again = false;
  #paused = false;
  #closed = false;
  #lastLook = 0;
  #completed = 0;

  constructor(
    readonly file: string,
    readonly pages: number,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Checkpoints completed by the thread (tests wait on it). */
  get completed(): number {
    return this.#completed;
  }

  /** While another connection writes most of the pages and checkpoints them itself (the import thread), none are asked for. */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  /** After a commit on the main connection: asks for a checkpoint when `pages` frames or more are waiting. */
  afterCommit(): void {
    if (this.#paused || this.#closed) return;
    const now = Date.now();
    if (now - this.#lastLook < LOOK_INTERVAL_MS) return;
    this.#lastLook = now;
    if ((framesWaiting(this.file) ?? 0) >= this.pages) this.request();
  }

  /** Asks for a checkpoint now; one asked for while another runs follows it. */
  request(): void {
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    const worker = this.#start();
    worker.ref();
    worker.postMessage({ checkpoint: true });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(checkpointSource, {
      eval: true,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { file: this.file, driverPath: require.resolve('better-sqlite3') },
    });
    worker.on('message', (reply: { done: boolean; error?: string }) => {
      this.#busy = false;
      if (reply.error) this.onError(reply.error);
      else this.#completed++;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.request();
      } else worker.unref();
    });
    // A thread that dies (out of memory, a crash in the driver) is started again at the next request.
    const gone = (reason: string) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#busy = false;
      if (!this.#closed) this.onError(reason);
    };
    worker.on('error', (error) => gone(error.message));
    worker.on('exit', (code) => gone(`the checkpoint thread exited (code ${code})`));
    this.#worker = worker;
    return worker;
  }

  /** Ends the thread (after the checkpoint it runs, if any), so the main connection closes last and removes the WAL. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker) await closeWorker(worker);
  }
}
