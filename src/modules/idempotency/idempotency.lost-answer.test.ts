import {
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/kysely.js';
import { AppError } from '../../errors/app-error.js';
import { testDialects } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';
import { systemPrincipal } from '../context.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * The answer to the first INSERT is lost after the database ran it: the connection drops between the
 * commit and its reply, as when the primary is killed (the claim reached the synchronous standby that is
 * promoted next). What the client sees is a 503; what the store holds is a `running` claim nobody owns.
 */
class LoseFirstInsertAnswer implements KyselyPlugin {
  readonly #inserts = new WeakSet<object>();
  lost = false;

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'InsertQueryNode') this.#inserts.add(queryId);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (!this.lost && this.#inserts.has(queryId)) {
      this.lost = true;
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
    }
    return result;
  }
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: an Idempotency-Key claim whose answer was lost`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await dialect.open();
    });
    afterAll(async () => database?.close());

    it('should be released once the database answers again, so the retry runs instead of waiting minutes as IDEMPOTENCY_KEY_IN_USE', async () => {
      const lose = new LoseFirstInsertAnswer();
      const service = new IdempotencyService(database.db.withPlugin(lose));
      const tenantId = 'tenant-lost-answer';
      await expect(service.begin(tenantId, systemPrincipal, 'retry-me', 'hash-1')).rejects.toThrow('Connection terminated');
      expect(lose.lost).toBe(true);
      // The claim itself was stored: without its release every retry is refused as still running.
      const stored = await database.db.selectFrom('idempotencyKeys').select(['state']).where('tenantId', '=', tenantId).execute();
      expect(stored).toEqual([{ state: 'running' }]);

      let decision: Awaited<ReturnType<IdempotencyService['begin']>> | undefined;
      await until(
        async () => {
          try {
            decision = await service.begin(tenantId, systemPrincipal, 'retry-me', 'hash-1');
            return true;
          } catch (error) {
            if (error instanceof AppError && error.code === 'IDEMPOTENCY_KEY_IN_USE') return false;
            throw error;
          }
        },
        'the lost claim to be released',
        20_000,
      );
      expect(decision?.kind).toBe('execute');
      // The retry's own claim is the one stored now, and finishing it records its answer.
      if (decision?.kind !== 'execute') return;
      await service.finish(decision.claim, 201, '{"id":"u1"}', 'application/json');
      const replay = await service.begin(tenantId, systemPrincipal, 'retry-me', 'hash-1');
      expect(replay).toMatchObject({ kind: 'replay', statusCode: 201, body: '{"id":"u1"}' });
    });

    it("should never release or overwrite a later request's claim when an earlier one finishes late", async () => {
      const service = new IdempotencyService(database.db);
      const tenantId = 'tenant-late-finish';
      const first = await service.begin(tenantId, systemPrincipal, 'shared', 'hash-2');
      if (first.kind !== 'execute') throw new Error('the first request should run');
      // The first claim is taken over (as after STALE_RUNNING_MS): deleted, and claimed again by a retry.
      await database.db.deleteFrom('idempotencyKeys').where('tenantId', '=', tenantId).execute();
      await until(async () => Date.now() > Date.parse(first.claim.createdAt), 'the clock to move on', 5_000, 1);
      const second = await service.begin(tenantId, systemPrincipal, 'shared', 'hash-2');
      if (second.kind !== 'execute') throw new Error('the retry should run');
      // The first request ends now, with a 503 and then a 201: neither touches the retry's claim.
      await service.finish(first.claim, 503, '', 'application/problem+json');
      await service.finish(first.claim, 201, '{"id":"first"}', 'application/json');
      const stored = await database.db
        .selectFrom('idempotencyKeys')
        .select(['state', 'responseBody'])
        .where('tenantId', '=', tenantId)
        .execute();
      expect(stored).toEqual([{ state: 'running', responseBody: null }]);
      await service.finish(second.claim, 201, '{"id":"second"}', 'application/json');
      expect(await service.begin(tenantId, systemPrincipal, 'shared', 'hash-2')).toMatchObject({ kind: 'replay', body: '{"id":"second"}' });
    });
  });
}
