import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../cli/cli-context.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testStores } from '../../testing/test-db.js';
import type { TenantContext } from '../context.js';

/**
 * `writeAfter` (an import validates a batch while the one before it writes): the batch's uniqueness round
 * runs first, so a value claimed meanwhile is found by the insert's claims instead. On SQLite a chunk is
 * written as one statement batch in a savepoint; a lost claim rolls it back and the careful path decides
 * item by item. Both must answer what the early round would have: a 409 for that item, the others created,
 * nothing left of the loser.
 */

for (const { label, dialect } of testStores) {
  describe.skipIf(!dialect.available)(`${label}: a batch written after another`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    // The CLI's context (cli-context.ts) on a new tenant: every path's rules, with the store's own rights.
    const contextOf = async (): Promise<TenantContext> => tenantContext(t.core, (await t.tenantWithKey()).tenantId);
    type Table = 'users' | 'events' | 'userIdentifiers' | 'resourceSequences';
    const countAll = async (table: Table, tenantId: string) =>
      Number(
        (
          await t.core.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenantId', '=', tenantId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    // What a new tenant holds already (its key's events): each test counts what it added.
    let before: Record<Table, number>;
    const baseline = async (tenantId: string) => {
      before = { users: 0, events: 0, userIdentifiers: 0, resourceSequences: 0 };
      for (const table of Object.keys(before) as Table[]) before[table] = await countAll(table, tenantId);
    };
    const count = async (table: Table, tenantId: string) => (await countAll(table, tenantId)) - before[table];

    it('should fail with 409 an item whose email was taken after the uniqueness round, create the others, and keep nothing of it', async () => {
      const ctx = await contextOf();
      await baseline(ctx.tenantId);
      let rivalId: string | undefined;
      // Awaited by the batch after its uniqueness round: the rival's create commits exactly then.
      const writeAfter: PromiseLike<void> = {
        then: (resolve, reject) =>
          t.core.users
            .createUser(ctx, { email: 'Taken@Example.com', givenName: 'Rival' })
            .then((user) => {
              rivalId = user.id;
            })
            .then(resolve, reject),
      };
      const outcomes = await t.core.users.createUsers(
        ctx,
        [
          { email: 'taken@example.com', givenName: 'Late' },
          { email: 'free@example.com', givenName: 'Free' },
          { email: 'also-free@example.com', givenName: 'Also' },
        ],
        { mode: 'partial', writeAfter },
      );
      expect(outcomes.map((o) => [o.status, o.error?.code])).toEqual([
        ['failed', 'USER_EMAIL_TAKEN'],
        ['created', undefined],
        ['created', undefined],
      ]);
      expect(outcomes[0]?.error?.errors).toEqual([expect.objectContaining({ path: '/email', code: 'EMAIL_TAKEN' })]);
      // The rival and the two others; their user.created events, identifiers and counters, none of the loser.
      expect(await count('users', ctx.tenantId)).toBe(3);
      expect(await count('events', ctx.tenantId)).toBe(3);
      expect(await count('userIdentifiers', ctx.tenantId)).toBe(3);
      expect(await count('resourceSequences', ctx.tenantId)).toBe(3);
      const holder = await t.core.database.db
        .selectFrom('users')
        .select(['id', 'givenName'])
        .where('tenantId', '=', ctx.tenantId)
        .where('givenName', 'in', ['Rival', 'Late'])
        .execute();
      expect(holder).toEqual([{ id: rivalId, givenName: 'Rival' }]);
    });

    it('should decide such an item in the second chunk of a batch, keeping the first chunk and the rest of the second', async () => {
      const ctx = await contextOf();
      await baseline(ctx.tenantId);
      const writeAfter: PromiseLike<void> = {
        then: (resolve, reject) =>
          t.core.users
            .createUser(ctx, { email: 'many550@example.com' })
            .then(() => undefined)
            .then(resolve, reject),
      };
      const inputs = Array.from({ length: 600 }, (_, i) => ({ email: `many${i}@example.com` }));
      const outcomes = await t.core.users.createUsers(ctx, inputs, { mode: 'partial', writeAfter, returnUsers: false });
      expect(outcomes.filter((o) => o.status === 'created')).toHaveLength(599);
      expect(outcomes[550]).toMatchObject({ status: 'failed', error: expect.objectContaining({ code: 'USER_EMAIL_TAKEN' }) });
      expect(await count('users', ctx.tenantId)).toBe(600);
      expect(await count('events', ctx.tenantId)).toBe(600);
      expect(await count('userIdentifiers', ctx.tenantId)).toBe(600);
    });

    it('should write nothing when what it waits for fails', async () => {
      const ctx = await contextOf();
      await baseline(ctx.tenantId);
      const failure = new Error('the batch before failed');
      const failed = Promise.reject(failure);
      failed.catch(() => undefined); // awaited by the batch once it has validated
      const outcome = await t.core.users
        .createUsers(ctx, [{ email: 'never@example.com' }], { mode: 'partial', writeAfter: failed })
        .catch((e: unknown) => e);
      expect(outcome).toBe(failure);
      expect(await count('users', ctx.tenantId)).toBe(0);
      expect(await count('events', ctx.tenantId)).toBe(0);
    });

    it('should write an atomic batch whole, or nothing when one of its claims was taken meanwhile', async () => {
      const ctx = await contextOf();
      await baseline(ctx.tenantId);
      const writeAfter: PromiseLike<void> = {
        then: (resolve, reject) =>
          t.core.users
            .createUser(ctx, { email: 'first@example.com', username: 'rival' })
            .then(() => undefined)
            .then(resolve, reject),
      };
      const outcomes = await t.core.users.createUsers(
        ctx,
        [
          { email: 'second@example.com', username: 'Rival' },
          { email: 'third@example.com', username: 'third' },
        ],
        { mode: 'atomic', writeAfter },
      );
      expect(outcomes.map((o) => [o.status, o.error?.code])).toEqual([
        ['failed', 'USER_USERNAME_TAKEN'],
        ['skipped', undefined],
      ]);
      expect(await count('users', ctx.tenantId)).toBe(1);
      expect(await count('events', ctx.tenantId)).toBe(1);
    });
  });
}
