import type { FastifyBaseLogger } from 'fastify';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../db/database.js';
import { nowIso } from '../lib/time.js';
import { BackgroundWorker } from './background-worker.js';

const MAX_ATTEMPTS = 8;
const BATCH = 20;

/**
 * Sends the mail outbox through SMTP_URL. Without it, pending mail is marked `stored` and stays
 * readable through GET /v1/mail, so nothing is ever silently dropped.
 */
export class MailWorker extends BackgroundWorker {
  readonly #transport: Transporter | undefined;

  constructor(
    private readonly db: Db,
    smtpUrl: string | undefined,
    log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
    pollMs = 1000,
  ) {
    super(log, pollMs, 'mail worker');
    this.#transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.#transport?.close();
  }

  protected async drain(): Promise<void> {
    for (;;) {
      const pending = await this.db.selectFrom('mailMessages').selectAll().where('status', '=', 'pending').orderBy('createdAt').limit(BATCH).execute();
      if (pending.length === 0) return;
      for (const message of pending) {
        if (!this.#transport) {
          await this.db.updateTable('mailMessages').set({ status: 'stored' }).where('tenantId', '=', message.tenantId).where('id', '=', message.id).execute();
          continue;
        }
        try {
          await this.#transport.sendMail({ from: message.fromAddress, to: message.toAddress, subject: message.subject, text: message.textBody });
          await this.db.updateTable('mailMessages').set({ status: 'sent', sentAt: nowIso(), attempts: message.attempts + 1 }).where('tenantId', '=', message.tenantId).where('id', '=', message.id).execute();
        } catch (error) {
          const attempts = message.attempts + 1;
          await this.db
            .updateTable('mailMessages')
            .set({ attempts, lastError: error instanceof Error ? error.message : String(error), status: attempts >= MAX_ATTEMPTS ? 'failed' : 'pending' })
            .where('tenantId', '=', message.tenantId)
            .where('id', '=', message.id)
            .execute();
          return; // the server is likely down: try again on the next tick
        }
      }
    }
  }
}
