import { readBool } from '../../db/column-types.js';
import { inputFieldError } from '../../lib/safe-input.js';
import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { isUuid } from '../../lib/ids.js';
import { applyMergePatch } from '../../lib/json-merge-patch.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import { nowIso } from '../../lib/time.js';
import { normalizeEmail } from '../../rules/email.js';
import { usernameKey } from '../../rules/username.js';
import {
  claimAttributeValues,
  listAttributeDefinitions,
  prepareAttributes,
  releaseAttributeValues,
  visibleAttributes,
  type AttributeClaim,
} from '../attributes/attribute.service.js';
import { systemPrincipal, requirePermission, type Principal, type TenantContext } from '../context.js';
import { groupsByUser, replaceUserGroups, resolveGroups, toGroupRef } from '../groups/group.service.js';
import { assertCanGrant, replaceUserRoles, resolveRoles, rolesByUser, type RoleRecord } from '../roles/role.service.js';
import { assertCallerCovers, assertCallerCoversUsers, holdsEveryPermission } from '../roles/privilege-guard.js';
import { deleteAllForUser } from '../sessions/session.repository.js';
import { deleteUnusedTokens } from '../mail/user-token.repository.js';
import { normalizeImportedHash } from '../../lib/password-hashes.js';
import type { TenantSettings } from '../settings/settings.schemas.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { etagOf, toUserResponse } from './user.mapper.js';
import { recordFor } from '../events/event.service.js';
import type { EventType } from '../events/event.catalog.js';
import { conflictError, needsHash, UserCreator, type CreateOptions, type ItemOutcome } from './user-create.js';
import * as users from './user.repository.js';
import * as list from './user-list.repository.js';
import { decodeListCursor, encodeListCursor, parseListSort } from './user-list.cursor.js';
import { identifierScope, identifiersOf, prepareProfile, unchangedFreeText, type PreparedProfile, type UserDraft } from './user.rules.js';
import { CreateCoalescer, type CoalescedOptions } from './create-coalescer.js';
import type { CreatedUser, CreateUserInput, ListUsersQuery, PatchUserInput, User, UserList } from './user.schemas.js';
import type { UserRow } from './user.table.js';

export interface UserServiceDeps {
  db: Db;
  hasher: PasswordHasher;
  tenants: TenantService;
  /** Called after a commit that created users (feeds the metric, and PostgreSQL's statistics keeper). */
  onUsersCreated?: (count: number) => void;
  /** Base of links in welcome and verification mails. */
  publicUrl?: string;
  /** Called after commits that queued mail, so the mail worker looks at once. */
  onMailQueued?: () => void;
  dialect?: 'sqlite' | 'postgres';
}

const MAX_UPDATE_ATTEMPTS = 3;
const DRAFT_TEXT_FIELDS = [
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'nickname',
  'bio',
  'phone',
  'position',
  'arrivalDate',
  'departureDate',
  'dateOfBirth',
  'cityOfBirth',
  'countryOfBirth',
  'externalId',
  'userType',
  'pictureUrl',
] as const;

/** A search term in the stored form of identifiers: NFKC-folded and lower-cased (as usernameKey folds an email too). */
function identifierPrefix(q: string): string | undefined {
  const term = q.trim();
  return term === '' ? undefined : usernameKey(term) || term.toLowerCase();
}

function profileColumns(profile: PreparedProfile) {
  return { ...profile, address: profile.address === null ? null : JSON.stringify(profile.address) };
}

