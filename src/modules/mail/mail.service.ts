import type { Db, Executor } from '../../db/database.js';
import { AppError, throwIfFieldErrors } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { sha256Hex } from '../../lib/secrets.js';
import { nowIso, toIso } from '../../lib/time.js';
import { checkPassword } from '../../rules/password.js';
import { requirePermission, systemPrincipal, type TenantContext } from '../context.js';
import { readBool } from '../../db/column-types.js';
import { isUuid } from '../../lib/ids.js';
import { foldLogin } from '../../rules/login.js';
import { assertCallerCoversUsers } from '../roles/privilege-guard.js';
import { findById, findByIdentifier } from '../users/user.repository.js';
import type { UserRow } from '../users/user.table.js';
import { recordEvents } from '../events/event.service.js';
import { deleteAllForUser } from '../sessions/session.repository.js';
import { deleteUnusedTokens } from './user-token.repository.js';
import { placeholderParam, redactLinks, reserveLinkToken } from './link-token.js';
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
  /** A password-reset link (forgot password, or an admin's "send reset mail"). */
  reset?: boolean;
}

/** How a mail addresses a user: the name it greets and the login it reminds of. */
export function addressee(user: {
  email: string | null;
  username: string | null;
  displayName: string | null;
  givenName: string | null;
  locale: string;
}) {
  return {
    email: user.email,
    name: user.displayName ?? user.givenName ?? user.username ?? user.email ?? '',
    login: user.username ?? user.email ?? '',
    locale: user.locale,
  };
}

/** At most one reset mail per user in this window: a public endpoint must not become a mail cannon. */
const RESET_MAIL_INTERVAL_MS = 60_000;

/**
 * Writes welcome and verification mails in the transaction that creates the users, so a created
 * user's mail is never lost and a rolled-back user gets none. Links are queued with their token
 * reserved, not drawn (link-token.ts): the stored mail holds no live link.
 */
export async function queueUserMail(
  trx: Executor,
  ctx: TenantContext,
  settings: TenantSettings & { tenantName: string; tenantSlug: string },
  publicUrl: string,
  recipients: MailRecipient[],
): Promise<void> {
  const expiresAt = new Date(Date.now() + settings.mail.tokenTtlHours * 3_600_000).toISOString();
  const messages: Array<Insertable<MailMessageTable>> = [];
  const reservations: Array<Parameters<typeof reserveLinkToken>[1]> = [];
  for (const r of recipients) {
    if (!r.email) continue;
    const base = { name: r.name, tenant: settings.tenantName, login: r.login, expires: expiresAt.replace('T', ' ').slice(0, 16) + ' UTC' };
    const queue = (kind: MailKind, link?: { page: string; purpose: TokenPurpose }) => {
      const id = newId();
      const url = link && `${publicUrl}/${link.page}?tenant=${encodeURIComponent(settings.tenantSlug)}&${placeholderParam()}`;
      const { subject, text } = renderMail(settings, r.locale, kind, { ...base, ...(url ? { link: url } : {}) });
      if (link) reservations.push({ tenantId: ctx.tenantId, messageId: id, userId: r.userId, purpose: link.purpose, expiresAt });
      messages.push({
        tenantId: ctx.tenantId,
        id,
        userId: r.userId,
        kind,
        fromAddress: settings.mail.from,
        toAddress: r.email as string,
        subject,
        textBody: text,
        status: 'pending' as const,
        attempts: 0,
        lastError: null,
        createdAt: nowIso(),
        sentAt: null,
      });
    };
    if (r.welcome) {
      if (r.hasPassword) queue('welcome');
      else queue('welcome_set_password', { page: 'set-password', purpose: 'set_password' });
    }
    if (r.verify) queue('verify_email', { page: 'verify-email', purpose: 'verify_email' });
    if (r.reset) queue('password_reset', { page: 'set-password', purpose: 'set_password' });
  }
  for (const reservation of reservations) await reserveLinkToken(trx, reservation);
  if (messages.length > 0) await trx.insertInto('mailMessages').values(messages).execute();
}

/** Consumes the tokens of mailed links, and shows the mail outbox. */
export class MailService {
  constructor(
    private readonly db: Db,
    private readonly tenants: TenantService,
    private readonly hasher: PasswordHasher,
    private readonly links: { publicUrl: string; onMailQueued?: () => void } = { publicUrl: '' },
  ) {}

