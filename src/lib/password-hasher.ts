import { hash, verify, type Algorithm } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum, which isolated modules cannot read; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id hashing on libuv's thread pool (never on the event loop). `pending` counts hashes queued
 * or running, exported as the `roster_password_hash_queue_depth` gauge.
 */
export class PasswordHasher {
  #pending = 0;

  constructor(private readonly params: Argon2Params) {}

  get pending(): number {
    return this.#pending;
  }

  async hash(password: string): Promise<string> {
    this.#pending += 1;
    try {
      return await hash(password, { algorithm: ARGON2ID, ...this.params });
    } finally {
      this.#pending -= 1;
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
