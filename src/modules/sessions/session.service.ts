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
import type { LoginInput, Session } from './session.schemas.js';

const WINDOW_MS = 15 * 60 * 1000;

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
    const ok = (await verifyStoredHash(stored, input.password)) && row?.passwordHash != null;
    if (!ok || !row) {
      this.#perAccount.recordFailure(accountKey);
      this.#perAddress.recordFailure(address);
      throw new AppError('INVALID_CREDENTIALS');
    }
    this.#perAccount.reset(accountKey);
    if (!readBool(row.active)) throw new AppError('USER_INACTIVE');
    if (needsRehash(stored, this.deps.argon2)) {
      await users.updatePasswordHash(this.deps.db, tenant.id, row.id, await this.deps.hasher.hash(input.password));
    }

    const token = `rss_${randomBase62(48)}`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.deps.ttlSeconds * 1000).toISOString();
    await this.deps.db
      .insertInto('sessions')
      .values({ tenantId: tenant.id, id: newId(), userId: row.id, tokenHash: sha256Hex(token), createdAt: now.toISOString(), expiresAt })
      .execute();
    const self = { kind: 'cli' as const, id: 'login', tenantId: tenant.id, role: 'self', permissions: new Set<string>(platformPermissions) };
    const user = await this.deps.users.getUser({ tenantId: tenant.id, principal: self, requestId: 'login' }, row.id);
    return { token, expiresAt, passwordChangeRequired: user.requirePasswordChange, user };
  }

  /** A real argon2id hash to verify against when the user does not exist, so timing does not tell. */
  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(randomBase62(32));
    return this.#dummyHash;
  }
}
