import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, throwIfFieldErrors } from '../../errors/app-error.js';
import { checkPassword } from '../../rules/password.js';
import { recordEvents, recordFor } from '../events/event.service.js';
import { AttemptLimiter } from '../../lib/attempt-limiter.js';
import { newId } from '../../lib/ids.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { needsRehash, verifyStoredHash } from '../../lib/password-hashes.js';
import { randomBase62, sha256Hex } from '../../lib/secrets.js';
import { readBool } from '../../db/column-types.js';
import { emailLookupKey } from '../../rules/email.js';
import { foldLogin } from '../../rules/login.js';
import { usernameKey } from '../../rules/username.js';
import { platformPermissions } from '../roles/permissions.js';
import type { TenantService } from '../tenants/tenant.service.js';
import * as users from '../users/user.repository.js';
import type { UserService } from '../users/user.service.js';
import type { ChangeOwnPasswordInput, LoginInput, PersonalToken, Session } from './session.schemas.js';
import * as sessions from './session.repository.js';
import { nowIso } from '../../lib/time.js';
import { assertCallerCoversUsers, rolesByUser } from '../roles/role.service.js';
import { requirePermission, type Principal, type TenantContext } from '../context.js';
import { isUuid } from '../../lib/ids.js';

const WINDOW_MS = 15 * 60 * 1000;
/** The failed-login counter of an account that exists: keyed on the account, not on how its login was typed. */
const accountKeyOf = (tenantId: string, userId: string) => `${tenantId}:user:${userId}`;
/** Login sessions and personal access tokens share one form; only the stored kind tells them apart. */
export const SESSION_TOKEN_PREFIX = 'rss_';
/** Personal access tokens do not expire by themselves; they are revoked. */
const NEVER = '9999-12-31T00:00:00.000Z';

export interface SessionServiceDeps {
  db: Db;
  hasher: PasswordHasher;
  tenants: TenantService;
  users: UserService;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  ttlSeconds: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
}

