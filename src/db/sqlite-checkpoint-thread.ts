import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { closeWorker } from '../lib/close-worker.js';

const require = createRequire(import.meta.url);

/** A statement that wrote and left no transaction open looks at the WAL after this long, or this many such statements, since the last look. */
const LOOK_INTERVAL_MS = 50;
const LOOK_EVERY_STATEMENTS = 64;

/** Failed checkpoints in a row after which the thread is ended and the main connection checkpoints on its own. */
const MAX_FAILURES = 3;

/** The WAL frames past which the main connection copies whatever is waiting, even while the thread works on. */
const HARD_CAP_INTERVALS = 8;

/**
 * Slots of the state the thread shares: checkpoints it finished (each request is answered by one), and of
 * its last one, the WAL it copied (the header's salt-1) and how many of that WAL's frames it had copied.
 */
const HANDLED = 0;
const COPIED_SALT = 1;
const COPIED_FRAMES = 2;

/**
 * The thread's code, run with `new Worker(source, { eval: true })` as the writer thread's is. It opens its
 * own connection to the file and answers each `{ checkpoint: true, salt }` with a PASSIVE checkpoint, which
 * copies what no reader still needs and never waits for a lock, then records it in the shared state (readable
 * without the main thread's event loop turning); `{ close: true }` closes it. `salt` is the WAL's generation
 * when the main connection asked: were the WAL started over meanwhile, the copy is recorded for the older one,
 * and the main connection asks again.
 */
