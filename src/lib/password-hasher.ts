import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { AppError } from '../errors/app-error.js';

// `Algorithm` is an ambient const enum, which isolated modules cannot read; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Hashes admitted but not started yet. */
export interface HashAdmission {
  /** One admitted hash starts now: it counts as pending from here on. */
  take(): void;
  /** Gives back what was not taken (items that failed before hashing). */
  release(): void;
}

/** The admission of work that hashes nothing (or is never refused: background jobs). */
export const NO_ADMISSION: HashAdmission = { take: () => undefined, release: () => undefined };

interface Task {
  run: () => Promise<unknown>;
  settle: (outcome: { value?: unknown; error?: unknown; failed: boolean }) => void;
}

/** libuv's thread pool size as src/lib/thread-pool.ts set it (4 when nothing did). */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? size : 4;
}

/**
 * argon2id hashing on libuv's thread pool (never on the event loop). `pending` counts hashes queued
 * or running, exported as the `roster_password_hash_queue_depth` gauge.
 *
 * Fairness: the hasher, not libuv's FIFO, decides what runs. At most `slots` tasks are on the pool at a
 * time; hashes take at most `slots - 1` of them, so one thread is always free for verification
 * (logins), which also goes ahead of every queued hash. Queued hashes wait in one queue per tenant, and
 * the tenants take turns (one hash each, round-robin): one tenant's 1000-password batch delays another
 * tenant's single create by about one hash per busy tenant, not by the whole batch.
 */
export class PasswordHasher {
  #pending = 0;
  /** Admitted hashes not started yet. */
  #reserved = 0;
  /** Mean time of one hash, kept to estimate Retry-After. */
  #meanMs = 50;
  #running = 0;
  #runningHashes = 0;
  readonly #verifications: Task[] = [];
  /** Queued hashes by tenant; the map's order is the round-robin ring (a served tenant moves to the end). */
  readonly #hashes = new Map<string, Task[]>();
  readonly #slots: number;

  /**
   * @param maxQueued hashes queued or running beyond which new work is refused (503), so a flood degrades instead of piling up.
   * @param slots tasks on libuv's pool at a time (its size by default); hashes get one fewer.
   */
  constructor(
    private readonly params: Argon2Params,
    private readonly maxQueued = Infinity,
    slots = threadPoolSize(),
  ) {
    this.#slots = Math.max(1, slots);
  }

  get pending(): number {
    return this.#pending;
  }

  /**
   * Admission for a request that will hash `count` passwords. An idle hasher admits any amount (a
   * batch of 1000 passwords is one request); a busy one refuses what would take it past its bound.
   * Admitted hashes count as load until they start (`take`) or are given back (`release`), so requests
   * that wait together (coalesced single creates) are admitted one by one, not all at once.
   * @throws SERVICE_UNAVAILABLE with `retryAfter` (seconds).
   */
  admit(count: number): HashAdmission {
    if (count === 0) return NO_ADMISSION;
    const load = this.#pending + this.#reserved;
    if (load > 0 && load + count > this.maxQueued) {
      const retryAfter = Math.max(1, Math.ceil((load * this.#meanMs) / Math.max(1, this.#slots - 1) / 1000));
      throw new AppError('SERVICE_UNAVAILABLE', { detail: 'Password hashing is saturated; retry later', details: { retryAfter } });
    }
    this.#reserved += count;
    let left = count;
    return {
      take: () => {
        if (left > 0) {
          left -= 1;
          this.#reserved -= 1;
        }
      },
      release: () => {
        this.#reserved -= left;
        left = 0;
      },
    };
  }

  /**
   * Hashes a password for storage, in `tenantId`'s turn. `priority` puts it in the verification lane
   * (the rehash of a login's password): keep that for work a person is waiting on, one password at a time.
   */
  async hash(password: string, options: { tenantId?: string; priority?: boolean } = {}): Promise<string> {
    const run = async () => {
      const started = performance.now();
      try {
        return await hash(password, { algorithm: ARGON2ID, ...this.params });
      } finally {
        this.#meanMs = this.#meanMs * 0.9 + (performance.now() - started) * 0.1;
      }
    };
    return options.priority ? this.#verification(run) : this.#schedule(options.tenantId ?? '', run);
  }

  /** Checks a password against an argon2 PHC string, ahead of queued hashes. */
  verify(phc: string, password: string): Promise<boolean> {
    return this.#verification(() => verify(phc, password));
  }

  /** Runs a credential check (any stored hash form: see verifyStoredHash) ahead of queued hashes. */
  verifyWith(check: () => Promise<boolean>): Promise<boolean> {
    return this.#verification(check);
  }

  #verification<T>(run: () => Promise<T>): Promise<T> {
    return this.#enqueue(run, (task) => this.#verifications.push(task));
  }

  #schedule<T>(tenantId: string, run: () => Promise<T>): Promise<T> {
    return this.#enqueue(run, (task) => {
      const queue = this.#hashes.get(tenantId);
      if (queue) queue.push(task);
      else this.#hashes.set(tenantId, [task]);
    });
  }

  #enqueue<T>(run: () => Promise<T>, add: (task: Task) => void): Promise<T> {
    this.#pending += 1;
    return new Promise<T>((resolve, reject) => {
      add({ run, settle: (o) => (o.failed ? reject(o.error as Error) : resolve(o.value as T)) });
      this.#dispatch();
    });
  }

  /** Starts what may start: verifications first, on any free slot; then hashes, one tenant after another, on all slots but one. */
  #dispatch(): void {
    while (this.#running < this.#slots) {
      const verification = this.#verifications.shift();
      if (verification) {
        this.#start(verification, false);
        continue;
      }
      if (this.#runningHashes >= Math.max(1, this.#slots - 1)) return;
      const next = this.#hashes.entries().next();
      if (next.done) return;
      const [tenantId, queue] = next.value;
      const task = queue.shift() as Task;
      this.#hashes.delete(tenantId);
      if (queue.length > 0) this.#hashes.set(tenantId, queue);
      this.#start(task, true);
    }
  }

  #start(task: Task, isHash: boolean): void {
    this.#running += 1;
    if (isHash) this.#runningHashes += 1;
    const done = (outcome: { value?: unknown; error?: unknown; failed: boolean }) => {
      this.#running -= 1;
      if (isHash) this.#runningHashes -= 1;
      this.#pending -= 1;
      task.settle(outcome);
      this.#dispatch();
    };
    let running: Promise<unknown>;
    try {
      running = task.run();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => done({ value, failed: false }),
      (error: unknown) => done({ error, failed: true }),
    );
  }
}
