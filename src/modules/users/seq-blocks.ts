import type { Db } from '../../db/database.js';
import { reserveSeq } from '../../db/sequences.js';

/** The largest block reserved at once: an import that ends leaves at most this many numbers unused. */
const MAX_BLOCK = 4000;

/**
 * User numbers for imports on SQLite, reserved ahead in blocks (each its own short commit) instead of inside
 * each chunk's transaction: a chunk's rows and events, which carry the numbers, are then built while the
 * batch before it is still being written, and its transaction is the writer's work alone (runImport). Blocks
 * grow from the batch's own size to MAX_BLOCK, so a small import reserves what it uses. The price is a gap
 * in a tenant's numbers where an import ends, and numbers that follow the order of the blocks, not of the
 * commits, when another process creates users of the same tenant meanwhile.
 */
export class SeqBlocks {
  readonly #blocks = new Map<string, { next: number; end: number; size: number }>();
  /** Per tenant, the last turn given: the next one takes its numbers after it. */
  readonly #lastTurn = new Map<string, Promise<void>>();

  /**
   * A place in line, taken when a batch starts: its numbers are taken after those of every batch that started
   * before it, whichever is validated first, so that numbers follow the order of an import's rows. A turn that
   * takes nothing (every item failed, a dry run) must be skipped, or the turns after it wait forever.
   */
  turn(tenantId: string): SeqTurn {
    const before = this.#lastTurn.get(tenantId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.#lastTurn.set(tenantId, mine);
    void mine.then(() => {
      if (this.#lastTurn.get(tenantId) === mine) this.#lastTurn.delete(tenantId);
    });
    return {
      take: async (db, count) => {
        try {
          await before;
          return await this.take(db, tenantId, count);
        } finally {
          done();
        }
      },
      // After the turns before it: a batch that fails at once must not let a later one take numbers ahead.
      skip: () => void before.then(done),
    };
  }

  /** The first of `count` consecutive unused numbers of the tenant's users. */
  async take(db: Db, tenantId: string, count: number): Promise<number> {
    let block = this.#blocks.get(tenantId);
    if (!block || block.end - block.next < count) {
      const size = Math.max(count, Math.min(MAX_BLOCK, (block?.size ?? 0) * 2));
      const start = await reserveSeq(db, tenantId, 'users', size);
      block = { next: start, end: start + size, size };
      this.#blocks.set(tenantId, block);
    }
    const first = block.next;
    block.next += count;
    return first;
  }
}

/** A batch's place in line for numbers (SeqBlocks.turn). */
export interface SeqTurn {
  take(db: Db, count: number): Promise<number>;
  /** Gives the place up (idempotent; after take, it has nothing left to do). */
  skip(): void;
}
