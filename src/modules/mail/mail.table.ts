import type { Timestamp } from '../../db/column-types.js';

export type TokenPurpose = 'verify_email' | 'set_password';

/** A single-use token sent by mail; only its SHA-256 is stored. */
export interface UserTokenTable {
  tenantId: string;
  tokenHash: string;
  userId: string;
  purpose: TokenPurpose;
  expiresAt: Timestamp;
  usedAt: Timestamp | null;
  createdAt: Timestamp;
}

/**
 * The mail outbox: written in the transaction that creates the user; sent by the mail worker when
 * SMTP_URL is set, kept as `stored` (readable through GET /v1/mail) when it is not.
 */
export interface MailMessageTable {
  tenantId: string;
  id: string;
  userId: string | null;
  kind: string;
  fromAddress: string;
  toAddress: string;
  subject: string;
  textBody: string;
  status: 'pending' | 'sent' | 'stored' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: Timestamp;
  sentAt: Timestamp | null;
}
