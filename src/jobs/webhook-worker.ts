import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { readBool } from '../db/column-types.js';
import type { Db, Dialect } from '../db/database.js';
import { nowIso } from '../lib/time.js';
import { signWebhook } from '../lib/webhook-signature.js';
import { findEventsByIds, recordEvents, toEventResource } from '../modules/events/event.service.js';
import * as webhooks from '../modules/webhooks/webhook.repository.js';
import type { DeliveryRow } from '../modules/webhooks/webhook.repository.js';
import type { WebhookAttemptTable, WebhookDeliveryTable } from '../modules/webhooks/webhook.table.js';
import type { Insertable, Updateable } from 'kysely';
import { toWebhookResource } from '../modules/webhooks/webhook.service.js';
import { BackgroundWorker } from './background-worker.js';

export interface WebhookWorkerOptions {
  /** Delay before each retry, in ms: the first entry after the first failure, and so on. */
  retrySchedule: number[];
  timeoutMs: number;
  pollMs?: number;
  /** Pause while the event loop is busy: for a worker sharing its process with the API (default true). */
  pauseWhenBusy?: boolean;
}

const BATCH = 50;
/** Above this share of busy event-loop time, the worker pauses BUSY_PAUSE_MS between batches. */
const BUSY_UTILIZATION = 0.5;
const BUSY_PAUSE_MS = 1000;

interface DeliveryResult {
  tenantId: string;
  deliveryId: string;
  attempt?: Insertable<WebhookAttemptTable>;
  changes: Updateable<WebhookDeliveryTable>;
  /** Set when the last retry failed: the webhook to check for disabling. */
  gaveUp?: string;
}
const DAY_MS = 86_400_000;

/**
 * Delivers the outbox: due deliveries are claimed (exclusively, also across processes), POSTed with
 * Standard Webhooks signatures, and retried with exponential back-off and jitter. A crash leaves the
 * claim to run out, so every committed event is delivered at least once.
 */
export class WebhookWorker extends BackgroundWorker {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly options: WebhookWorkerOptions,
    log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
  ) {
    super(log, options.pollMs ?? 1000, 'webhook worker');
  }

  /**
   * Deliveries share the process with the API. When the event loop has been busy most of the time
   * since the last batch, the worker waits a little: deliveries then lag behind a burst of writes and
   * catch up afterwards, instead of taking the API's CPU.
   */
  async #yieldWhenBusy(): Promise<void> {
    if (this.options.pauseWhenBusy === false) return;
    const now = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(now, this.#lastUtilization);
    this.#lastUtilization = now;
    if (recent.utilization > BUSY_UTILIZATION) await new Promise((r) => setTimeout(r, BUSY_PAUSE_MS));
  }

  #lastUtilization = performance.eventLoopUtilization();

  protected async drain(): Promise<void> {
    while (!this.stopping) {
      await this.#yieldWhenBusy();
      const now = Date.now();
      const claimed = await this.db.transaction().execute((trx) =>
        webhooks.claimDue(trx, this.dialect, new Date(now).toISOString(), new Date(now + this.options.timeoutMs + 30_000).toISOString(), BATCH),
      );
      if (claimed.length === 0) return;
      const results = await Promise.all(claimed.map((d) => this.deliver(d)));
      // One transaction for the whole batch's outcomes: on SQLite each commit is an fsync, and the
      // writer is shared with user creation.
      await this.db.transaction().execute(async (trx) => {
        for (const result of results) {
          if (result.attempt) await webhooks.recordAttempt(trx, result.attempt);
          await webhooks.updateDelivery(trx, result.tenantId, result.deliveryId, result.changes);
        }
      });
      for (const result of results) if (result.gaveUp) await this.disableIfDead(result.tenantId, result.gaveUp);
    }
  }

  /** The delay before retry number `attempt` (1-based), ±20 % so failing receivers are not hit in waves. */
  private delayAfter(attempt: number): number | undefined {
    const base = this.options.retrySchedule[attempt - 1];
    return base === undefined ? undefined : Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** Sends one delivery and says what to record; writes nothing itself. */
  private async deliver(delivery: DeliveryRow): Promise<DeliveryResult> {
    const base = { tenantId: delivery.tenantId, deliveryId: delivery.id };
    const webhook = await webhooks.findById(this.db, delivery.tenantId, delivery.webhookId);
    const [event] = await findEventsByIds(this.db, delivery.tenantId, [delivery.eventId]);
    if (!webhook || !event || (!readBool(webhook.active) && event.type !== 'webhook.ping')) {
      return { ...base, changes: { status: 'failed', lastError: 'webhook inactive or removed', lockedUntil: null, updatedAt: nowIso() } };
    }
    const body = JSON.stringify(toEventResource(event));
    const attempt = delivery.attempts + 1;
    const startedAt = nowIso();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Roster-Webhooks/1', ...signWebhook(webhook.secret, event.id, Math.floor(Date.now() / 1000), body) },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (failure) {
      error = failure instanceof Error ? (failure.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : (failure.cause as Error | undefined)?.message ?? failure.message) : String(failure);
    }
    const latencyMs = Math.round(performance.now() - started);
    const now = nowIso();
    const record = { tenantId: delivery.tenantId, deliveryId: delivery.id, attempt, startedAt, statusCode, latencyMs, error };
    if (error === null) {
      return { ...base, attempt: record, changes: { status: 'delivered', attempts: attempt, lastStatusCode: statusCode, lastError: null, deliveredAt: now, lockedUntil: null, updatedAt: now } };
    }
    const delay = this.delayAfter(attempt);
    if (delay !== undefined) {
      return {
        ...base, attempt: record,
        changes: { attempts: attempt, lastStatusCode: statusCode, lastError: error, nextAttemptAt: new Date(Date.now() + delay).toISOString(), lockedUntil: null, updatedAt: now },
      };
    }
    this.log.warn({ deliveryId: delivery.id, webhookId: webhook.id }, 'webhook delivery gave up');
    return { ...base, attempt: record, gaveUp: webhook.id, changes: { status: 'failed', attempts: attempt, lastStatusCode: statusCode, lastError: error, lockedUntil: null, updatedAt: now } };
  }

  /** A webhook whose deliveries all fail for a day straight is turned off, and that is announced. */
  private async disableIfDead(tenantId: string, webhookId: string): Promise<void> {
    const outcome = await webhooks.recentOutcome(this.db, tenantId, webhookId, new Date(Date.now() - DAY_MS).toISOString());
    if (outcome.delivered > 0) return;
    await this.db.transaction().execute(async (trx) => {
      const webhook = await webhooks.findById(trx, tenantId, webhookId);
      if (!webhook || !readBool(webhook.active)) return;
      const reason = 'Deliveries kept failing after every retry';
      const now = nowIso();
      await webhooks.update(trx, tenantId, webhookId, { active: false, disabledReason: reason, updatedAt: now });
      await recordEvents(trx, tenantId, { type: 'system', id: null, requestId: null }, [
        { type: 'webhook.disabled', resourceType: 'webhook', resourceId: webhookId, data: toWebhookResource({ ...webhook, active: false, disabledReason: reason, updatedAt: now }) },
      ]);
    });
  }
}
