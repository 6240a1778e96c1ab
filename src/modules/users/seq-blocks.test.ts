import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/kysely.js';
import { reserveSeq } from '../../db/sequences.js';
import { testDialects } from '../../testing/test-db.js';
import { SeqBlocks } from './seq-blocks.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: user numbers reserved in blocks`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await dialect.open();
    });
    afterAll(async () => database?.close());

    it('should give consecutive numbers from growing blocks, never one another reservation took', async () => {
      const blocks = new SeqBlocks();
      const taken: number[] = [];
      const take = async (count: number) => {
        const first = await blocks.take(database.db, 'tenant-a', count);
        taken.push(...Array.from({ length: count }, (_, i) => first + i));
      };
      await take(3); // a first block of exactly 3: a small import leaves no gap
      expect(taken).toEqual([1, 2, 3]);
      // Another process (a create on the server) reserves meanwhile: its number is never handed out here.
      const other = await reserveSeq(database.db, 'tenant-a', 'users', 1);
      expect(other).toBe(4);
      for (let i = 0; i < 6; i++) await take(3);
      expect(new Set(taken).size).toBe(taken.length);
      expect(taken).not.toContain(other);
      expect(taken.every((n, i) => i === 0 || n > (taken[i - 1] as number))).toBe(true);
      // Another tenant's numbers are its own.
      expect(await blocks.take(database.db, 'tenant-b', 2)).toBe(1);
    });
  });
}
