import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { readBool } from '../db/column-types.js';
import type { Db, Dialect } from '../db/database.js';
import { nowIso } from '../lib/time.js';
import { signWebhook } from '../lib/webhook-signature.js';
import { claimPendingFanout, findEventsByIds, recordEvents, toEventResource } from '../modules/events/event.service.js';
import { enqueueDeliveries, toWebhookResource } from '../modules/webhooks/webhook.service.js';
import * as webhooks from '../modules/webhooks/webhook.repository.js';
import type { DeliveryRow, WebhookRow } from '../modules/webhooks/webhook.repository.js';
import type { EventRow } from '../modules/events/event.repository.js';
import type { WebhookAttemptTable, WebhookDeliveryTable } from '../modules/webhooks/webhook.table.js';
import type { Insertable, Updateable } from 'kysely';
import { BackgroundWorker } from './background-worker.js';
import { resolveTarget, type TargetPolicy } from '../rules/public-address.js';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface WebhookWorkerOptions {
  /** Delay before each retry, in ms: the first entry after the first failure, and so on. */
  retrySchedule: number[];
  timeoutMs: number;
  pollMs?: number;
  /** Pause while the event loop is busy: for a worker sharing its process with the API (default true). */
  pauseWhenBusy?: boolean;
  /** Which non-public targets may be reached; each target is resolved and checked before every attempt, and the checked address is the one connected to. */
  targets?: TargetPolicy;
  /** Told how many deliveries each fan-out queued (PostgreSQL's StatisticsKeeper for the delivery table). */
  deliveriesQueued?: (count: number) => void;
}

/** Deliveries claimed, sent and recorded together: two lookups and a few writes serve the whole batch. */
const BATCH = 100;
/** Events turned into deliveries per transaction. */
const FANOUT_BATCH = 500;
/** Above this share of busy event-loop time, the worker pauses BUSY_PAUSE_MS between batches. */
const BUSY_UTILIZATION = 0.5;
const BUSY_PAUSE_MS = 1000;

interface DeliveryResult {
  tenantId: string;
  deliveryId: string;
  attempt?: Insertable<WebhookAttemptTable>;
  /** Without `updatedAt`/`deliveredAt`: the batch stamps one time on all, so equal changes share a statement. */
  changes: Updateable<WebhookDeliveryTable>;
  /** Set when the last retry failed: the webhook to check for disabling. */
  gaveUp?: string;
}
const DAY_MS = 86_400_000;

