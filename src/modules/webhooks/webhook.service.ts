import { resolveTarget, type TargetPolicy } from '../../rules/public-address.js';
import { readBool, readJson } from '../../db/column-types.js';
import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { generateWebhookSecret, isWebhookSecret } from '../../lib/webhook-signature.js';
import { requirePermission, type TenantContext } from '../context.js';
import { actorOf, findEventsByIds, recordEvents, recordFor } from '../events/event.service.js';
import type { FanoutEvent } from '../events/event.repository.js';
import * as webhooks from './webhook.repository.js';
import type { DeliveryRow, WebhookRow } from './webhook.repository.js';
import type { CreateWebhookInput, Delivery, PatchWebhookInput, Webhook } from './webhook.schemas.js';

export function toWebhookResource(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes === null ? null : readJson<string[]>(row.eventTypes),
    description: row.description,
    active: readBool(row.active),
    disabledReason: row.disabledReason,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

/** http(s) only, and a host that is (or resolves only to) public addresses, unless the target policy allows it (see resolveTarget). */
async function checkUrl(url: string, errors: FieldError[], policy: TargetPolicy): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    errors.push(fieldError('/url', 'FIELD_INVALID', 'Not a URL'));
    return;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    errors.push(fieldError('/url', 'FIELD_INVALID', 'Webhook URLs are http or https'));
  else {
    const target = await resolveTarget(parsed, policy);
    if (target.refused !== undefined)
      errors.push(
        fieldError(
          '/url',
          'URL_NOT_PUBLIC',
          `The webhook host is not a public address (${target.refused}); an operator may allow it in ROSTER_WEBHOOK_ALLOWED_NETWORKS`,
        ),
      );
  }
}

/** The event a delivery carries: its type for the log, its resource and sequence for the order. */
type DeliveredEvent = Pick<FanoutEvent, 'id' | 'type' | 'resourceType' | 'resourceId' | 'sequence'>;

/** A delivery due now, not yet attempted. */
function pendingDelivery(tenantId: string, webhookId: string, event: DeliveredEvent, now: string) {
  return {
    tenantId,
    id: newId(),
    webhookId,
    eventId: event.id,
    eventType: event.type,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    sequence: event.sequence,
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: now,
    lockedUntil: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
  };
}

const subscribed = (row: WebhookRow, type: string) => row.eventTypes === null || readJson<string[]>(row.eventTypes).includes(type);

/**
 * The outbox fan-out: one pending delivery per event and active webhook subscribed to it. The
 * webhook worker runs it for committed events (`pendingFanout`), so neither the number of webhooks
 * nor any endpoint slows a write.
 * @returns how many deliveries were queued
 */
export async function enqueueDeliveries(trx: Executor, tenantId: string, events: FanoutEvent[]): Promise<number> {
  const active = await webhooks.listActive(trx, tenantId);
  if (active.length === 0) return 0;
  const now = nowIso();
  // Fan-out runs after the commit: a webhook receives only events that happened once it existed.
  const existedAt = (w: WebhookRow, event: { occurredAt: string | Date }) => toIso(w.createdAt) <= toIso(event.occurredAt);
  const deliveries = events.flatMap((event) =>
    active.filter((w) => subscribed(w, event.type) && existedAt(w, event)).map((w) => pendingDelivery(tenantId, w.id, event, now)),
  );
  await webhooks.insertDeliveries(trx, deliveries);
  return deliveries.length;
}

/** Webhook endpoints of a tenant (`/v1/webhooks`). */
export class WebhookService {
  constructor(
    private readonly db: Db,
    /** Called after commits that queued deliveries, so the worker looks at once. */
    private readonly onQueued: () => void = () => undefined,
    /** Which non-public hosts are accepted (ROSTER_WEBHOOK_ALLOWED_NETWORKS, ROSTER_WEBHOOK_ALLOW_PRIVATE). */
    private readonly targets: TargetPolicy = { allowPrivate: false, allowed: { networks: [], hosts: [] } },
  ) {}