const checkpointSource = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driverPath);
const shared = new Int32Array(workerData.shared);
let db;
parentPort.on('message', (message) => {
  if (message.close) {
    try {
      if (db) db.close();
    } finally {
      parentPort.close();
    }
    return;
  }
  try {
    if (!db) {
      db = new SQLite(workerData.file, { fileMustExist: true });
      // A checkpoint syncs the database file before the WAL may be started over: power loss keeps every commit.
      db.pragma('synchronous = FULL');
      db.pragma('wal_autocheckpoint = 0');
    }
    const [{ checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.store(shared, ${COPIED_SALT}, message.salt);
    Atomics.store(shared, ${COPIED_FRAMES}, checkpointed);
    parentPort.postMessage({ done: true });
  } catch (error) {
    parentPort.postMessage({ done: true, error: String(error && error.message) });
  } finally {
    Atomics.add(shared, ${HANDLED}, 1);
  }
});
`;

/**
 * How many frames the WAL holds since it was last started over, as far as `limits` goes (the largest of
 * `limits` whose frame is there, 0 if none), and its salt-1, which tells its generations apart (0 when there
 * is no WAL). A frame belongs to the current WAL when its salts are the
 * header's (https://sqlite.org/fileformat2.html#walformat): a frame left from before the WAL was started over
 * has older ones. Read from the `-wal` file, on which SQLite takes no locks (never from the `-shm` wal-index:
 * SQLite's locks on it are POSIX locks, which closing any descriptor of it in the process would drop).
 */
export function walState(file: string, limits: readonly number[]): { frames: number; salt: number } {
  const none = { frames: 0, salt: 0 };
  let fd: number;
  try {
    fd = fs.openSync(`${file}-wal`, 'r');
  } catch {
    return none;
  }
  try {
    const header = Buffer.alloc(32);
    if (fs.readSync(fd, header, 0, 32, 0) < 32) return none;
    const magic = header.readUInt32BE(0);
    const pageSize = header.readUInt32BE(8);
    if ((magic !== 0x377f0682 && magic !== 0x377f0683) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
      return none;
    const salt = header.readInt32BE(16);
    const frameBytes = pageSize + 24;
    const frame = Buffer.alloc(24);
    let reached = 0;
    for (const n of limits) {
      if (fs.readSync(fd, frame, 0, 24, 32 + (n - 1) * frameBytes) < 24) break;
      if (frame.readUInt32BE(8) !== header.readUInt32BE(16) || frame.readUInt32BE(12) !== header.readUInt32BE(20)) break;
      reached = n;
    }
    return { frames: reached, salt };
  } finally {
    fs.closeSync(fd);
  }
}

/** What the main connection does for its thread: its own checkpoint, and where problems are reported. */
export interface CheckpointHost {
  /** A PASSIVE checkpoint on the main connection, with the event loop held. */
  checkpointHere(): void;
  onError(message: string): void;
}

/**
 * Copies a SQLite file's WAL into the database on a thread of its own, for a connection on the main thread
 * whose automatic checkpoints are off (`wal_autocheckpoint = 0`). SQLite's automatic checkpoint runs inside
 * the commit that crosses the interval: with the event loop held, it copies the interval's pages and syncs the
 * database file (a batch of 1,000 creates writes about 1,000 pages, so each such commit took one, about half
 * its time). Commits stay as durable: their log is synced either way.
 *
 * After a statement that wrote and left no transaction open, at most every LOOK_INTERVAL_MS or
 * LOOK_EVERY_STATEMENTS, the WAL is looked at:
 * - `pages` frames or more since it was started over: the thread is asked for a checkpoint, unless it has not
 *   finished the last one asked for.
 * - Twice that, once the thread has copied an interval or more of this same WAL and is done: its checkpoints are
 *   not getting the WAL started over (commits landing during each leave a tail behind it), so the main
 *   connection copies the tail itself (what was written since the thread's checkpoint began), and its next
 *   write starts the WAL over. A WAL that reached twice the interval before the thread copied any of it (one
 *   large commit, or another process's) is the thread's.
 * - HARD_CAP_INTERVALS times that: the thread is stuck or far behind, and the main connection tries to copy what
 *   waits, as SQLite would have (a PASSIVE checkpoint copies nothing while the thread holds the checkpoint
 *   lock, so a checkpoint that hangs on the thread still holds the WAL back).
 * - After MAX_FAILURES failed checkpoints in a row the thread is ended and the main connection checkpoints at
 *   `pages`.
 *
 * The thread starts with the first checkpoint asked for, so a process that never writes that much never starts
 * it (about 8 MiB once started). It never holds the process open: a checkpoint cut short by an exit loses nothing.
 */
export class CheckpointThread {
  #worker: Worker | undefined;
  readonly #shared = new Int32Array(new SharedArrayBuffer(12));
  #asked = 0;
  #paused = false;
  #closed = false;
  #lastLook = 0;
  #sinceLook = 0;
  #failures = 0;
  #mainCheckpoints = 0;

  constructor(
    readonly file: string,
    readonly pages: number,
    private readonly host: CheckpointHost,
  ) {}

  /** Checkpoints the main connection tried itself (for tests). */
  get mainCheckpoints(): number {
    return this.#mainCheckpoints;
  }

  /** While another connection writes most of the pages and checkpoints them itself (the import thread), none are taken. */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  /**
   * After a statement that wrote and left no transaction open on the main connection (see the class). Never
   * throws: the statement before it is done, a commit on disk.
   */
  afterCommit(): void {
    try {
      this.#look();
    } catch (error) {
      this.host.onError(`looking at the WAL: ${(error as Error).message}`);
    }
  }

  #look(): void {
    if (this.#paused || this.#closed) return;
    const now = Date.now();
    if (++this.#sinceLook < LOOK_EVERY_STATEMENTS && now - this.#lastLook < LOOK_INTERVAL_MS) return;
    this.#lastLook = now;
    this.#sinceLook = 0;
    const threadGone = this.#failures >= MAX_FAILURES;
    const { frames, salt } = walState(this.file, [this.pages, 2 * this.pages, HARD_CAP_INTERVALS * this.pages]);
    if (frames === 0) return;
    const idle = Atomics.load(this.#shared, HANDLED) === this.#asked;
    // Only a tail is left to the main connection: the thread has copied an interval or more of this very WAL.
    const tailOnly = idle && Atomics.load(this.#shared, COPIED_SALT) === salt && Atomics.load(this.#shared, COPIED_FRAMES) >= this.pages;
    if (threadGone || frames === HARD_CAP_INTERVALS * this.pages || (frames === 2 * this.pages && tailOnly)) this.#checkpointHere();
    else if (idle) this.#ask(salt);
  }

  #checkpointHere(): void {
    this.#mainCheckpoints++;
    try {
      this.host.checkpointHere();
    } catch (error) {
      // The statement before it is done (a commit on disk): a failed checkpoint must not fail it.
      this.host.onError(`checkpoint on the main connection: ${(error as Error).message}`);
    }
  }

  #ask(salt: number): void {
    try {
      const worker = this.#start();
      this.#asked++;
      worker.postMessage({ checkpoint: true, salt });
    } catch (error) {
      this.#failed((error as Error).message);
    }
  }

  #failed(message: string): void {
    this.#failures++;
    if (this.#failures < MAX_FAILURES) {
      this.host.onError(message);
      return;
    }
    this.host.onError(`${message}; the connection checkpoints on its own from now on`);
    void this.#worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(checkpointSource, {
      eval: true,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { file: this.file, driverPath: require.resolve('better-sqlite3'), shared: this.#shared.buffer },
    });
    worker.unref();
    worker.on('message', (reply: { done: boolean; error?: string }) => {
      if (reply.error) this.#failed(reply.error);
      else this.#failures = 0;
    });
    // A thread that dies (out of memory, a crash in the driver) is started again at the next checkpoint asked for.
    const gone = (reason: string) => {
      if (this.#worker !== worker) return; // 'error' and then 'exit': one failure
      this.#worker = undefined;
      this.#asked = Atomics.load(this.#shared, HANDLED); // what it left unanswered never will be
      if (!this.#closed && this.#failures < MAX_FAILURES) this.#failed(reason);
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
