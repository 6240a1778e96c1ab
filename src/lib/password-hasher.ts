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

/**
 * argon2id hashing on libuv's thread pool (never on the event loop). `pending` counts hashes queued
 * or running, exported as the `roster_password_hash_queue_depth` gauge.
 */
export class PasswordHasher {
  #pending = 0;
  /** Admitted hashes not started yet. */
  #reserved = 0;
  /** Mean time of one hash, kept to estimate Retry-After. */
  #meanMs = 50;

  /** @param maxQueued hashes queued or running beyond which new work is refused (503), so a flood degrades instead of piling up. */
  constructor(private readonly params: Argon2Params, private readonly maxQueued = Infinity) {}

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
      // libuv runs four hashes at a time by default.
      const retryAfter = Math.max(1, Math.ceil((load * this.#meanMs) / 4 / 1000));
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

  async hash(password: string): Promise<string> {
    this.#pending += 1;
    const started = performance.now();
    try {
      return await hash(password, { algorithm: ARGON2ID, ...this.params });
    } finally {
      this.#pending -= 1;
      this.#meanMs = this.#meanMs * 0.9 + (performance.now() - started) * 0.1;
    }
  }

  async verify(phc: string, password: string): Promise<boolean> {
    this.#pending += 1;
    try {
      return await verify(phc, password);
    } finally {
      this.#pending -= 1;
    }
  }
}
