import type { Db } from '../../db/database.js';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { AppError } from '../../errors/app-error.js';
import { toIso } from '../../lib/time.js';
import { actorRef, type Principal } from '../context.js';
import { withoutOneTimeSecrets } from './replay-secrets.js';

/** How long a key is remembered, and after how long a key stuck in `running` (its process died) may be taken over. */
const TTL_MS = 24 * 60 * 60 * 1000;
const STALE_RUNNING_MS = 5 * 60 * 1000;

/** A key claimed by one credential in one tenant. */
export interface IdempotencyClaim {
  tenantId: string;
  /** The stored key: the credential and the client's Idempotency-Key. */
  key: string;
  /** When this request claimed it: what it finishes or releases is its own claim, never a later one's. */
  createdAt: string;
}

export type IdempotencyDecision =
  | { kind: 'execute'; claim: IdempotencyClaim }
  | { kind: 'replay'; statusCode: number; body: string; contentType: string; omitted: string[] };

interface PendingAnswer {
  claim: IdempotencyClaim;
  statusCode: number;
  body: string;
  contentType: string;
}

/**
 * Idempotency-Key handling for POSTs: the first request runs, retries replay its response. Keys are the
 * credential's own: another credential using the same key neither sees nor blocks the answer.
 */
export class IdempotencyService {
  /** Answers whose recording failed because the database was unavailable (a failover): recorded once it is back. */
  readonly #pending: PendingAnswer[] = [];
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db) {}

  /**
   * Records an answer later: the database was unavailable when the request ended (a failover under way).
   * Until it is recorded, a retry with the key gets IDEMPOTENCY_KEY_IN_USE (retryable); after, the stored
   * answer (a 2xx), or a fresh run (a 5xx, whose claim is released). Kept in this process's memory only
   * (at most 10,000): if the process dies first, the claim is taken over after STALE_RUNNING_MS.
   */
  finishLater(claim: IdempotencyClaim, statusCode: number, body: string, contentType: string): void {
    if (this.#pending.length >= 10_000) return;
    this.#pending.push({ claim, statusCode, body, contentType });
    this.#retryTimer ??= setInterval(() => void this.#retryPending(), 1000).unref();
  }

  async #retryPending(): Promise<void> {
    while (this.#pending.length > 0) {
      const next = this.#pending[0] as PendingAnswer;
      try {
        await this.finish(next.claim, next.statusCode, next.body, next.contentType);
      } catch {
        return; // still unavailable: the next tick tries again
      }
      this.#pending.shift();
    }
    clearInterval(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /**
   * Claims a key for a request of this principal, or says what to answer instead. The claim is an insert
   * on the primary key, so of two concurrent requests with one key exactly one executes. A stored answer is
   * replayed only while the principal still holds every permission it held when it made the request.
   * @throws IDEMPOTENCY_KEY_MISMATCH (same key, other request); IDEMPOTENCY_KEY_IN_USE (still running);
   *   PERMISSION_DENIED (the credential lost a permission since).
   */
  async begin(tenantId: string, principal: Principal, clientKey: string, requestHash: string): Promise<IdempotencyDecision> {
    const now = Date.now();
    const claim: IdempotencyClaim = { tenantId, key: `${actorRef(principal)} ${clientKey}`, createdAt: new Date(now).toISOString() };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const inserted = await this.#claim(claim, principal, requestHash, now);
      if (inserted) return { kind: 'execute', claim };

      const row = await this.db
        .selectFrom('idempotencyKeys')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('key', '=', claim.key)
        .executeTakeFirst();
      if (!row) continue;
      const expired = Date.parse(toIso(row.expiresAt)) <= now;
      const stale = row.state === 'running' && Date.parse(toIso(row.createdAt)) + STALE_RUNNING_MS <= now;
      if (expired || stale) {
        // Only the request that deletes exactly this row gets to retry the claim.
        await this.db
          .deleteFrom('idempotencyKeys')
          .where('tenantId', '=', tenantId)
          .where('key', '=', claim.key)
          .where('createdAt', '=', row.createdAt)
          .execute();
        continue;
      }
      if (row.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_MISMATCH');
      if (row.state === 'running') throw new AppError('IDEMPOTENCY_KEY_IN_USE');
      const held = JSON.parse(row.permissions ?? '[]') as string[];
      const lost = held.find((permission) => !principal.permissions.has(permission));
      if (lost !== undefined) {
        throw new AppError('PERMISSION_DENIED', {
          detail: `The stored answer to this Idempotency-Key is replayed only while the credential holds the "${lost}" permission it held then`,
          details: { permission: lost },
        });
      }
      const omitted = row.omittedFields ? row.omittedFields.split(',') : [];
      return {
        kind: 'replay',
        statusCode: row.statusCode ?? 200,
        body: row.responseBody ?? '',
        contentType: row.contentType ?? 'application/json',
        omitted,
      };
    }
    throw new AppError('IDEMPOTENCY_KEY_IN_USE');
  }

  /**
   * Inserts the claim; false when the key is already claimed. When the database became unavailable during
   * the insert (a failover), the claim may have been stored even so (committed, then the connection lost
   * before the answer): it is released once the database is back, or a retry would find it `running` until
   * STALE_RUNNING_MS.
   */
  async #claim(claim: IdempotencyClaim, principal: Principal, requestHash: string, now: number): Promise<boolean> {
    try {
      const inserted = await this.db
        .insertInto('idempotencyKeys')
        .values({
          tenantId: claim.tenantId,
          key: claim.key,
          requestHash,
          state: 'running',
          statusCode: null,
          responseBody: null,
          contentType: null,
          permissions: JSON.stringify([...principal.permissions].sort()),
          omittedFields: null,
          createdAt: claim.createdAt,
          expiresAt: new Date(now + TTL_MS).toISOString(),
        })
        .onConflict((oc) => oc.columns(['tenantId', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      return inserted !== undefined;
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.finishLater(claim, 503, '', 'application/problem+json');
      throw error;
    }
  }

  /**
   * Records the response of a request that executed, without its one-time secrets. 5xx answers, and
   * 401/403 (caused by the credential, not the request), are forgotten so a retry runs again.
   */
  async finish(claim: IdempotencyClaim, statusCode: number, body: string, contentType: string): Promise<void> {
    if (statusCode >= 500 || statusCode === 401 || statusCode === 403) {
      await this.db
        .deleteFrom('idempotencyKeys')
        .where('tenantId', '=', claim.tenantId)
        .where('key', '=', claim.key)
        .where('createdAt', '=', claim.createdAt)
        .where('state', '=', 'running')
        .execute();
      return;
    }
    const stored = withoutOneTimeSecrets(body, contentType);
    await this.db
      .updateTable('idempotencyKeys')
      .set({
        state: 'done',
        statusCode,
        responseBody: stored.body,
        contentType,
        omittedFields: stored.omitted.length > 0 ? stored.omitted.join(',') : null,
      })
      .where('tenantId', '=', claim.tenantId)
      .where('key', '=', claim.key)
      .where('createdAt', '=', claim.createdAt)
      .execute();
  }

  /** Drops expired keys; called from time to time so the table stays small. */
  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('idempotencyKeys').where('expiresAt', '<=', new Date().toISOString()).execute();
  }
}