  /** @throws PERMISSION_DENIED; VALIDATION_FAILED */
  async createWebhook(ctx: TenantContext, input: CreateWebhookInput): Promise<Webhook & { secret: string }> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const errors: FieldError[] = [];
    await checkUrl(input.url, errors, this.targets);
    if (input.secret !== undefined && !isWebhookSecret(input.secret))
      errors.push(fieldError('/secret', 'FIELD_INVALID', 'Secrets are whsec_ followed by at least 24 base64 characters'));
    throwIfFieldErrors(errors);
    const now = nowIso();
    const row = {
      tenantId: ctx.tenantId,
      id: newId(),
      url: input.url,
      eventTypes: input.eventTypes ? JSON.stringify(input.eventTypes) : null,
      secret: input.secret ?? generateWebhookSecret(),
      description: input.description ?? null,
      active: input.active ?? true,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    };
    const resource = toWebhookResource(row);
    await this.db.transaction().execute(async (trx) => {
      await webhooks.insert(trx, row);
      await recordFor(trx, ctx, [{ type: 'webhook.created', resourceType: 'webhook', resourceId: row.id, data: resource }]);
    });
    return { ...resource, secret: row.secret };
  }

  /** @throws PERMISSION_DENIED */
  async listWebhooks(ctx: TenantContext): Promise<Webhook[]> {
    requirePermission(ctx.principal, 'webhooks:manage');
    return (await webhooks.list(this.db, ctx.tenantId)).map(toWebhookResource);
  }

  /** @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND */
  async getWebhook(ctx: TenantContext, id: string): Promise<Webhook> {
    requirePermission(ctx.principal, 'webhooks:manage');
    return toWebhookResource(await this.find(ctx.tenantId, id));
  }

  /** @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND; VALIDATION_FAILED */
  async updateWebhook(ctx: TenantContext, id: string, patch: PatchWebhookInput): Promise<Webhook> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const current = await this.find(ctx.tenantId, id);
    const errors: FieldError[] = [];
    if (patch.url !== undefined) await checkUrl(patch.url, errors, this.targets);
    throwIfFieldErrors(errors);
    const changes = {
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.eventTypes === undefined ? {} : { eventTypes: patch.eventTypes === null ? null : JSON.stringify(patch.eventTypes) }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.active === undefined ? {} : { active: patch.active, ...(patch.active ? { disabledReason: null } : {}) }),
      updatedAt: nowIso(),
    };
    const resource = toWebhookResource({ ...current, ...changes });
    await this.db.transaction().execute(async (trx) => {
      await webhooks.update(trx, ctx.tenantId, current.id, changes);
      await recordFor(trx, ctx, [{ type: 'webhook.updated', resourceType: 'webhook', resourceId: current.id, data: resource }]);
    });
    return resource;
  }

  /** @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND */
  async deleteWebhook(ctx: TenantContext, id: string): Promise<void> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const current = await this.find(ctx.tenantId, id);
    await this.db.transaction().execute(async (trx) => {
      await webhooks.remove(trx, ctx.tenantId, current.id);
      await recordFor(trx, ctx, [
        { type: 'webhook.deleted', resourceType: 'webhook', resourceId: current.id, data: toWebhookResource(current) },
      ]);
    });
  }

  /** The delivery log, newest first, with every attempt. @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND */
  async listDeliveries(ctx: TenantContext, id: string, limit: number): Promise<Delivery[]> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const webhook = await this.find(ctx.tenantId, id);
    const rows = await webhooks.listDeliveries(this.db, ctx.tenantId, webhook.id, limit);
    const attempts = await webhooks.attemptsOf(
      this.db,
      ctx.tenantId,
      rows.map((r) => r.id),
    );
    return rows.map((row) =>
      toDelivery(
        row,
        attempts.filter((a) => a.deliveryId === row.id),
      ),
    );
  }

  /** Queues a delivery again now, whatever its state. @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND; DELIVERY_NOT_FOUND */
  async redeliver(ctx: TenantContext, webhookId: string, deliveryId: string): Promise<void> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const webhook = await this.find(ctx.tenantId, webhookId);
    const delivery = isUuid(deliveryId) ? await webhooks.findDelivery(this.db, ctx.tenantId, deliveryId.toLowerCase()) : undefined;
    if (!delivery || delivery.webhookId !== webhook.id) throw new AppError('DELIVERY_NOT_FOUND', { details: { id: deliveryId } });
    await webhooks.updateDeliveries(this.db, ctx.tenantId, [delivery.id], {
      status: 'pending',
      nextAttemptAt: nowIso(),
      lockedUntil: null,
      updatedAt: nowIso(),
    });
    this.onQueued();
  }

  /** Sends a `webhook.ping` event to this endpoint only. @throws PERMISSION_DENIED; WEBHOOK_NOT_FOUND */
  async ping(ctx: TenantContext, id: string): Promise<{ eventId: string; deliveryId: string }> {
    requirePermission(ctx.principal, 'webhooks:manage');
    const webhook = await this.find(ctx.tenantId, id);
    const result = await this.db.transaction().execute(async (trx) => {
      const ping = { type: 'webhook.ping' as const, resourceType: 'webhook', resourceId: webhook.id, data: toWebhookResource(webhook) };
      const [eventId] = await recordEvents(trx, ctx.tenantId, actorOf(ctx.principal, ctx.requestId), [ping], { fanOut: false });
      const [recorded] = await findEventsByIds(trx, ctx.tenantId, [eventId as string]);
      const delivery = pendingDelivery(ctx.tenantId, webhook.id, recorded as DeliveredEvent, nowIso());
      await webhooks.insertDeliveries(trx, [delivery]);
      return { eventId: eventId as string, deliveryId: delivery.id };
    });
    this.onQueued();
    return result;
  }

  private async find(tenantId: string, id: string): Promise<WebhookRow> {
    const row = isUuid(id) ? await webhooks.findById(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!row) throw new AppError('WEBHOOK_NOT_FOUND', { details: { id } });
    return row;
  }
}

function toDelivery(
  row: DeliveryRow,
  attempts: Array<{ attempt: number; startedAt: string | Date; statusCode: number | null; latencyMs: number; error: string | null }>,
): Delivery {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    sequence: row.sequence,
    status: row.status,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: toIso(a.startedAt),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
    })),
    nextAttemptAt: row.status === 'pending' && row.nextAttemptAt !== null ? toIso(row.nextAttemptAt) : null,
    deliveredAt: row.deliveredAt === null ? null : toIso(row.deliveredAt),
    createdAt: toIso(row.createdAt),
  };
}
