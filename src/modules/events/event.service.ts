import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError } from '../../errors/app-error.js';
import { readJson } from '../../db/column-types.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { listAttributeDefinitions, visibleAttributes } from '../attributes/attribute.service.js';
import type { AttributeRecord } from '../attributes/attribute.repository.js';
import { requirePermission, type Principal, type TenantContext } from '../context.js';
import type { NewEvent } from './event.catalog.js';
import * as events from './event.repository.js';
import { nextSequences } from './event.sequence.js';
import type { EventRow } from './event.repository.js';
import type { EventList, EventResource, ListEventsQuery } from './event.schemas.js';
import type { EventTable } from './event.table.js';
import type { Insertable } from 'kysely';

/** Who caused an event, as recorded on it. */
export interface Actor {
  type: string;
  id: string | null;
  requestId: string | null;
}

export function actorOf(principal: Principal, requestId: string | null): Actor {
  return { type: principal.kind, id: principal.kind === 'cli' ? null : principal.id, requestId };
}

export function toEventResource(row: EventRow): EventResource {
  return {
    id: row.id,
    type: row.type,
    tenantId: row.tenantId,
    occurredAt: toIso(row.occurredAt),
    actor: { type: row.actorType, id: row.actorId, requestId: row.requestId },
    resource: { type: row.resourceType, id: row.resourceId },
    sequence: row.sequence,
    data: readJson<unknown>(row.data),
  };
}

/**
 * An event as a reader sees it: a user's attributes whose definition has a readPermission the reader
 * lacks are left out of `data`, as `GET /v1/users/:id` leaves them out. Events are stored (and sent to
 * webhooks, see docs/webhooks.md) with every attribute; the definitions of now decide what is read.
 */
export function eventForReader(event: EventResource, definitions: AttributeRecord[], reader: Principal): EventResource {
  const data = event.data;
  if (event.resource.type !== 'user' || typeof data !== 'object' || data === null || Array.isArray(data)) return event;
  const attributes = (data as { attributes?: unknown }).attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) return event;
  return { ...event, data: { ...data, attributes: visibleAttributes(definitions, reader, attributes as Record<string, unknown>) } };
}

/**
 * Records events in the caller's transaction: if the change commits, so do its events; if it rolls
 * back, nothing is announced. Deliveries (one per subscribed webhook) are made from them by the
 * webhook worker after the commit (`pendingFanout`), so a write costs the same whatever the number of
 * webhooks. `fanOut: false` records an event no webhook
 * receives through fan-out (a ping queues its one delivery itself).
 * @returns the new events' ids, in order.
 */
export async function recordEvents(
  trx: Executor,
  tenantId: string,
  actor: Actor,
  list: NewEvent[],
  options: { fanOut?: boolean } = {},
): Promise<string[]> {
  if (list.length === 0) return [];
  // Numbered first: a second writer of the same resource waits here, and its ids (time-ordered) come after.
  const sequences = await nextSequences(trx, tenantId, list);
  const rows = eventRows(tenantId, actor, list, sequences, options);
  await events.insertMany(trx, rows);
  return rows.map((r) => r.id);
}

/** The columns of an event row, in the order written. */
export const EVENT_ROW_COLUMNS = [
  'tenantId',
  'id',
  'type',
  'occurredAt',
  'actorType',
  'actorId',
  'requestId',
  'resourceType',
  'resourceId',
  'data',
  'pendingFanout',
  'sequence',
] as const;

/** An event row as recorded (the audit log's and the webhook outbox's columns). */
export type NewEventRow = Insertable<EventTable> & { id: string; occurredAt: string; data: string; sequence: number };

/**
 * The rows recordEvents writes for `list`, numbered with `sequences` (one per event): the one place an
 * event row is built, for recordEvents and for writers that insert the rows themselves (user-insert.postgres.ts).
 */
export function eventRows(
  tenantId: string,
  actor: Actor,
  list: readonly NewEvent[],
  sequences: readonly number[],
  options: { fanOut?: boolean } = {},
): NewEventRow[] {
  const occurredAt = nowIso();
  return list.map((e, i) => ({
    tenantId,
    id: newId(),
    type: e.type,
    occurredAt,
    actorType: actor.type,
    actorId: actor.id,
    requestId: e.requestId ?? actor.requestId,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    data: JSON.stringify(e.data),
    pendingFanout: options.fanOut !== false,
    sequence: sequences[i] as number,
  }));
}

/**
 * The events of resources created in the caller's statement or transaction (ids nobody else can know
 * yet): what recordFor would write, numbered without reading the counters, since each such resource's
 * numbers start at 1. Returns the event rows and the `resource_sequences` rows to insert beside them
 * (each resource's last number); a writer racing on the same resource is impossible, and inserting the
 * counter row (no upsert) would fail loudly if one existed.
 */
export function eventsOfNewResources(
  ctx: TenantContext,
  list: readonly NewEvent[],
): { rows: NewEventRow[]; counters: Array<{ resourceType: string; resourceId: string; lastSequence: number }> } {
  const last = new Map<string, { resourceType: string; resourceId: string; lastSequence: number }>();
  const sequences = list.map((e) => {
    const key = `${e.resourceType}\u0000${e.resourceId}`;
    const counter = last.get(key);
    if (counter) return ++counter.lastSequence;
    last.set(key, { resourceType: e.resourceType, resourceId: e.resourceId, lastSequence: 1 });
    return 1;
  });
  return { rows: eventRows(ctx.tenantId, actorOf(ctx.principal, ctx.requestId), list, sequences), counters: [...last.values()] };
}

/** Shorthand for services: events of one context. */
export async function recordFor(trx: Executor, ctx: TenantContext, list: NewEvent[]): Promise<void> {
  await recordEvents(trx, ctx.tenantId, actorOf(ctx.principal, ctx.requestId), list);
}

export const findEventsByIds = events.findByIds;
export const claimPendingFanout = events.claimPendingFanout;

/** The audit log (`GET /v1/events`). */
export class EventService {
  constructor(private readonly db: Db) {}

  /** @throws PERMISSION_DENIED; VALIDATION_FAILED for a malformed cursor. */
  async listEvents(ctx: TenantContext, query: ListEventsQuery): Promise<EventList> {
    requirePermission(ctx.principal, 'events:read');
    if (query.cursor !== undefined && !isUuid(query.cursor))
      throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/cursor', 'FIELD_INVALID')] });
    const limit = query.limit ?? 50;
    const rows = await events.list(this.db, ctx.tenantId, {
      type: query.type,
      actorId: query.actorId,
      resourceId: query.resourceId,
      since: query.since,
      until: query.until,
      afterId: query.cursor?.toLowerCase(),
      newestFirst: query.order === 'desc',
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const definitions = await listAttributeDefinitions(this.db, ctx.tenantId);
    return {
      data: page.map((row) => eventForReader(toEventResource(row), definitions, ctx.principal)),
      nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Drops events older than the retention period. */
  async purgeOlderThan(days: number): Promise<void> {
    await events.deleteOlderThan(this.db, new Date(Date.now() - days * 86_400_000).toISOString());
  }
}
