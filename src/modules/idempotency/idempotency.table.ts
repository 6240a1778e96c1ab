import type { Timestamp } from '../../db/column-types.js';

/** One POST made with an Idempotency-Key, and once it is done, its response for replays. */
export interface IdempotencyKeyTable {
  tenantId: string;
  /** `<actor> <Idempotency-Key>` (actor as in created_by: `api_key:<id>`, `user:<id>`…): each credential has its own keys. */
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  requestHash: string;
  state: 'running' | 'done';
  statusCode: number | null;
  responseBody: string | null;
  contentType: string | null;
  /** JSON array: the permissions the credential held when it made the request; a replay needs them all still. */
  permissions: string | null;
  /** Comma-separated one-time secrets (`generatedPassword`) left out of `responseBody`: never stored in clear. */
  omittedFields: string | null;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}
