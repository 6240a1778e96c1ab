import type { Db } from '../../db/database.js';
import { reserveSeq } from '../../db/sequences.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { applyMergePatch } from '../../lib/json-merge-patch.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { nowIso } from '../../lib/time.js';
import { normalizeEmail } from '../../rules/email.js';
import { usernameKey } from '../../rules/username.js';
import { actorRef, requirePermission, type TenantContext } from '../context.js';
import { assignRoles, replaceUserRoles, resolveRoles, roleNamesByUser } from '../roles/role.service.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { etagOf, toUserResponse } from './user.mapper.js';
import * as users from './user.repository.js';
import { identifiersOf, prepareProfile, type IdentifierClaim, type PreparedProfile, type UserDraft } from './user.rules.js';
import type { CreateUserInput, ListUsersQuery, PatchUserInput, User, UserList } from './user.schemas.js';
import type { UserRow } from './user.table.js';

export interface UserServiceDeps {
  db: Db;
  hasher: PasswordHasher;
  tenants: TenantService;
  /** Called after a commit that created users (feeds the `roster_users_created_total` metric). */
  onUsersCreated?: (count: number) => void;
}

const MAX_UPDATE_ATTEMPTS = 3;

/** The 409 for identifiers another live user holds, or nothing when every claim succeeded. */
function conflictError(claims: IdentifierClaim[], claimed: Set<string>): AppError | undefined {
  const errors: FieldError[] = claims
    .filter((c) => !claimed.has(c.value))
    .flatMap((c) => c.fields.map((f) => fieldError(`/${f}`, f === 'email' ? 'EMAIL_TAKEN' : 'USERNAME_TAKEN')));
  if (errors.length === 0) return undefined;
  const code = errors.some((e) => e.code === 'EMAIL_TAKEN') ? 'USER_EMAIL_TAKEN' : 'USER_USERNAME_TAKEN';
  return new AppError(code, { errors });
}

function profileColumns(profile: PreparedProfile) {
  return {
    ...profile,
    address: profile.address === null ? null : JSON.stringify(profile.address),
    attributes: JSON.stringify(profile.attributes),
  };
}

/** The draft a stored user corresponds to, so a patch can be merged and re-checked by the same rules. */
function draftOf(row: UserRow, user: User): UserDraft {
  const draft: UserDraft = {};
  for (const key of ['email', 'username', 'givenName', 'familyName', 'displayName', 'nickname', 'bio', 'phone', 'externalId'] as const) {
    const value = row[key];
    if (value !== null) draft[key] = value;
  }
  draft.locale = row.locale;
  draft.timezone = row.timezone;
  if (user.address) draft.address = user.address;
  draft.attributes = user.attributes;
  return draft;
}

