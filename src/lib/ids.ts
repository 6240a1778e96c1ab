import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// uuid asks the OS for 16 random bytes per id; a create makes several ids (user, events), and a
// profile of imports showed those calls at 6 % of the CPU. Random bytes are drawn 4 KiB at a time instead.
const POOL_BYTES = 16 * 256;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

function randomBlock(): Uint8Array {
  if (offset >= pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

// The monotonic state uuid keeps itself when it draws the bytes (RFC 9562 §6.2, method 1): within one
// millisecond a 31-bit counter, seeded randomly, orders the ids.
const state = { msecs: -Infinity, seq: 0 };

/** Time-ordered ids (UUIDv7): primary keys sort by creation, which keeps cursor pagination and B-tree inserts cheap. */
export function newId(): string {
  const random = randomBlock();
  const now = Date.now();
  if (now > state.msecs) {
    state.seq =
      (((random[6] as number) & 0x7f) << 24) | ((random[7] as number) << 16) | ((random[8] as number) << 8) | (random[9] as number);
    state.msecs = now;
  } else {
    state.seq = (state.seq + 1) | 0;
    if (state.seq === 0) state.msecs += 1;
  }
  return uuidv7({ msecs: state.msecs, seq: state.seq, random });
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
