import type { Db } from '../../db/database.js';
import { AppError } from '../../errors/app-error.js';
import { AttemptLimiter } from '../../lib/attempt-limiter.js';
import { newId } from '../../lib/ids.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { needsRehash, verifyStoredHash } from '../../lib/password-hashes.js';
import { randomBase62, sha256Hex } from '../../lib/secrets.js';
import { readBool } from '../../db/column-types.js';
import { normalizeEmail } from '../../rules/email.js';
import { usernameKey } from '../../rules/username.js';
import { platformPermissions } from '../roles/permissions.js';
import type { TenantService } from '../tenants/tenant.service.js';
import * as users from '../users/user.repository.js';
import type { UserService } from '../users/user.service.js';
import type { LoginInput, PersonalToken, Session } from './session.schemas.js';
import * as sessions from './session.repository.js';
import { nowIso } from '../../lib/time.js';
import { assertCallerCoversUsers, rolesByUser } from '../roles/role.service.js';
import { requirePermission, type Principal, type TenantContext } from '../context.js';
import { isUuid } from '../../lib/ids.js';

const WINDOW_MS = 15 * 60 * 1000;
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
    const accountKey = `${tenant.id}:${usernameKey(login)}`;
    const retryAfter = Math.max(this.#perAccount.retryAfterSeconds(accountKey), this.#perAddress.retryAfterSeconds(address));
    if (retryAfter > 0) throw new AppError('TOO_MANY_ATTEMPTS', { details: { retryAfter } });

    const candidates = [usernameKey(login), normalizeEmail(login)?.normalized].filter((v): v is string => v !== undefined);
    const row = await users.findByIdentifier(this.deps.db, tenant.id, candidates);
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

    const token = `${SESSION_TOKEN_PREFIX}${randomBase62(48)}`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.deps.ttlSeconds * 1000).toISOString();
    await sessions.insert(this.deps.db, { tenantId: tenant.id, id: newId(), userId: row.id, tokenHash: sha256Hex(token), createdAt: now.toISOString(), expiresAt, kind: 'login', name: null });
    const self = { kind: 'cli' as const, id: 'login', tenantId: tenant.id, role: 'self', permissions: new Set<string>(platformPermissions) };
    const user = await this.deps.users.getUser({ tenantId: tenant.id, principal: self, requestId: 'login' }, row.id);
    return { token, expiresAt, passwordChangeRequired: user.requirePasswordChange, user };
  }

  /** Ends a login session (sign-out); other credentials are left alone, as they are revoked elsewhere. */
  async logout(token: string): Promise<void> {
    if (token.startsWith(SESSION_TOKEN_PREFIX) && token.length <= 200) await sessions.deleteLoginByTokenHash(this.deps.db, sha256Hex(token));
  }

  /** A real argon2id hash to verify against when the user does not exist, so timing does not tell. */
  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(randomBase62(32), { priority: true });
    return this.#dummyHash;
  }

  /**
   * Resolves a session or personal access token to its user as a principal holding the permissions
   * of the user's roles; undefined when the token is unknown, expired, or its user deleted or deactivated.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 200) return undefined;
    // The lookup is by a SHA-256 of the token, so its timing says nothing about the token's characters.
    const found = await sessions.findLiveByTokenHash(this.deps.db, sha256Hex(token), nowIso());
    if (!found || !readBool(found.active)) return undefined;
    const roles = (await rolesByUser(this.deps.db, found.tenantId, [found.userId])).get(found.userId) ?? [];
    return {
      kind: 'user', id: found.userId, tenantId: found.tenantId, role: roles.map((r) => r.name).join(',') || 'none',
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
    const row = { tenantId: ctx.tenantId, id: newId(), userId: user.id, tokenHash: sha256Hex(token), createdAt: nowIso(), expiresAt: NEVER, kind: 'personal', name };
    await sessions.insert(this.deps.db, row);
    return { id: row.id, userId: user.id, name, createdAt: row.createdAt, token };
  }

  /** @throws PERMISSION_DENIED; TOKEN_NOT_FOUND. */
  async revokePersonalToken(ctx: TenantContext, userId: string, id: string): Promise<void> {
    requirePermission(ctx.principal, 'keys:manage');
    const deleted = isUuid(userId) && isUuid(id) && (await sessions.deleteToken(this.deps.db, ctx.tenantId, userId.toLowerCase(), id.toLowerCase()));
    if (!deleted) throw new AppError('TOKEN_NOT_FOUND', { details: { id } });
  }
}
