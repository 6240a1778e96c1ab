import type { Bool, Json, Timestamp } from '../../db/column-types.js';

export interface WebhookTable {
  tenantId: string;
  id: string;
  url: string;
  /** JSON array of event types; null for every event. */
  eventTypes: Json | null;
  /** `whsec_…`: needed in clear to sign, so it is kept as given and never returned after creation. */
  secret: string;
  description: string | null;
  active: Bool;
  disabledReason: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  tenantId: string;
  id: string;
  webhookId: string;
  eventId: string;
  /** Copied from the event at fan-out (null for deliveries older than migration 0016 whose event was purged). */
  eventType: string | null;
  resourceType: string | null;
  resourceId: string | null;
  /** The event's sequence: a delivery waits while one of a lower sequence for the same webhook and resource is pending. */
  sequence: number | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Timestamp | null;
  /** A worker holds the delivery until then; a crashed worker's claim simply runs out. */
  lockedUntil: Timestamp | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  deliveredAt: Timestamp | null;
}

export interface WebhookAttemptTable {
  tenantId: string;
  deliveryId: string;
  attempt: number;
  startedAt: Timestamp;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}