/** The draft a stored user corresponds to, so a patch can be merged and re-checked by the same rules. */
function draftOf(row: UserRow): UserDraft {
  const draft: UserDraft = { locale: row.locale, timezone: row.timezone };
  for (const key of DRAFT_TEXT_FIELDS) {
    const value = row[key];
    // eslint-disable-next-line no-restricted-syntax -- a column name from DRAFT_TEXT_FIELDS
    if (value !== null) draft[key] = value;
  }
  if (row.address !== null)
    draft.address = typeof row.address === 'string' ? JSON.parse(row.address) : (row.address as UserDraft['address']);
  return draft;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

function storedAttributes(row: UserRow): Record<string, unknown> {
  return (typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes) as Record<string, unknown>;
}

export class UserService {
  private readonly creator: UserCreator;

  /** Concurrent single creates are written as shared batches (see CreateCoalescer). */
  private readonly coalescer: CreateCoalescer;

  constructor(private readonly deps: UserServiceDeps) {
    this.creator = new UserCreator(deps.db, deps.hasher, deps.publicUrl ?? 'http://127.0.0.1:8080', deps.dialect === 'sqlite');
    this.coalescer = new CreateCoalescer((ctx, inputs, perItem, options) =>
      this.createUsers(ctx, inputs, { ...options, ...perItem, mode: 'partial' }),
    );
  }

  private get db(): Db {
    return this.deps.db;
  }

  private async settings(tenantId: string): Promise<TenantSettings> {
    return (await this.deps.tenants.getTenant(tenantId)).settings;
  }

  /** Roles must exist and hold only permissions the caller has (the privilege guard). */
  private async checkRoles(db: Executor, ctx: TenantContext, names: string[], errors: FieldError[]): Promise<RoleRecord[]> {
    const resolved = await resolveRoles(db, ctx.tenantId, names, '/roles');
    errors.push(...resolved.errors);
    return resolved.roles;
  }

  /**
   * Creates one user: a batch of one through the shared create path, so every rule, policy and
   * uniqueness check is the batch's.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED; USER_EMAIL_TAKEN; USER_USERNAME_TAKEN; USER_EXTERNAL_ID_TAKEN; USER_ATTRIBUTE_TAKEN.
   */
  async createUser(ctx: TenantContext, input: CreateUserInput, options: CoalescedOptions = {}): Promise<CreatedUser> {
    // Admitted to password hashing here, per request, before it waits for its batch: a flood is refused (503) one request at a time.
    const admission = options.background ? undefined : this.deps.hasher.admit(needsHash(input) ? 1 : 0);
    try {
      const outcome = await this.coalescer.submit(ctx, input, options, admission);
      if (outcome.error || !outcome.user) throw outcome.error ?? new Error('create produced no user');
      return outcome.user;
    } finally {
      admission?.release();
    }
  }

  /**
   * Creates up to a batch of users. In `partial` mode valid items are created even when others fail;
   * in `atomic` mode nothing is created unless every item can be. One outcome per item, in order;
   * items an adapter already found malformed come in as their AppError and fail as such.
   * @throws PERMISSION_DENIED when the caller may not create users at all.
   */
  async createUsers(
    ctx: TenantContext,
    inputs: Array<CreateUserInput | AppError>,
    options: CreateOptions & { /** Imports need only the outcomes, not the created resources. */ returnUsers?: boolean },
  ): Promise<Array<ItemOutcome & { user?: CreatedUser }>> {
    const outcomes = await this.creator.create(ctx, await this.deps.tenants.getTenant(ctx.tenantId), inputs, options);
    // Wake the mail worker only when a mail was queued: waking it costs a query per batch.
    if (inputs.some((i) => !(i instanceof AppError) && (i.sendWelcomeEmail || i.sendVerificationEmail))) this.deps.onMailQueued?.();
    const created = outcomes.filter((o) => o.status === 'created' && o.userId);
    if (created.length > 0) this.deps.onUsersCreated?.(created.length);
    if (options.dryRun || options.returnUsers === false || created.length === 0) return outcomes;
    // The answer is the resource written in the transaction (no read-back), minus attributes this caller may not read.
    const definitions = await listAttributeDefinitions(this.db, ctx.tenantId);
    return outcomes.map((o) => {
      if (!o.resource) return o;
      const user: CreatedUser = {
        ...o.resource,
        attributes: visibleAttributes(definitions, ctx.principal, o.resource.attributes as Record<string, unknown>),
      };
      return { ...o, user: o.generatedPassword ? { ...user, generatedPassword: o.generatedPassword } : user };
    });
  }

  /**
   * The tenant's limit on users per batch request (`batch.maxSize`, at most 1000).
   * @throws BATCH_TOO_LARGE with the limit.
   */
  async assertBatchSize(ctx: TenantContext, size: number): Promise<void> {
    const { maxSize } = (await this.settings(ctx.tenantId)).batch;
    if (size > maxSize)
      throw new AppError('BATCH_TOO_LARGE', { detail: `At most ${maxSize} users per batch`, details: { limit: maxSize } });
  }

  /** @throws PERMISSION_DENIED; USER_NOT_FOUND (also for users of other tenants). */
  async getUser(ctx: TenantContext, id: string): Promise<User> {
    requirePermission(ctx.principal, 'users:read');
    return this.getUserInternal(ctx, id);
  }

  /**
   * Live users of the tenant by id, in the order given (unknown ids left out), in one query per
   * table: for adapters that choose a page of ids themselves (SCIM lists).
   * @throws PERMISSION_DENIED
   */
  async getUsers(ctx: TenantContext, ids: string[]): Promise<User[]> {
    requirePermission(ctx.principal, 'users:read');
    const rows = new Map((await users.findByIds(this.db, ctx.tenantId, ids)).map((r) => [r.id, r]));
    return this.toResources(
      this.db,
      ctx.tenantId,
      ctx.principal,
      ids.flatMap((id) => rows.get(id) ?? []),
    );
  }

  /** Resources for rows of one tenant, with roles, groups and visible attributes loaded in one query each. */
  private async toResources(db: Executor, tenantId: string, principal: Principal, rows: UserRow[]): Promise<User[]> {
    const ids = rows.map((r) => r.id);
    const [roles, groups, definitions] = await Promise.all([
      rolesByUser(db, tenantId, ids),
      groupsByUser(db, tenantId, ids),
      listAttributeDefinitions(db, tenantId),
    ]);
    return rows.map((row) =>
      toUserResponse(row, {
        roles: roles.get(row.id) ?? [],
        groups: (groups.get(row.id) ?? []).map(toGroupRef),
        attributes: visibleAttributes(definitions, principal, storedAttributes(row)),
      }),
    );
  }

  /** Records events about one user, carrying the user as it now stands, in the caller's transaction. */
  private async announce(trx: Executor, ctx: TenantContext, id: string, types: EventType[]): Promise<void> {
    const row = await users.findById(trx, ctx.tenantId, id);
    if (!row) return;
    const [resource] = await this.toResources(trx, ctx.tenantId, systemPrincipal, [row]);
    await recordFor(
      trx,
      ctx,
      types.map((type) => ({ type, resourceType: 'user', resourceId: id, data: resource })),
    );
  }

  private async findRow(tenantId: string, id: string): Promise<UserRow | undefined> {
    return isUuid(id) ? users.findById(this.db, tenantId, id.toLowerCase()) : undefined;
  }

  private async getUserInternal(ctx: TenantContext, id: string): Promise<User> {
    const row = await this.findRow(ctx.tenantId, id);
    if (!row) throw new AppError('USER_NOT_FOUND', { details: { id } });
    const [user] = await this.toResources(this.db, ctx.tenantId, ctx.principal, [row]);
    return user as User;
  }

  /**
   * Lists live users a page at a time, filtered and sorted (creation order by default), with the
   * number of matching users when `count` is asked.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED for a malformed cursor, a cursor of another sort,
   * an unknown role (ROLE_UNKNOWN) or group (GROUP_UNKNOWN).
   */
  async listUsers(ctx: TenantContext, query: ListUsersQuery): Promise<UserList> {
    requirePermission(ctx.principal, 'users:read');
    const limit = query.limit ?? 50;
    const sort = parseListSort(query.sort);
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, query.sort);
    const filter = await this.listFilter(ctx.tenantId, query);
    const where = filter && (await list.filterCondition(this.db, ctx.tenantId, filter));
    if (!where) return { data: [], nextCursor: null, ...(query.count ? { total: 0 } : {}) };
    const [rows, total] = await Promise.all([
      list.listPage(this.db, ctx.tenantId, where, sort, after, limit + 1),
      query.count ? list.countUsers(this.db, where) : undefined,
    ]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: await this.toResources(this.db, ctx.tenantId, ctx.principal, page),
      nextCursor: rows.length > limit && last ? encodeListCursor(last, query.sort) : null,
      ...(total === undefined ? {} : { total }),
    };
  }

  /** The list's filters in stored form; null when a filter can match nobody. */
  private async listFilter(tenantId: string, query: ListUsersQuery): Promise<list.UserFilter | null> {
    const errors: FieldError[] = [];
    let roleId: string | undefined;
    let groupId: string | undefined;
    if (query.role !== undefined) {
      const { roles } = await resolveRoles(this.db, tenantId, [query.role], '/role');
      if (roles[0]) roleId = roles[0].id;
      else errors.push(fieldError('/role', 'ROLE_UNKNOWN', `No role named "${query.role}"`));
    }
    if (query.group !== undefined) {
      const { groups } = await resolveGroups(this.db, tenantId, [query.group], '/group');
      if (groups[0]) groupId = groups[0].id;
      else errors.push(fieldError('/group', 'GROUP_UNKNOWN', `No group "${query.group}"`));
    }
    throwIfFieldErrors(errors);
    const instant = (text: string | undefined) => (text === undefined ? undefined : new Date(text).toISOString());
    const createdAfter = instant(query.createdAfter);
    const createdBefore = instant(query.createdBefore);
    if (createdAfter !== undefined && createdBefore !== undefined && createdAfter >= createdBefore) return null;
    return {
      emailNormalized: query.email === undefined ? undefined : (normalizeEmail(query.email)?.normalized ?? query.email.toLowerCase()),
      usernameNormalized: query.username === undefined ? undefined : usernameKey(query.username.trim()),
      externalId: query.externalId,
      active: query.active,
      emailVerified: query.emailVerified,
      roleId,
      groupId,
      createdAfter,
      createdBefore,
      identifierPrefix: query.q === undefined ? undefined : identifierPrefix(query.q),
      namePrefix: query.name?.trim() ? query.name.trim().toLowerCase() : undefined,
    };
  }

  /**
   * The privilege guard on a change to an existing user: changing its credentials, email, username,
   * roles, groups, verified or active state (each only when the value really changes) needs every
   * permission the user holds now, or the caller could log in as, or act for, someone above itself.
   * @throws PERMISSION_DENIED naming the first permission the caller lacks.
   */
  private async guardTarget(
    ctx: TenantContext,
    row: UserRow,
    patch: PatchUserInput,
    newRoles: RoleRecord[] | undefined,
    newGroupIds: string[] | undefined,
  ): Promise<void> {
    if (holdsEveryPermission(ctx.principal)) return;
    const current = (await rolesByUser(this.db, ctx.tenantId, [row.id])).get(row.id) ?? [];
    const changed: string[] = [];
    if (patch.password !== undefined || patch.passwordHash !== undefined) changed.push('password');
    if (patch.email !== undefined && patch.email !== row.email) changed.push('email');
    if (patch.username !== undefined && patch.username !== row.username) changed.push('username');
    if (patch.active !== undefined && patch.active !== readBool(row.active)) changed.push('active state');
    if (patch.emailVerified !== undefined && patch.emailVerified !== readBool(row.emailVerified)) changed.push('email verification');
    if (
      patch.roles !== undefined &&
      !sameSet(
        (newRoles ?? []).map((r) => r.id),
        current.map((r) => r.id),
      )
    )
      changed.push('roles');
    if (newGroupIds !== undefined) {
      const groups = ((await groupsByUser(this.db, ctx.tenantId, [row.id])).get(row.id) ?? []).map((g) => g.id);
      if (!sameSet(newGroupIds, groups)) changed.push('groups');
    }
    if (changed.length > 0)
      assertCallerCovers(
        ctx.principal,
        current.flatMap((r) => r.permissions),
        `Changing the ${changed.join(', ')} of this user`,
      );
  }

  /**
   * Applies a JSON Merge Patch. The merged user passes the same rules and policies as a new one;
   * with `ifMatch` the change applies only to that version.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND; USER_VERSION_MISMATCH; VALIDATION_FAILED; USER_EMAIL_TAKEN; USER_USERNAME_TAKEN; USER_EXTERNAL_ID_TAKEN; USER_ATTRIBUTE_TAKEN.
   */
  async updateUser(
    ctx: TenantContext,
    id: string,
    patch: PatchUserInput,
    ifMatch?: string,
    options: {
      /**
       * Runs last in the update's transaction (an import records the row it applied there, exactly once);
       * whatever it throws rolls the update back and comes out of updateUser (an import's dry run).
       */
      beforeCommit?: (trx: Executor, userId: string) => Promise<void>;
    } = {},
  ): Promise<User> {
    const { tenantId, principal } = ctx;
    requirePermission(principal, 'users:update');
    if (patch.active !== undefined) requirePermission(principal, 'users:set-active');
    const hostile = inputFieldError(patch);
    if (hostile) throw new AppError('VALIDATION_FAILED', { errors: [hostile] });
    const settings = await this.settings(tenantId);

    for (let attempt = 1; ; attempt += 1) {
      const row = await this.findRow(tenantId, id);
      if (!row) throw new AppError('USER_NOT_FOUND', { details: { id } });
      if (ifMatch !== undefined && ifMatch !== etagOf(row) && ifMatch !== '*') {
        throw new AppError('USER_VERSION_MISMATCH', { details: { etag: etagOf(row) } });
      }

      const {
        password,
        passwordHash,
        roles,
        groups,
        attributes: attributePatch,
        active,
        emailVerified,
        requirePasswordChange,
        phoneCountry,
        ...profilePatch
      } = patch;
      const errors: FieldError[] = [];
      const newRoles = roles === undefined ? undefined : await this.checkRoles(this.db, ctx, roles, errors);
      const newGroups = groups === undefined ? undefined : await resolveGroups(this.db, tenantId, groups, '/groups');
      errors.push(...(newGroups?.errors ?? []));
      // Before any other check: whether the caller may touch this user at all answers alike whatever else the patch holds.
      await this.guardTarget(
        ctx,
        row,
        patch,
        newRoles,
        newGroups?.groups.map((g) => g.id),
      );
      const stored = draftOf(row);
      const draft = applyMergePatch(stored, profilePatch) as UserDraft;
      if (typeof password === 'string') draft.password = password;
      if (phoneCountry !== undefined) draft.phoneCountry = phoneCountry;
      // A free string a contract kept as sent (user.rules.ts) stays valid until the patch changes it.
      const prepared = prepareProfile(draft, settings, { asSent: unchangedFreeText(draft, stored) });
      const profile = prepared.profile;
      errors.push(...prepared.errors);
      if (password !== undefined && passwordHash !== undefined) errors.push(fieldError('/password', 'PASSWORD_CONFLICT'));
      const importedHash = passwordHash === undefined ? undefined : normalizeImportedHash(passwordHash);
      if (passwordHash !== undefined && !importedHash) errors.push(fieldError('/passwordHash', 'PASSWORD_HASH_UNSUPPORTED'));
      const definitions = await listAttributeDefinitions(this.db, tenantId);
      const currentAttributes = storedAttributes(row);
      const mergedAttributes =
        attributePatch === undefined ? currentAttributes : (applyMergePatch(currentAttributes, attributePatch) as Record<string, unknown>);
      const attributes = prepareAttributes(
        definitions,
        principal,
        (attributePatch ?? {}) as Record<string, unknown>,
        mergedAttributes,
        false,
      );
      errors.push(...attributes.errors);
      throwIfFieldErrors(errors);
      for (const role of newRoles ?? []) assertCanGrant(principal, role.permissions, `role "${role.name}"`);

      // A new address is not verified by the old one's proof: unless this request says otherwise, it starts unverified.
      const emailChanged = profile.email !== row.email;
      const verified = emailVerified ?? (emailChanged ? false : undefined);
      const credentialsChanged = password !== undefined || passwordHash !== undefined;
      const changes = {
        ...profileColumns(profile),
        attributes: JSON.stringify(attributes.values),
        ...(active === undefined ? {} : { active }),
        ...(verified === undefined ? {} : { emailVerified: verified }),
        ...(requirePasswordChange === undefined ? {} : { requirePasswordChange }),
        ...(password === undefined ? {} : { passwordHash: password === null ? null : await this.deps.hasher.hash(password, { tenantId }) }),
        ...(importedHash === undefined ? {} : { passwordHash: importedHash }),
        updatedAt: nowIso(),
      };
      const before = identifiersOf(row);
      const after = identifiersOf(profile);
      const release = before.filter((c) => !after.some((a) => a.value === c.value)).map((c) => c.value);
      const claims = after.filter((c) => !before.some((b) => b.value === c.value));
      const oldClaims = prepareAttributes(definitions, principal, {}, currentAttributes, false).claims;
      const sameClaim = (a: AttributeClaim, b: AttributeClaim) => a.key === b.key && a.value === b.value;
      const releaseAttrs = oldClaims.filter((c) => !attributes.claims.some((n) => sameClaim(c, n)));
      const claimAttrs = attributes.claims.filter((c) => !oldClaims.some((o) => sameClaim(c, o)));
      // Deactivating or reactivating a user where uniqueness is among active users moves its identifiers between scopes.
      const scopeBefore = identifierScope(settings.users, { id: row.id, active: readBool(row.active) });
      const scope = identifierScope(settings.users, { id: row.id, active: active ?? readBool(row.active) });

      const updated = await this.db.transaction().execute(async (trx) => {
        if (!(await users.updateAtVersion(trx, tenantId, row.id, row.version, changes))) return false;
        await users.releaseIdentifiers(trx, tenantId, row.id, release);
        await releaseAttributeValues(trx, tenantId, row.id, releaseAttrs);
        const lostOnMove = scope === scopeBefore ? new Set<string>() : await users.moveIdentifiers(trx, tenantId, row.id, scope);
        const claimed = await users.claimIdentifiers(
          trx,
          tenantId,
          row.id,
          claims.map((c) => c.value),
          scope,
        );
        const lost = await claimAttributeValues(trx, tenantId, row.id, claimAttrs);
        // A changed externalId is released and claimed like an identifier: user_external_ids' key decides.
        let externalIdLost = false;
        if (profile.externalId !== row.externalId) {
          if (row.externalId !== null) await users.releaseExternalId(trx, tenantId, row.id, row.externalId);
          if (profile.externalId !== null)
            externalIdLost =
              (await users.claimExternalIdsMany(trx, tenantId, [{ userId: row.id, value: profile.externalId }])).length === 0;
        }
        const lostValues = new Set([...lostOnMove, ...claims.map((c) => c.value).filter((v) => !claimed.has(v))]);
        const conflict = conflictError(after, lostValues, lost, externalIdLost);
        if (conflict) throw conflict;
        if (newRoles)
          await replaceUserRoles(
            trx,
            tenantId,
            row.id,
            newRoles.map((r) => r.id),
          );
        if (newGroups)
          await replaceUserGroups(
            trx,
            tenantId,
            row.id,
            newGroups.groups.map((g) => g.id),
          );
        // A new password or a deactivation ends every login session and personal token issued before it,
        // with the change: reactivating the user later brings none of them back.
        if (credentialsChanged || active === false) await deleteAllForUser(trx, tenantId, row.id);
        // A link mailed to the old address must not verify the new one.
        if (emailChanged) await deleteUnusedTokens(trx, tenantId, row.id, 'verify_email');
        const types: EventType[] = ['user.updated'];
        if (active !== undefined && active !== readBool(row.active)) types.push(active ? 'user.activated' : 'user.deactivated');
        if (credentialsChanged) types.push('user.password_changed');
        if (roles !== undefined) types.push('user.roles_updated');
        if (groups !== undefined) types.push('user.groups_updated');
        await this.announce(trx, ctx, row.id, types);
        await options.beforeCommit?.(trx, row.id);
        return true;
      });
      if (updated) return this.getUserInternal(ctx, row.id);
      // Someone else changed the user between our read and our write.
      if (ifMatch !== undefined && ifMatch !== '*') throw new AppError('USER_VERSION_MISMATCH');
      if (attempt >= MAX_UPDATE_ATTEMPTS)
        throw new AppError('USER_VERSION_MISMATCH', { detail: 'The user kept changing; retry the request' });
    }
  }

  /**
   * Soft-deletes a user: the row stays for audit; its email, username, externalId and unique attribute values are free again at once.
   * @throws PERMISSION_DENIED; USER_NOT_FOUND.
   */
  async deleteUser(ctx: TenantContext, id: string): Promise<void> {
    requirePermission(ctx.principal, 'users:delete');
    const row = await this.findRow(ctx.tenantId, id);
    if (!row) throw new AppError('USER_NOT_FOUND', { details: { id } });
    await assertCallerCoversUsers(this.db, ctx.principal, ctx.tenantId, [row.id], 'Deleting this user');
    const now = nowIso();
    const deleted = await this.db.transaction().execute(async (trx) => {
      const [last] = await this.toResources(trx, ctx.tenantId, systemPrincipal, [row]);
      const ok = await users.updateAtVersion(trx, ctx.tenantId, row.id, row.version, { deletedAt: now, updatedAt: now });
      if (ok) {
        await users.releaseIdentifiers(trx, ctx.tenantId, row.id);
        await users.releaseExternalId(trx, ctx.tenantId, row.id);
        await releaseAttributeValues(trx, ctx.tenantId, row.id);
        await recordFor(trx, ctx, [{ type: 'user.deleted', resourceType: 'user', resourceId: row.id, data: last }]);
      }
      return ok;
    });
    if (!deleted) throw new AppError('USER_NOT_FOUND', { details: { id } });
  }
}
