import type { Timestamp } from '../../db/column-types.js';

/** A login session; only the SHA-256 of its token is stored. */
export interface SessionTable {
  tenantId: string;
  id: string;
  userId: string;
  tokenHash: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
  /** `login` (POST /v1/sessions) or `personal` (a personal access token issued by an admin). */
  kind: string;
  name: string | null;
}
