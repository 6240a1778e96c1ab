import type { Db } from '../../db/database.js';
import { AppError } from '../../errors/app-error.js';
import { toIso } from '../../lib/time.js';

/** How long a key is remembered, and after how long a key stuck in `running` (its process died) may be taken over. */
const TTL_MS = 24 * 60 * 60 * 1000;
const STALE_RUNNING_MS = 5 * 60 * 1000;

export type IdempotencyDecision =
  | { kind: 'execute' }
  | { kind: 'replay'; statusCode: number; body: string; contentType: string };

/** Idempotency-Key handling for POSTs: the first request runs, retries replay its response. */
export class IdempotencyService {
  constructor(private readonly db: Db) {}

  /**
   * Claims a key for a request, or says what to answer instead. The claim is an insert on the
   * primary key, so of two concurrent requests with one key exactly one executes.
   * @throws IDEMPOTENCY_KEY_MISMATCH (same key, other request); IDEMPOTENCY_KEY_IN_USE (still running).
   */
  async begin(tenantId: string, key: string, requestHash: string): Promise<IdempotencyDecision> {
    const now = Date.now();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const inserted = await this.db
        .insertInto('idempotencyKeys')
        .values({
          tenantId, key, requestHash, state: 'running', statusCode: null, responseBody: null, contentType: null,
          createdAt: new Date(now).toISOString(), expiresAt: new Date(now + TTL_MS).toISOString(),
        })
        .onConflict((oc) => oc.columns(['tenantId', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { kind: 'execute' };

      const row = await this.db.selectFrom('idempotencyKeys').selectAll().where('tenantId', '=', tenantId).where('key', '=', key).executeTakeFirst();
      if (!row) continue;
      const expired = Date.parse(toIso(row.expiresAt)) <= now;
      const stale = row.state === 'running' && Date.parse(toIso(row.createdAt)) + STALE_RUNNING_MS <= now;
      if (expired || stale) {
        // Only the request that deletes exactly this row gets to retry the claim.
        await this.db.deleteFrom('idempotencyKeys').where('tenantId', '=', tenantId).where('key', '=', key).where('createdAt', '=', row.createdAt).execute();
        continue;
      }
      if (row.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_MISMATCH');
      if (row.state === 'running') throw new AppError('IDEMPOTENCY_KEY_IN_USE');
      return { kind: 'replay', statusCode: row.statusCode ?? 200, body: row.responseBody ?? '', contentType: row.contentType ?? 'application/json' };
    }
    throw new AppError('IDEMPOTENCY_KEY_IN_USE');
  }

  /** Records the response of a request that executed. 5xx answers are forgotten so a retry runs again. */
  async finish(tenantId: string, key: string, statusCode: number, body: string, contentType: string): Promise<void> {
    if (statusCode >= 500) {
      await this.db.deleteFrom('idempotencyKeys').where('tenantId', '=', tenantId).where('key', '=', key).where('state', '=', 'running').execute();
      return;
    }
    await this.db
      .updateTable('idempotencyKeys')
      .set({ state: 'done', statusCode, responseBody: body, contentType })
      .where('tenantId', '=', tenantId)
      .where('key', '=', key)
      .execute();
  }

  /** Drops expired keys; called from time to time so the table stays small. */
  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('idempotencyKeys').where('expiresAt', '<=', new Date().toISOString()).execute();
  }
}
