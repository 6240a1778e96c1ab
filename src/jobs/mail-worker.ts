import type { FastifyBaseLogger } from 'fastify';
import type { Transporter } from 'nodemailer';
import type { Db } from '../db/database.js';
import { nowIso } from '../lib/time.js';
import { discardLinkToken, drawLinkToken, fillLinks, hasLinkPlaceholder, settleLinkToken } from '../modules/mail/link-token.js';
import { MailSenderPolicy } from '../modules/mail/mail-sender.js';
import type { MailMessageTable } from '../modules/mail/mail.table.js';
import type { Selectable } from 'kysely';
import { BackgroundWorker } from './background-worker.js';

const MAX_ATTEMPTS = 8;
const BATCH = 20;

/**
 * Sends the mail outbox through SMTP_URL. Without it, pending mail is marked `stored` and stays
 * readable through GET /v1/mail, so nothing is ever silently dropped; its links stay placeholders
 * (no token is ever drawn for mail that is not sent). With it, the live token of a link is drawn
 * just before the mail goes out (link-token.ts), and a tenant's `mail.from` that the operator no
 * longer allows is replaced by the operator's address under the tenant's display name.
 */
export class MailWorker extends BackgroundWorker {
  readonly #smtpUrl: string | undefined;
  // Loaded with the first mail to send: nodemailer is ~300 KiB of code an idle server without mail never runs.
  #transport: Promise<Transporter> | undefined;

  constructor(
    private readonly db: Db,
    smtpUrl: string | undefined,
    log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
    pollMs = 1000,
    private readonly senders = new MailSenderPolicy(),
  ) {
    super(log, pollMs, 'mail worker');
    this.#smtpUrl = smtpUrl || undefined;
  }

  override async stop(): Promise<void> {
    await super.stop();
    (await this.#transport)?.close();
  }

  #smtp(url: string): Promise<Transporter> {
    this.#transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(url));
    return this.#transport;
  }

  protected async drain(): Promise<void> {
    for (;;) {
      const pending = await this.db
        .selectFrom('mailMessages')
        .selectAll()
        .where('status', '=', 'pending')
        .orderBy('createdAt')
        .limit(BATCH)
        .execute();
      if (pending.length === 0) return;
      for (const message of pending) {
        if (this.#smtpUrl === undefined) {
          await this.db
            .updateTable('mailMessages')
            .set({ status: 'stored' })
            .where('tenantId', '=', message.tenantId)
            .where('id', '=', message.id)
            .execute();
          continue;
        }
        if (!(await this.send(await this.#smtp(this.#smtpUrl), message))) return; // the server is likely down: try again on the next tick
      }
    }
  }

  /** Sends one message, drawing its link token if it has one. @returns false when the SMTP server failed. */
  private async send(transport: Transporter, message: Selectable<MailMessageTable>): Promise<boolean> {
    const { tenantId, id } = message;
    const needsToken = hasLinkPlaceholder(message.subject) || hasLinkPlaceholder(message.textBody);
    const token = needsToken ? await drawLinkToken(this.db, tenantId, id) : undefined;
    if (needsToken && token === undefined) {
      // Expired or revoked (the address changed, the user was deleted) before it could be sent: a dead link helps nobody.
      await this.db
        .updateTable('mailMessages')
        .set({ status: 'failed', lastError: 'The link expired or was revoked before the mail was sent' })
        .where('tenantId', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return true;
    }
    const fill = (text: string) => (token === undefined ? text : fillLinks(text, token));
    const from = this.senders.senderFor(message.fromAddress);
    try {
      await transport.sendMail({ from, to: message.toAddress, subject: fill(message.subject), text: fill(message.textBody) });
    } catch (error) {
      if (token !== undefined) await discardLinkToken(this.db, tenantId, token);
      const attempts = message.attempts + 1;
      await this.db
        .updateTable('mailMessages')
        .set({
          attempts,
          lastError: error instanceof Error ? error.message : String(error),
          status: attempts >= MAX_ATTEMPTS ? 'failed' : 'pending',
        })
        .where('tenantId', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return false;
    }
    if (token !== undefined) await settleLinkToken(this.db, tenantId, id);
    const fromAddress = from.name === '' ? from.address : `${from.name} <${from.address}>`;
    await this.db
      .updateTable('mailMessages')
      .set({ status: 'sent', sentAt: nowIso(), attempts: message.attempts + 1, fromAddress })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .execute();
    return true;
  }
}
