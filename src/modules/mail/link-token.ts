import type { Executor } from '../../db/database.js';
import { randomBase62, sha256Hex } from '../../lib/secrets.js';
import { nowIso, toIso } from '../../lib/time.js';
import type { TokenPurpose } from './mail.table.js';

/**
 * The token of a mailed link exists in clear only on its way to the SMTP server. When a mail is queued,
 * its link carries this placeholder and a reservation row (purpose, user, expiry) is stored under a
 * hash no token can have; the mail worker draws the real token at send time, puts it in the mail it
 * hands to SMTP, and stores only its SHA-256. So the outbox (GET /v1/mail, the database) never holds
 * a live link, with or without SMTP_URL.
 */
export const LINK_TOKEN_PLACEHOLDER = '[redacted]';
const PLACEHOLDER_PARAM = `token=${LINK_TOKEN_PLACEHOLDER}`;

/** Not a SHA-256 hex digest, so no presented token can ever match a reservation. */
const reservationHash = (messageId: string) => `unsent:${messageId}`;

/** The link query as queued: `…&token=[redacted]`. */
export const placeholderParam = (): string => PLACEHOLDER_PARAM;

/** Reserves the token of the link in message `messageId`, in the transaction that queues it. */
export async function reserveLinkToken(
  trx: Executor,
  row: { tenantId: string; messageId: string; userId: string; purpose: TokenPurpose; expiresAt: string },
): Promise<void> {
  await trx
    .insertInto('userTokens')
    .values({
      tenantId: row.tenantId,
      tokenHash: reservationHash(row.messageId),
      userId: row.userId,
      purpose: row.purpose,
      expiresAt: row.expiresAt,
      usedAt: null,
      createdAt: nowIso(),
    })
    .execute();
}

export const hasLinkPlaceholder = (text: string): boolean => text.includes(PLACEHOLDER_PARAM);

/** The text with its placeholder links made live. */
export const fillLinks = (text: string, token: string): string => text.split(PLACEHOLDER_PARAM).join(`token=${token}`);

/**
 * Any `token=…` value in a text replaced by the placeholder: what the outbox shows, also for mail
 * queued before links were drawn at send time.
 */
export const redactLinks = (text: string): string => text.replace(/token=[^\s&#"'<>]+/gi, PLACEHOLDER_PARAM);

/**
 * Draws a live token for message `messageId` from its reservation, if the reservation is still
 * unused, unexpired and not revoked. @returns the token, or undefined when there is nothing to draw.
 */
export async function drawLinkToken(db: Executor, tenantId: string, messageId: string): Promise<string | undefined> {
  const reserved = await db
    .selectFrom('userTokens')
    .select(['userId', 'purpose', 'expiresAt'])
    .where('tenantId', '=', tenantId)
    .where('tokenHash', '=', reservationHash(messageId))
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', nowIso())
    .executeTakeFirst();
  if (!reserved) return undefined;
  const token = randomBase62(40);
  await db
    .insertInto('userTokens')
    .values({
      tenantId,
      tokenHash: sha256Hex(token),
      userId: reserved.userId,
      purpose: reserved.purpose,
      expiresAt: toIso(reserved.expiresAt),
      usedAt: null,
      createdAt: nowIso(),
    })
    .execute();
  return token;
}

/** After the mail with the drawn token went out: the reservation is spent. */
export async function settleLinkToken(db: Executor, tenantId: string, messageId: string): Promise<void> {
  await db.deleteFrom('userTokens').where('tenantId', '=', tenantId).where('tokenHash', '=', reservationHash(messageId)).execute();
}

/** After a failed send: the drawn token was seen by nobody and goes; the next attempt draws another. */
export async function discardLinkToken(db: Executor, tenantId: string, token: string): Promise<void> {
  await db.deleteFrom('userTokens').where('tenantId', '=', tenantId).where('tokenHash', '=', sha256Hex(token)).execute();
}
