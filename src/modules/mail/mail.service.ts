import type { Db, Executor } from '../../db/database.js';
import { AppError, throwIfFieldErrors } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { randomBase62, sha256Hex } from '../../lib/secrets.js';
import { nowIso, toIso } from '../../lib/time.js';
import { checkPassword } from '../../rules/password.js';
import { requirePermission, type TenantContext } from '../context.js';
import { recordEvents } from '../events/event.service.js';
import type { TenantSettings } from '../settings/settings.schemas.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { MailKind } from './mail.templates.js';
import { renderMail } from './mail.templates.js';
import type { MailMessageTable, TokenPurpose } from './mail.table.js';
import type { Insertable } from 'kysely';

/** A user just created who asked for mail, as the create path knows it. */
export interface MailRecipient {
  userId: string;
  email: string | null;
  name: string;
  login: string;
  locale: string;
  hasPassword: boolean;
  welcome: boolean;
  verify: boolean;
}

async function issueToken(trx: Executor, tenantId: string, userId: string, purpose: TokenPurpose, expiresAt: string): Promise<string> {
  const token = randomBase62(40);
  await trx.insertInto('userTokens').values({ tenantId, tokenHash: sha256Hex(token), userId, purpose, expiresAt, usedAt: null, createdAt: nowIso() }).execute();
  return token;
}

/**
 * Writes welcome and verification mails (and their single-use tokens) in the transaction that
 * creates the users, so a created user's mail is never lost and a rolled-back user gets none.
 */
export async function queueUserMail(trx: Executor, ctx: TenantContext, settings: TenantSettings & { tenantName: string; tenantSlug: string }, publicUrl: string, recipients: MailRecipient[]): Promise<void> {
  const expiresAt = new Date(Date.now() + settings.mail.tokenTtlHours * 3_600_000).toISOString();
  const messages: Array<Insertable<MailMessageTable>> = [];
  for (const r of recipients) {
    if (!r.email) continue;
    const base = { name: r.name, tenant: settings.tenantName, login: r.login, expires: expiresAt.replace('T', ' ').slice(0, 16) + ' UTC' };
    const queue = (kind: MailKind, link?: string) => {
      const { subject, text } = renderMail(settings, r.locale, kind, { ...base, ...(link ? { link } : {}) });
      messages.push({ tenantId: ctx.tenantId, id: newId(), userId: r.userId, kind, fromAddress: settings.mail.from, toAddress: r.email as string, subject, textBody: text, status: 'pending' as const, attempts: 0, lastError: null, createdAt: nowIso(), sentAt: null });
    };
    if (r.welcome) {
      if (r.hasPassword) queue('welcome');
      else queue('welcome_set_password', `${publicUrl}/set-password?tenant=${encodeURIComponent(settings.tenantSlug)}&token=${await issueToken(trx, ctx.tenantId, r.userId, 'set_password', expiresAt)}`);
    }
    if (r.verify) queue('verify_email', `${publicUrl}/verify-email?tenant=${encodeURIComponent(settings.tenantSlug)}&token=${await issueToken(trx, ctx.tenantId, r.userId, 'verify_email', expiresAt)}`);
  }
  if (messages.length > 0) await trx.insertInto('mailMessages').values(messages).execute();
}

/** Consumes the tokens of mailed links, and shows the mail outbox. */
export class MailService {
  constructor(
    private readonly db: Db,
    private readonly tenants: TenantService,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Marks a token used, once. @throws TOKEN_INVALID (unknown, used, expired or for another purpose). */
  private async consume(trx: Executor, tenantId: string, token: string, purpose: TokenPurpose): Promise<string> {
    const now = nowIso();
    const row = await trx
      .updateTable('userTokens')
      .set({ usedAt: now })
      .where('tenantId', '=', tenantId)
      .where('tokenHash', '=', sha256Hex(token))
      .where('purpose', '=', purpose)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .returning('userId')
      .executeTakeFirst();
    if (!row) throw new AppError('TOKEN_INVALID');
    return row.userId;
  }

  /** `POST /v1/email-verifications/:token`. @throws TENANT_NOT_FOUND; TOKEN_INVALID */
  async verifyEmail(tenantRef: string, token: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef);
    await this.db.transaction().execute(async (trx) => {
      const userId = await this.consume(trx, tenant.id, token, 'verify_email');
      await trx.updateTable('users').set({ emailVerified: true, updatedAt: nowIso(), version: (eb) => eb('version', '+', 1) }).where('tenantId', '=', tenant.id).where('id', '=', userId).execute();
      await recordEvents(trx, tenant.id, { type: 'user', id: userId, requestId: null }, [{ type: 'user.updated', resourceType: 'user', resourceId: userId, data: { id: userId, emailVerified: true } }]);
    });
  }

  /** `POST /v1/password-setups/:token`: the password meets the tenant policy like any other. @throws TENANT_NOT_FOUND; TOKEN_INVALID; VALIDATION_FAILED */
  async setPassword(tenantRef: string, token: string, password: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef);
    const preview = await this.db.selectFrom('userTokens').innerJoin('users', (j) => j.onRef('users.tenantId', '=', 'userTokens.tenantId').onRef('users.id', '=', 'userTokens.userId'))
      .select(['users.username', 'users.email']).where('userTokens.tenantId', '=', tenant.id).where('userTokens.tokenHash', '=', sha256Hex(token)).executeTakeFirst();
    if (!preview) throw new AppError('TOKEN_INVALID');
    throwIfFieldErrors(checkPassword(password, tenant.settings.password, { username: preview.username, email: preview.email }));
    const passwordHash = await this.hasher.hash(password, { tenantId: tenant.id });
    await this.db.transaction().execute(async (trx) => {
      const userId = await this.consume(trx, tenant.id, token, 'set_password');
      await trx.updateTable('users').set({ passwordHash, requirePasswordChange: false, updatedAt: nowIso(), version: (eb) => eb('version', '+', 1) }).where('tenantId', '=', tenant.id).where('id', '=', userId).execute();
      await recordEvents(trx, tenant.id, { type: 'user', id: userId, requestId: null }, [{ type: 'user.password_changed', resourceType: 'user', resourceId: userId, data: { id: userId } }]);
    });
  }

  /** The tenant's mail, newest first (development without SMTP; also shows what was sent). @throws PERMISSION_DENIED */
  async listMail(ctx: TenantContext, limit: number) {
    requirePermission(ctx.principal, 'settings:manage');
    const rows = await this.db.selectFrom('mailMessages').selectAll().where('tenantId', '=', ctx.tenantId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id, userId: r.userId, kind: r.kind, from: r.fromAddress, to: r.toAddress, subject: r.subject, text: r.textBody, status: r.status,
      createdAt: toIso(r.createdAt), sentAt: r.sentAt === null ? null : toIso(r.sentAt),
    }));
  }
}
