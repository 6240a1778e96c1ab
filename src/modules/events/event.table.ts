import type { Bool, Json, Timestamp } from '../../db/column-types.js';

/** The event log: audit trail and webhook outbox in one. Written in the transaction of the change. */
export interface EventTable {
  tenantId: string;
  id: string;
  type: string;
  occurredAt: Timestamp;
  actorType: string;
  actorId: string | null;
  requestId: string | null;
  resourceType: string;
  resourceId: string;
  /** The resource as the API returns it (never a password or hash). */
  data: Json;
  /** Not yet turned into webhook deliveries (the webhook worker does that after the commit). */
  pendingFanout: Bool;
  /** 1, 2, 3 … per tenant and resource, in commit order (see resourceSequences); sent to webhooks so receivers can drop stale events. */
  sequence: number;
}

/** The last sequence number given to an event of each resource. */
export interface ResourceSequenceTable {
  tenantId: string;
  resourceType: string;
  resourceId: string;
  lastSequence: number;
}
