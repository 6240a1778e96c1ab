import type { Timestamp } from '../../db/column-types.js';

/** One POST made with an Idempotency-Key, and once it is done, its response for replays. */
export interface IdempotencyKeyTable {
  tenantId: string;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  requestHash: string;
  state: 'running' | 'done';
  statusCode: number | null;
  responseBody: string | null;
  contentType: string | null;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}