  /**
   * Forgot password (`POST /v1/password-resets`): mails a set-password link when the login names a live,
   * active user with an email, and does nothing otherwise. The caller learns nothing either way: the
   * route answers 202 at once and this runs after, so the answer and its timing are the same.
   */
  async requestPasswordReset(tenantRef: string, login: string): Promise<void> {
    // One request at a time per process: the per-user throttle below is a check, then a write, and a
    // burst of requests must not all pass the check together. It is background work; order is enough.
    const turn = this.#resets.then(() => this.resetOnce(tenantRef, login));
    this.#resets = turn.catch(() => undefined);
    return turn;
  }

  #resets: Promise<void> = Promise.resolve();

  private async resetOnce(tenantRef: string, login: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef).catch(() => undefined);
    if (!tenant) return;
    const user = await findByIdentifier(this.db, tenant.id, foldLogin(login));
    if (!user || !readBool(user.active)) return;
    await this.queueReset(tenant.id, { tenantId: tenant.id, principal: systemPrincipal, requestId: 'password-reset' }, user);
  }

  /**
   * An admin's "send a password-reset mail" (`POST /v1/users/:id/password-reset`): the user's
   * credentials are about to change, so the privilege guard applies as for setting the password.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND; VALIDATION_FAILED (the user has no email)
   */
  async sendPasswordReset(ctx: TenantContext, userId: string): Promise<void> {
    requirePermission(ctx.principal, 'users:update');
    const user = isUuid(userId) ? await findById(this.db, ctx.tenantId, userId.toLowerCase()) : undefined;
    if (!user) throw new AppError('USER_NOT_FOUND', { details: { id: userId } });
    await assertCallerCoversUsers(this.db, ctx.principal, ctx.tenantId, [user.id], 'Sending a password-reset mail to this user');
    if (!user.email)
      throw new AppError('VALIDATION_FAILED', {
        errors: [{ path: '/email', code: 'FIELD_REQUIRED', message: 'The user has no email address to send the link to' }],
      });
    await this.queueReset(ctx.tenantId, ctx, user, { throttle: false });
  }

  /**
   * An admin's "send a verification mail" (`POST /v1/users/:id/email-verification`): mails the user a
   * single-use link that confirms the address. Earlier unused verification links of the user are voided,
   * so only the newest link works. No privilege guard: the link goes to the user's own address and
   * only proves it; nothing about the user's credentials changes.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND; VALIDATION_FAILED (no email, or already verified)
   */
  async sendVerification(ctx: TenantContext, userId: string): Promise<void> {
    requirePermission(ctx.principal, 'users:update');
    const user = isUuid(userId) ? await findById(this.db, ctx.tenantId, userId.toLowerCase()) : undefined;
    if (!user) throw new AppError('USER_NOT_FOUND', { details: { id: userId } });
    if (!user.email)
      throw new AppError('VALIDATION_FAILED', {
        errors: [{ path: '/email', code: 'FIELD_REQUIRED', message: 'The user has no email address to verify' }],
      });
    if (readBool(user.emailVerified))
      throw new AppError('VALIDATION_FAILED', {
        errors: [{ path: '/emailVerified', code: 'FIELD_INVALID', message: 'The email address is already verified' }],
      });
    const tenant = await this.tenants.getTenant(ctx.tenantId);
    await this.db.transaction().execute(async (trx) => {
      await deleteUnusedTokens(trx, ctx.tenantId, user.id, 'verify_email');
      await queueUserMail(trx, ctx, { ...tenant.settings, tenantName: tenant.name, tenantSlug: tenant.slug }, this.links.publicUrl, [
        { userId: user.id, ...addressee(user), hasPassword: user.passwordHash !== null, welcome: false, verify: true },
      ]);
    });
    this.links.onMailQueued?.();
  }

  private async queueReset(tenantId: string, ctx: TenantContext, user: UserRow, options: { throttle?: boolean } = {}): Promise<void> {
    if (!user.email) return;
    const tenant = await this.tenants.getTenant(tenantId);
    await this.db.transaction().execute(async (trx) => {
      if (options.throttle !== false) {
        const since = new Date(Date.now() - RESET_MAIL_INTERVAL_MS).toISOString();
        const recent = await trx
          .selectFrom('mailMessages')
          .select('id')
          .where('tenantId', '=', tenantId)
          .where('userId', '=', user.id)
          .where('kind', '=', 'password_reset')
          .where('createdAt', '>', since)
          .executeTakeFirst();
        if (recent) return;
      }
      await queueUserMail(trx, ctx, { ...tenant.settings, tenantName: tenant.name, tenantSlug: tenant.slug }, this.links.publicUrl, [
        {
          userId: user.id,
          ...addressee(user),
          hasPassword: user.passwordHash !== null,
          welcome: false,
          verify: false,
          reset: true,
        },
      ]);
    });
    this.links.onMailQueued?.();
  }

  /**
   * The user a token may act for now: the token exists, has this purpose, is unused and unexpired,
   * and its user is not deleted. One indexed read whatever is wrong with it, so unknown, used,
   * expired, malformed and other-purpose tokens answer alike and alike fast.
   * @throws TOKEN_INVALID
   */
  private async liveToken(db: Executor, tenantId: string, token: string, purpose: TokenPurpose) {
    const row = await db
      .selectFrom('userTokens')
      .innerJoin('users', (j) => j.onRef('users.tenantId', '=', 'userTokens.tenantId').onRef('users.id', '=', 'userTokens.userId'))
      .select(['users.id', 'users.username', 'users.email'])
      .where('userTokens.tenantId', '=', tenantId)
      .where('userTokens.tokenHash', '=', sha256Hex(token))
      .where('userTokens.purpose', '=', purpose)
      .where('userTokens.usedAt', 'is', null)
      .where('userTokens.expiresAt', '>', nowIso())
      .where('users.deletedAt', 'is', null)
      .executeTakeFirst();
    if (!row) throw new AppError('TOKEN_INVALID');
    return row;
  }

  /** Marks a live token used, once (two concurrent uses: one wins). @throws TOKEN_INVALID */
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

  /** Whether a set-password token is live, for a form that must say so before anything else. @throws TENANT_NOT_FOUND; TOKEN_INVALID */
  async checkPasswordToken(tenantRef: string, token: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef);
    await this.liveToken(this.db, tenant.id, token, 'set_password');
  }

  /** `POST /v1/email-verifications/:token`. @throws TENANT_NOT_FOUND; TOKEN_INVALID */
  async verifyEmail(tenantRef: string, token: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef);
    await this.db.transaction().execute(async (trx) => {
      await this.liveToken(trx, tenant.id, token, 'verify_email');
      const userId = await this.consume(trx, tenant.id, token, 'verify_email');
      await trx
        .updateTable('users')
        .set({ emailVerified: true, updatedAt: nowIso(), version: (eb) => eb('version', '+', 1) })
        .where('tenantId', '=', tenant.id)
        .where('id', '=', userId)
        .execute();
      await recordEvents(trx, tenant.id, { type: 'user', id: userId, requestId: null }, [
        { type: 'user.updated', resourceType: 'user', resourceId: userId, data: { id: userId, emailVerified: true } },
      ]);
    });
  }

  /**
   * `POST /v1/password-setups/:token`: the token is checked first (a bad token answers TOKEN_INVALID
   * whatever the password), then the password meets the tenant policy like any other. Setting it
   * ends the user's login sessions and personal tokens: whoever held them before the reset is out.
   * @throws TENANT_NOT_FOUND; TOKEN_INVALID; VALIDATION_FAILED
   */
  async setPassword(tenantRef: string, token: string, password: string): Promise<void> {
    const tenant = await this.tenants.getTenant(tenantRef);
    const owner = await this.liveToken(this.db, tenant.id, token, 'set_password');
    throwIfFieldErrors(checkPassword(password, tenant.settings.password, { username: owner.username, email: owner.email }));
    const passwordHash = await this.hasher.hash(password, { tenantId: tenant.id });
    await this.db.transaction().execute(async (trx) => {
      const userId = await this.consume(trx, tenant.id, token, 'set_password');
      await trx
        .updateTable('users')
        .set({ passwordHash, requirePasswordChange: false, updatedAt: nowIso(), version: (eb) => eb('version', '+', 1) })
        .where('tenantId', '=', tenant.id)
        .where('id', '=', userId)
        .execute();
      await deleteAllForUser(trx, tenant.id, userId);
      await recordEvents(trx, tenant.id, { type: 'user', id: userId, requestId: null }, [
        { type: 'user.password_changed', resourceType: 'user', resourceId: userId, data: { id: userId } },
      ]);
    });
  }

  /**
   * The tenant's mail, newest first: what was sent or stored, never a live link (queued links hold a
   * placeholder; links of mail queued before that are redacted here). @throws PERMISSION_DENIED
   */
  async listMail(ctx: TenantContext, limit: number) {
    requirePermission(ctx.principal, 'settings:manage');
    const rows = await this.db
      .selectFrom('mailMessages')
      .selectAll()
      .where('tenantId', '=', ctx.tenantId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      kind: r.kind,
      from: r.fromAddress,
      to: r.toAddress,
      subject: redactLinks(r.subject),
      text: redactLinks(r.textBody),
      status: r.status,
      createdAt: toIso(r.createdAt),
      sentAt: r.sentAt === null ? null : toIso(r.sentAt),
    }));
  }
}