interface Batch {
  webhooks: Map<string, WebhookRow>;
  events: Map<string, { row: EventRow; body: string }>;
}

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
      const fannedOut = await this.fanOut();
      const now = Date.now();
      const claimed = await this.db
        .transaction()
        .execute((trx) =>
          webhooks.claimDue(
            trx,
            this.dialect,
            new Date(now).toISOString(),
            new Date(now + this.options.timeoutMs + 30_000).toISOString(),
            BATCH,
          ),
        );
      if (claimed.length === 0 && fannedOut === 0) return;
      if (claimed.length === 0) continue;
      const batch = await this.loadBatch(claimed);
      const results = await Promise.all(claimed.map((d) => this.deliver(d, batch)));
      // One transaction for the whole batch's outcomes: on SQLite each commit is an fsync, and the
      // writer is shared with user creation.
      await this.record(results);
      for (const result of results) if (result.gaveUp) await this.disableIfDead(result.tenantId, result.gaveUp);
    }
  }

  /** The delay before retry number `attempt` (1-based), ±20 % so failing receivers are not hit in waves. */
  private delayAfter(attempt: number): number | undefined {
    const base = this.options.retrySchedule[attempt - 1];
    return base === undefined ? undefined : Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /**
   * Turns committed events into deliveries, one per subscribed active webhook, marking the events
   * done in the same transaction: a crash in between leaves them pending, and they are fanned out again.
   * @returns how many events were fanned out.
   */
  private async fanOut(): Promise<number> {
    const { events, queued } = await this.db.transaction().execute(async (trx) => {
      const events = await claimPendingFanout(trx, this.dialect, FANOUT_BATCH);
      let queued = 0;
      for (const tenantId of new Set(events.map((e) => e.tenantId))) {
        queued += await enqueueDeliveries(
          trx,
          tenantId,
          events.filter((e) => e.tenantId === tenantId),
        );
      }
      return { events: events.length, queued };
    });
    if (queued > 0) this.options.deliveriesQueued?.(queued);
    return events;
  }

  /** The webhooks and events of a batch of deliveries, one query each per tenant, and each event's body serialised once. */
  private async loadBatch(claimed: DeliveryRow[]): Promise<Batch> {
    const batch: Batch = { webhooks: new Map(), events: new Map() };
    for (const tenantId of new Set(claimed.map((d) => d.tenantId))) {
      const mine = claimed.filter((d) => d.tenantId === tenantId);
      const [hooks, events] = await Promise.all([
        webhooks.findByIds(this.db, tenantId, [...new Set(mine.map((d) => d.webhookId))]),
        findEventsByIds(this.db, tenantId, [...new Set(mine.map((d) => d.eventId))]),
      ]);
      for (const w of hooks) batch.webhooks.set(`${tenantId}/${w.id}`, w);
      for (const e of events) batch.events.set(`${tenantId}/${e.id}`, { row: e, body: JSON.stringify(toEventResource(e)) });
    }
    return batch;
  }

  /** Writes a batch's outcomes in one transaction: attempts multi-row, equal delivery changes in one statement. */
  private async record(results: DeliveryResult[]): Promise<void> {
    const now = nowIso();
    const groups = new Map<string, { tenantId: string; ids: string[]; changes: Updateable<WebhookDeliveryTable> }>();
    for (const r of results) {
      const changes = { ...r.changes, updatedAt: now, ...(r.changes.status === 'delivered' ? { deliveredAt: now } : {}) };
      const key = `${r.tenantId}\u0000${JSON.stringify(changes)}`;
      const group = groups.get(key) ?? groups.set(key, { tenantId: r.tenantId, ids: [], changes }).get(key);
      group?.ids.push(r.deliveryId);
    }
    await this.db.transaction().execute(async (trx) => {
      await webhooks.recordAttempts(
        trx,
        results.flatMap((r) => (r.attempt ? [r.attempt] : [])),
      );
      for (const g of groups.values()) await webhooks.updateDeliveries(trx, g.tenantId, g.ids, g.changes);
    });
  }

  /** Sends one delivery and says what to record; writes nothing itself. */
  private async deliver(delivery: DeliveryRow, batch: Batch): Promise<DeliveryResult> {
    const base = { tenantId: delivery.tenantId, deliveryId: delivery.id };
    const webhook = batch.webhooks.get(`${delivery.tenantId}/${delivery.webhookId}`);
    const loaded = batch.events.get(`${delivery.tenantId}/${delivery.eventId}`);
    const event = loaded?.row;
    if (!webhook || !loaded || !event || (!readBool(webhook.active) && event.type !== 'webhook.ping')) {
      return { ...base, changes: { status: 'failed', lastError: 'webhook inactive or removed', lockedUntil: null } };
    }
    const body = loaded.body;
    const attempt = delivery.attempts + 1;
    const startedAt = nowIso();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      // Checked again at each delivery: a name may have been re-pointed at an inner address since the webhook was saved.
      const url = new URL(webhook.url);
      const target = await resolveTarget(url, this.options.targets ?? { allowPrivate: false, allowed: { networks: [], hosts: [] } });
      if (target.refused !== undefined) throw new Error(`refused: ${target.refused} is not a public address`);
      const response = await post(url, target, this.options.timeoutMs, body, {
        'content-type': 'application/json',
        'user-agent': 'Roster-Webhooks/1',
        ...signWebhook(webhook.secret, event.id, Math.floor(Date.now() / 1000), body),
      });
      statusCode = response;
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (failure) {
      error =
        failure instanceof Error
          ? failure.name === 'TimeoutError' || failure.name === 'AbortError'
            ? `timed out after ${this.options.timeoutMs} ms`
            : ((failure.cause as Error | undefined)?.message ?? failure.message)
          : String(failure);
    }
    const latencyMs = Math.round(performance.now() - started);
    const record = { tenantId: delivery.tenantId, deliveryId: delivery.id, attempt, startedAt, statusCode, latencyMs, error };
    if (error === null) {
      return {
        ...base,
        attempt: record,
        changes: { status: 'delivered', attempts: attempt, lastStatusCode: statusCode, lastError: null, lockedUntil: null },
      };
    }
    const delay = this.delayAfter(attempt);
    if (delay !== undefined) {
      return {
        ...base,
        attempt: record,
        changes: {
          attempts: attempt,
          lastStatusCode: statusCode,
          lastError: error,
          nextAttemptAt: new Date(Date.now() + delay).toISOString(),
          lockedUntil: null,
        },
      };
    }
    this.log.warn({ deliveryId: delivery.id, webhookId: webhook.id }, 'webhook delivery gave up');
    return {
      ...base,
      attempt: record,
      gaveUp: webhook.id,
      changes: { status: 'failed', attempts: attempt, lastStatusCode: statusCode, lastError: error, lockedUntil: null },
    };
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
        {
          type: 'webhook.disabled',
          resourceType: 'webhook',
          resourceId: webhookId,
          data: toWebhookResource({ ...webhook, active: false, disabledReason: reason, updatedAt: now }),
        },
      ]);
    });
  }
}

/**
 * POSTs a body to a URL over a connection to `target`, the address resolveTarget checked: the name is
 * not resolved again (the lookup hands back the checked address), so DNS cannot re-point it between
 * check and connect. TLS still verifies the certificate against the URL's host name. Redirects are
 * not followed. @returns the status code.
 */
function post(
  url: URL,
  target: { address: string; family: number },
  timeoutMs: number,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const checked: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: checked,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.resume();
        response.on('error', () => undefined);
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