export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  private get db(): Db {
    return this.deps.db;
  }

  private async defaults(tenantId: string) {
    const tenant = await this.deps.tenants.getTenant(tenantId);
    return { locale: tenant.defaultLocale, timezone: tenant.defaultTimezone };
  }

  /**
   * Creates one user: every rule checked with all field errors reported together, the password
   * hashed off the event loop, and uniqueness decided by the database.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED; USER_EMAIL_TAKEN; USER_USERNAME_TAKEN.
   */
  async createUser(ctx: TenantContext, input: CreateUserInput): Promise<User> {
    const { tenantId, principal } = ctx;
    requirePermission(principal, 'users:create');
    if (input.active === false) requirePermission(principal, 'users:set-active');

    const { profile, errors } = prepareProfile(input, await this.defaults(tenantId));
    const roleNames = input.roles ?? ['user'];
    const resolved = await resolveRoles(this.db, tenantId, roleNames, '/roles');
    throwIfFieldErrors([...errors, ...resolved.errors]);

    const claims = identifiersOf(profile);
    // Fail fast before spending a password hash; the claim in the transaction below is what decides.
    const taken = await users.findTakenIdentifiers(this.db, tenantId, claims.map((c) => c.value));
    const early = conflictError(claims, new Set(claims.map((c) => c.value).filter((v) => !taken.has(v))));
    if (early) throw early;

    const passwordHash = input.password === undefined ? null : await this.deps.hasher.hash(input.password);
    const seq = await reserveSeq(this.db, tenantId, 'users');
    const now = nowIso();
    const id = newId();
    const row = {
      tenantId,
      id,
      seq,
      ...profileColumns(profile),
      passwordHash,
      active: input.active ?? true,
      emailVerified: input.emailVerified ?? false,
      requirePasswordChange: input.requirePasswordChange ?? false,
      createdAt: now,
      updatedAt: now,
      createdBy: actorRef(principal),
      version: 1,
      deletedAt: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await users.insert(trx, row);
      const conflict = conflictError(claims, await users.claimIdentifiers(trx, tenantId, id, claims.map((c) => c.value)));
      if (conflict) throw conflict;
      await assignRoles(trx, tenantId, resolved.roles.map((r) => ({ userId: id, roleId: r.id })));
    });
    this.deps.onUsersCreated?.(1);
    return this.getUserInternal(tenantId, id);
  }

  /** @throws PERMISSION_DENIED; USER_NOT_FOUND (also for users of other tenants). */
  async getUser(ctx: TenantContext, id: string): Promise<User> {
    requirePermission(ctx.principal, 'users:read');
    return this.getUserInternal(ctx.tenantId, id);
  }

  private async findUser(tenantId: string, id: string): Promise<{ row: UserRow; user: User } | undefined> {
    const row = isUuid(id) ? await users.findById(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!row) return undefined;
    const roles = await roleNamesByUser(this.db, tenantId, [row.id]);
    return { row, user: toUserResponse(row, roles.get(row.id) ?? []) };
  }

  private async getUserInternal(tenantId: string, id: string): Promise<User> {
    const found = await this.findUser(tenantId, id);
    if (!found) throw new AppError('USER_NOT_FOUND', { details: { id } });
    return found.user;
  }

  /**
   * Lists live users in creation order, a page at a time.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED for a malformed cursor.
   */
  async listUsers(ctx: TenantContext, query: ListUsersQuery): Promise<UserList> {
    requirePermission(ctx.principal, 'users:read');
    const limit = query.limit ?? 50;
    let afterId: string | undefined;
    if (query.cursor !== undefined) {
      afterId = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!isUuid(afterId)) throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/cursor', 'FIELD_INVALID', 'Not a cursor this API returned')] });
    }
    const rows = await users.list(this.db, ctx.tenantId, {
      emailNormalized: query.email === undefined ? undefined : (normalizeEmail(query.email)?.normalized ?? query.email.toLowerCase()),
      usernameNormalized: query.username === undefined ? undefined : usernameKey(query.username.trim()),
      externalId: query.externalId,
      active: query.active,
      afterId,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const roles = await roleNamesByUser(this.db, ctx.tenantId, page.map((r) => r.id));
    const last = page.at(-1);
    return {
      data: page.map((r) => toUserResponse(r, roles.get(r.id) ?? [])),
      nextCursor: rows.length > limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
    };
  }

  /**
   * Applies a JSON Merge Patch. The merged user passes the same rules as a new one; with `ifMatch`
   * the change applies only to that version.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND; USER_VERSION_MISMATCH; VALIDATION_FAILED; USER_EMAIL_TAKEN; USER_USERNAME_TAKEN.
   */
  async updateUser(ctx: TenantContext, id: string, patch: PatchUserInput, ifMatch?: string): Promise<User> {
    const { tenantId, principal } = ctx;
    requirePermission(principal, 'users:update');
    if (patch.active !== undefined) requirePermission(principal, 'users:set-active');
    const defaults = await this.defaults(tenantId);

    for (let attempt = 1; ; attempt += 1) {
      const found = await this.findUser(tenantId, id);
      if (!found) throw new AppError('USER_NOT_FOUND', { details: { id } });
      const { row, user } = found;
      if (ifMatch !== undefined && ifMatch !== etagOf(user) && ifMatch !== '*') {
        throw new AppError('USER_VERSION_MISMATCH', { details: { etag: etagOf(user) } });
      }

      const { password, roles, active, emailVerified, requirePasswordChange, ...profilePatch } = patch;
      const draft = applyMergePatch(draftOf(row, user), profilePatch) as UserDraft;
      if (typeof password === 'string') draft.password = password;
      const { profile, errors } = prepareProfile(draft, defaults);
      const resolved = roles === undefined ? undefined : await resolveRoles(this.db, tenantId, roles, '/roles');
      throwIfFieldErrors([...errors, ...(resolved?.errors ?? [])]);

      const changes = {
        ...profileColumns(profile),
        ...(active === undefined ? {} : { active }),
        ...(emailVerified === undefined ? {} : { emailVerified }),
        ...(requirePasswordChange === undefined ? {} : { requirePasswordChange }),
        ...(password === undefined ? {} : { passwordHash: password === null ? null : await this.deps.hasher.hash(password) }),
        updatedAt: nowIso(),
      };
      const before = identifiersOf(row);
      const after = identifiersOf(profile);
      const release = before.filter((c) => !after.some((a) => a.value === c.value)).map((c) => c.value);
      const claims = after.filter((c) => !before.some((b) => b.value === c.value));

      const updated = await this.db.transaction().execute(async (trx) => {
        if (!(await users.updateAtVersion(trx, tenantId, row.id, row.version, changes))) return false;
        await users.releaseIdentifiers(trx, tenantId, row.id, release);
        const conflict = conflictError(claims, await users.claimIdentifiers(trx, tenantId, row.id, claims.map((c) => c.value)));
        if (conflict) throw conflict;
        if (resolved) await replaceUserRoles(trx, tenantId, row.id, resolved.roles.map((r) => r.id));
        return true;
      });
      if (updated) return this.getUserInternal(tenantId, row.id);
      // Someone else changed the user between our read and our write.
      if (ifMatch !== undefined && ifMatch !== '*') throw new AppError('USER_VERSION_MISMATCH');
      if (attempt >= MAX_UPDATE_ATTEMPTS) throw new AppError('USER_VERSION_MISMATCH', { detail: 'The user kept changing; retry the request' });
    }
  }

  /**
   * Soft-deletes a user: the row stays for audit, its email and username are free again at once.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND.
   */
  async deleteUser(ctx: TenantContext, id: string): Promise<void> {
    requirePermission(ctx.principal, 'users:delete');
    const found = await this.findUser(ctx.tenantId, id);
    if (!found) throw new AppError('USER_NOT_FOUND', { details: { id } });
    const now = nowIso();
    const deleted = await this.db.transaction().execute(async (trx) => {
      const ok = await users.updateAtVersion(trx, ctx.tenantId, found.row.id, found.row.version, { deletedAt: now, updatedAt: now });
      if (ok) await users.releaseIdentifiers(trx, ctx.tenantId, found.row.id);
      return ok;
    });
    if (!deleted) throw new AppError('USER_NOT_FOUND', { details: { id } });
  }
}