/** Password login, so stored and imported passwords can be used. */
export class SessionService {
  readonly #perAccount: AttemptLimiter;
  readonly #perAddress: AttemptLimiter;
  #dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: SessionServiceDeps) {
    this.#perAccount = new AttemptLimiter(deps.maxFailuresPerAccount, WINDOW_MS);
    this.#perAddress = new AttemptLimiter(deps.maxFailuresPerAddress, WINDOW_MS);
  }

  /**
   * Checks a login and password in a tenant and opens a session. Unknown users and wrong passwords
   * answer alike and take alike long; imported hashes are upgraded to argon2id on success.
   * @throws TENANT_NOT_FOUND; TOO_MANY_ATTEMPTS; INVALID_CREDENTIALS; USER_INACTIVE.
   */
  async login(tenantRef: string, input: LoginInput, address: string): Promise<Session> {
    const tenant = await this.deps.tenants.getTenant(tenantRef);
    const login = input.login.trim();
    // One fold for every login look-up (rules/login.ts): invisible characters removed, as at create.
    const candidates = foldLogin(login);
    const row = await users.findByIdentifier(this.deps.db, tenant.id, candidates);
    // The account counter is the account's, however its login was spelled: spellings the lookup folds
    // together (case, ignorable characters, IDNA) cannot open new counters.
    const accountKey = row ? accountKeyOf(tenant.id, row.id) : `${tenant.id}:login:${emailLookupKey(login) ?? usernameKey(login)}`;
    const retryAfter = Math.max(this.#perAccount.retryAfterSeconds(accountKey), this.#perAddress.retryAfterSeconds(address));
    if (retryAfter > 0) throw new AppError('TOO_MANY_ATTEMPTS', { details: { retryAfter } });

    const stored = row?.passwordHash ?? (await this.dummyHash());
    // In the hasher's verification lane: ahead of every tenant's queued bulk hashes.
    const ok = (await this.deps.hasher.verifyWith(() => verifyStoredHash(stored, input.password))) && row?.passwordHash != null;
    if (!ok || !row) {
      this.#perAccount.recordFailure(accountKey);
      this.#perAddress.recordFailure(address);
      throw new AppError('INVALID_CREDENTIALS');
    }
    this.#perAccount.reset(accountKey);
    if (!readBool(row.active)) throw new AppError('USER_INACTIVE');
    if (needsRehash(stored, this.deps.argon2)) {
      await users.updatePasswordHash(this.deps.db, tenant.id, row.id, await this.deps.hasher.hash(input.password, { priority: true }));
    }
    return this.openSession(this.deps.db, tenant.id, row.id);
  }

  /** A new login session for a user, with the user as the session answer shows it. */
  private async openSession(db: Executor, tenantId: string, userId: string): Promise<Session> {
    const { token, expiresAt } = await this.insertSession(db, tenantId, userId);
    return this.sessionAnswer(tenantId, userId, token, expiresAt);
  }

  private async insertSession(db: Executor, tenantId: string, userId: string): Promise<{ token: string; expiresAt: string }> {
    const token = `${SESSION_TOKEN_PREFIX}${randomBase62(48)}`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.deps.ttlSeconds * 1000).toISOString();
    await sessions.insert(db, {
      tenantId,
      id: newId(),
      userId,
      tokenHash: sha256Hex(token),
      createdAt: now.toISOString(),
      expiresAt,
      kind: 'login',
      name: null,
    });
    return { token, expiresAt };
  }

  private async sessionAnswer(tenantId: string, userId: string, token: string, expiresAt: string): Promise<Session> {
    const self = { kind: 'cli' as const, id: 'login', tenantId, role: 'self', permissions: new Set<string>(platformPermissions) };
    const user = await this.deps.users.getUser({ tenantId, principal: self, requestId: 'login' }, userId);
    return { token, expiresAt, passwordChangeRequired: user.requirePasswordChange, user };
  }

  /**
   * `POST /v1/sessions/current/password`: the user of a login session changes its own password,
   * proving the current one (failures count toward the account's login limit). The change clears
   * `requirePasswordChange` and ends every login session and personal token of the user, this one
   * included; the answer is a new session.
   * @throws UNAUTHENTICATED; TOO_MANY_ATTEMPTS; VALIDATION_FAILED (PASSWORD_INCORRECT, PASSWORD_UNCHANGED, the tenant policy)
   */
  async changeOwnPassword(token: string, input: ChangeOwnPasswordInput): Promise<Session> {
    const found =
      token.startsWith(SESSION_TOKEN_PREFIX) && token.length <= 200
        ? await sessions.findLiveByTokenHash(this.deps.db, sha256Hex(token), nowIso())
        : undefined;
    if (!found || found.kind !== 'login' || !readBool(found.active))
      throw new AppError('UNAUTHENTICATED', {
        detail: 'Send the login session token (rss_…) from POST /v1/sessions as "Authorization: Bearer"',
      });
    const { tenantId, userId } = found;
    const accountKey = accountKeyOf(tenantId, userId);
    const retryAfter = this.#perAccount.retryAfterSeconds(accountKey);
    if (retryAfter > 0) throw new AppError('TOO_MANY_ATTEMPTS', { details: { retryAfter } });
    const row = await users.findById(this.deps.db, tenantId, userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    const stored = row.passwordHash ?? (await this.dummyHash());
    const ok = (await this.deps.hasher.verifyWith(() => verifyStoredHash(stored, input.currentPassword))) && row.passwordHash != null;
    if (!ok) {
      this.#perAccount.recordFailure(accountKey);
      throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/currentPassword', 'PASSWORD_INCORRECT')] });
    }
    this.#perAccount.reset(accountKey);
    if (input.newPassword === input.currentPassword)
      throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/newPassword', 'PASSWORD_UNCHANGED')] });
    const tenant = await this.deps.tenants.getTenant(tenantId);
    throwIfFieldErrors(
      checkPassword(input.newPassword, tenant.settings.password, { username: row.username, email: row.email }, '/newPassword'),
    );
    const passwordHash = await this.deps.hasher.hash(input.newPassword, { tenantId, priority: true });
    const { token: fresh, expiresAt } = await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ passwordHash, requirePasswordChange: false, updatedAt: nowIso(), version: (eb) => eb('version', '+', 1) })
        .where('tenantId', '=', tenantId)
        .where('id', '=', userId)
        .execute();
      await sessions.deleteAllForUser(trx, tenantId, userId);
      await recordEvents(trx, tenantId, { type: 'user', id: userId, requestId: null }, [
        { type: 'user.password_changed', resourceType: 'user', resourceId: userId, data: { id: userId } },
      ]);
      return this.insertSession(trx, tenantId, userId);
    });
    return this.sessionAnswer(tenantId, userId, fresh, expiresAt);
  }

  /** Ends a login session (sign-out); other credentials are left alone, as they are revoked elsewhere. */
  async logout(token: string): Promise<void> {
    if (token.startsWith(SESSION_TOKEN_PREFIX) && token.length <= 200)
      await sessions.deleteLoginByTokenHash(this.deps.db, sha256Hex(token));
  }

  /** A real argon2id hash to verify against when the user does not exist, so timing does not tell. */
  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(randomBase62(32), { priority: true });
    return this.#dummyHash;
  }

  /**
   * Resolves a session or personal access token to its user as a principal holding the permissions
   * of the user's roles; undefined when the token is unknown, expired, or its user deleted or deactivated.
   * @throws PASSWORD_CHANGE_REQUIRED for a login session of a user flagged `requirePasswordChange`:
   * such a session acts nowhere; it can only change the password (changeOwnPassword) or sign out.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 200) return undefined;
    // The lookup is by a SHA-256 of the token, so its timing says nothing about the token's characters.
    const found = await sessions.findLiveByTokenHash(this.deps.db, sha256Hex(token), nowIso());
    if (!found || !readBool(found.active)) return undefined;
    if (found.kind === 'login' && readBool(found.requirePasswordChange)) {
      throw new AppError('PASSWORD_CHANGE_REQUIRED', {
        detail: 'Change the password first with POST /v1/sessions/current/password; this session can do nothing else',
      });
    }
    const roles = (await rolesByUser(this.deps.db, found.tenantId, [found.userId])).get(found.userId) ?? [];
    return {
      kind: 'user',
      id: found.userId,
      tenantId: found.tenantId,
      role: roles.map((r) => r.name).join(',') || 'none',
      permissions: new Set(roles.flatMap((r) => r.permissions)),
    };
  }

  /**
   * Issues a personal access token acting as the user (for clients such as Rocket.Chat's that sign
   * in as a user). Needs `keys:manage`, and the caller must hold every permission the user has.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND.
   */
  async issuePersonalToken(ctx: TenantContext, userId: string, name: string): Promise<PersonalToken> {
    requirePermission(ctx.principal, 'keys:manage');
    const user = isUuid(userId) ? await users.findById(this.deps.db, ctx.tenantId, userId.toLowerCase()) : undefined;
    if (!user) throw new AppError('USER_NOT_FOUND', { details: { id: userId } });
    await assertCallerCoversUsers(this.deps.db, ctx.principal, ctx.tenantId, [user.id], 'Issuing a token acting as this user');
    const token = `${SESSION_TOKEN_PREFIX}${randomBase62(48)}`;
    const row = {
      tenantId: ctx.tenantId,
      id: newId(),
      userId: user.id,
      tokenHash: sha256Hex(token),
      createdAt: nowIso(),
      expiresAt: NEVER,
      kind: 'personal',
      name,
    };
    await sessions.insert(this.deps.db, row);
    return { id: row.id, userId: user.id, name, createdAt: row.createdAt, token };
  }

  /**
   * `DELETE /v1/users/:id/sessions`: signs a user out everywhere, ending every login session (the
   * admin page's included) so the next request with one answers 401. Personal access tokens are
   * credentials of their own and stay (revoked one by one). Needs `users:update` and, since it acts on
   * the user's credentials, every permission the user holds (the privilege guard). Records
   * `user.sessions_ended` with the number ended, also when it is 0 (the admin's action is on record).
   * @throws PERMISSION_DENIED; USER_NOT_FOUND.
   */
  async endUserSessions(ctx: TenantContext, userId: string): Promise<{ ended: number }> {
    requirePermission(ctx.principal, 'users:update');
    const user = isUuid(userId) ? await users.findById(this.deps.db, ctx.tenantId, userId.toLowerCase()) : undefined;
    if (!user) throw new AppError('USER_NOT_FOUND', { details: { id: userId } });
    await assertCallerCoversUsers(this.deps.db, ctx.principal, ctx.tenantId, [user.id], "Ending this user's sessions");
    return this.deps.db.transaction().execute(async (trx) => {
      const ended = await sessions.deleteLoginSessionsOfUser(trx, ctx.tenantId, user.id);
      await recordFor(trx, ctx, [
        { type: 'user.sessions_ended', resourceType: 'user', resourceId: user.id, data: { id: user.id, sessionsEnded: ended } },
      ]);
      return { ended };
    });
  }

  /** @throws PERMISSION_DENIED; TOKEN_NOT_FOUND. */
  async revokePersonalToken(ctx: TenantContext, userId: string, id: string): Promise<void> {
    requirePermission(ctx.principal, 'keys:manage');
    // Revoking a token is a change to the user's credentials: the privilege guard's rule, as for issuing one.
    if (isUuid(userId))
      await assertCallerCoversUsers(this.deps.db, ctx.principal, ctx.tenantId, [userId.toLowerCase()], 'Revoking a token of this user');
    const deleted =
      isUuid(userId) && isUuid(id) && (await sessions.deleteToken(this.deps.db, ctx.tenantId, userId.toLowerCase(), id.toLowerCase()));
    if (!deleted) throw new AppError('TOKEN_NOT_FOUND', { details: { id } });
  }
}
