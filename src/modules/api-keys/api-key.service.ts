import type { Db } from '../../db/database.js';
import { AppError, fieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { digestsEqual, randomBase62, sha256Hex } from '../../lib/secrets.js';
import { nowIso, toIso } from '../../lib/time.js';
import { actorRef, requirePermission, type Principal } from '../context.js';
import { actorOf, recordEvents } from '../events/event.service.js';
import { PLATFORM_ADMIN_ROLE, platformPermissions } from '../roles/permissions.js';
import { assertCallerCovers, assertCanGrant, loadRoles, permissionsOfRow, roleById } from '../roles/role.service.js';
import * as keys from './api-key.repository.js';
import { PrincipalCache } from './principal-cache.js';
import { KEY_PREFIX_PATTERN, type ApiKey, type CreateApiKeyInput, type CreatedApiKey, type PatchApiKeyInput } from './api-key.schemas.js';
import type { ApiKeyRow } from './api-key.table.js';

const PREFIX_LENGTH = 20;
const DEFAULT_PREFIX = 'rst_';
const RANDOM_LENGTH = 48;
/** How much of a custom-prefixed key is stored in clear to find it: all of it but the last 32 random characters. */
const HIDDEN_LENGTH = 32;
const CUSTOM_PREFIX = new RegExp(`^${KEY_PREFIX_PATTERN}$`);
const CUSTOM_KEY = new RegExp(`^${KEY_PREFIX_PATTERN}[A-Za-z0-9]{${RANDOM_LENGTH}}$`);

/** The stored, indexed part of a key: `rst_` keys (also configured ones, which may be longer) keep 20 characters. */
function lookupPart(token: string): string {
  return token.startsWith(DEFAULT_PREFIX) ? token.slice(0, PREFIX_LENGTH) : token.slice(0, token.length - HIDDEN_LENGTH);
}
const ENV_ADMIN_KEY_NAME = 'ROSTER_ADMIN_KEY';
/** Platform keys hold every permission by being platform keys, not through a tenant role. */
const PLATFORM_ROLE = { name: PLATFORM_ADMIN_ROLE, id: null };

/** A new key: `rst_` (or a custom prefix) + 48 base62 characters (286 bits). */
export function generateApiKey(prefix = DEFAULT_PREFIX): string {
  return `${prefix}${randomBase62(RANDOM_LENGTH)}`;
}

/** The public form: the role by name (its current name; the name given at creation once the role is gone). */
function toApiKeyResponse(row: ApiKeyRow & { currentRoleName?: string | null }): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    role: row.currentRoleName ?? row.role,
    prefix: row.prefix,
    createdAt: toIso(row.createdAt),
    createdBy: row.createdBy,
    revokedAt: row.revokedAt === null ? null : toIso(row.revokedAt),
  };
}

export class ApiKeyService {
  constructor(
    private readonly db: Db,
    /** Off unless given: the server passes one sized by ROSTER_AUTH_CACHE_MS. */
    private readonly cache = new PrincipalCache(0),
  ) {}

  /**
   * Resolves a presented bearer token to its principal, or undefined when it is unknown or revoked.
   * The stored SHA-256 is compared in constant time.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    const usual = token.startsWith(DEFAULT_PREFIX) && token.length >= PREFIX_LENGTH + 8 && token.length <= 512;
    if (!usual && !CUSTOM_KEY.test(token)) return undefined;
    const digest = sha256Hex(token);
    const cached = this.cache.get(digest);
    if (cached) return cached;
    const row = await keys.findByPrefixWithRole(this.db, lookupPart(token));
    if (!row || row.revokedAt !== null || !digestsEqual(row.secretHash, digest)) return undefined;
    let permissions: string[] = [...platformPermissions];
    if (row.tenantId !== null) {
      // A tenant key whose role was deleted (or never resolved to one) is refused: nothing can re-arm it.
      if (row.roleName === null || row.roleBuiltin === null || row.rolePermissions === null) return undefined;
      permissions = permissionsOfRow({ name: row.roleName, builtin: row.roleBuiltin, permissions: row.rolePermissions });
    }
    const principal: Principal = {
      kind: 'api_key',
      id: row.id,
      tenantId: row.tenantId,
      role: row.roleName ?? row.role,
      permissions: new Set(permissions),
    };
    this.cache.set(digest, principal);
    return principal;
  }

  /** Forgets every cached key: a role's permissions or a key's status changed. */
  forgetAuthenticated(): void {
    this.cache.clear();
  }

  /**
   * Creates a key for the tenant (or a platform key when `tenantId` is null) and returns its secret once.
   * A caller may only hand out a role whose permissions it holds itself.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED (ROLE_UNKNOWN).
   */
  async createKey(principal: Principal, tenantId: string | null, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    let role = PLATFORM_ADMIN_ROLE;
    let roleId: string | null = null;
    if (tenantId === null) {
      requirePermission(principal, 'tenants:manage');
    } else {
      requirePermission(principal, 'keys:manage');
      role = input.role ?? 'admin';
      // The name is resolved to the role's id here, once: the key holds that role whatever it is called later.
      const record = (await loadRoles(this.db, tenantId, [role])).get(role);
      if (!record) throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/role', 'ROLE_UNKNOWN', `No role named "${role}"`)] });
      assertCanGrant(principal, record.permissions, `role "${role}"`);
      roleId = record.id;
    }
    if (input.prefix !== undefined && !CUSTOM_PREFIX.test(input.prefix)) {
      throw new AppError('VALIDATION_FAILED', {
        errors: [fieldError('/prefix', 'FIELD_INVALID', 'A prefix is lower-case letters and digits ending in "_", such as "flt_sk_"')],
      });
    }
    const secret = generateApiKey(input.prefix ?? DEFAULT_PREFIX);
    const row = await this.db.transaction().execute(async (trx) => {
      const inserted = await this.insertKey(tenantId, input.name, { name: role, id: roleId }, secret, actorRef(principal), trx);
      if (tenantId !== null) {
        await recordEvents(trx, tenantId, actorOf(principal, null), [
          { type: 'api_key.created', resourceType: 'api_key', resourceId: inserted.id, data: toApiKeyResponse(inserted) },
        ]);
      }
      return inserted;
    });
    return { ...toApiKeyResponse(row), secret };
  }

  /** @throws PERMISSION_DENIED */
  async listKeys(principal: Principal, tenantId: string | null): Promise<ApiKey[]> {
    requirePermission(principal, tenantId === null ? 'tenants:manage' : 'keys:manage');
    return (await keys.list(this.db, tenantId)).map((row) => toApiKeyResponse(row));
  }

  /**
   * Renames a key or gives it another role of its tenant. The key's secret stays the same. The privilege
   * guard applies twice: the caller must hold every permission of the key's current role (changing a key
   * is changing a credential) and of the new one (granting it).
   * @throws PERMISSION_DENIED; API_KEY_NOT_FOUND; VALIDATION_FAILED (ROLE_UNKNOWN, FIELD_INVALID)
   */
  async updateKey(principal: Principal, tenantId: string | null, id: string, patch: PatchApiKeyInput): Promise<ApiKey> {
    requirePermission(principal, tenantId === null ? 'tenants:manage' : 'keys:manage');
    const row = isUuid(id) ? await keys.findById(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!row) throw new AppError('API_KEY_NOT_FOUND', { details: { id } });
    const current = row.tenantId !== null && row.roleId !== null ? await roleById(this.db, row.tenantId, row.roleId) : undefined;
    if (current) assertCallerCovers(principal, current.permissions, `Changing API key "${row.name}"`);
    let role = { name: row.currentRoleName ?? row.role, id: row.roleId };
    if (patch.role !== undefined && patch.role !== role.name) {
      if (row.tenantId === null) {
        throw new AppError('VALIDATION_FAILED', {
          errors: [fieldError('/role', 'FIELD_INVALID', 'A platform key holds every permission; it has no tenant role to change')],
        });
      }
      const record = (await loadRoles(this.db, row.tenantId, [patch.role])).get(patch.role);
      if (!record)
        throw new AppError('VALIDATION_FAILED', { errors: [fieldError('/role', 'ROLE_UNKNOWN', `No role named "${patch.role}"`)] });
      assertCanGrant(principal, record.permissions, `role "${patch.role}"`);
      role = { name: record.name, id: record.id };
    }
    const next = { ...row, name: patch.name ?? row.name, role: role.name, roleId: role.id, currentRoleName: role.name };
    await this.db.transaction().execute(async (trx) => {
      await keys.update(trx, row.id, { name: next.name, role: next.role, roleId: next.roleId });
      if (tenantId !== null) {
        await recordEvents(trx, tenantId, actorOf(principal, null), [
          { type: 'api_key.updated', resourceType: 'api_key', resourceId: row.id, data: toApiKeyResponse(next) },
        ]);
      }
    });
    // A key that acted as the old role must not keep acting as it from the cache.
    this.cache.clear();
    return toApiKeyResponse(next);
  }

  /** @throws PERMISSION_DENIED; API_KEY_NOT_FOUND */
  async revokeKey(principal: Principal, tenantId: string | null, id: string): Promise<void> {
    requirePermission(principal, tenantId === null ? 'tenants:manage' : 'keys:manage');
    const row = isUuid(id) ? await keys.findById(this.db, tenantId, id) : undefined;
    if (!row) throw new AppError('API_KEY_NOT_FOUND', { details: { id } });
    // Revoking a key takes a credential away from whoever uses it: only a caller holding all it holds may.
    const role = row.tenantId !== null && row.roleId !== null ? await roleById(this.db, row.tenantId, row.roleId) : undefined;
    if (role) assertCallerCovers(principal, role.permissions, `Revoking API key "${row.name}"`);
    const revokedAt = nowIso();
    await this.db.transaction().execute(async (trx) => {
      await keys.revoke(trx, row.id, revokedAt);
      if (tenantId !== null) {
        await recordEvents(trx, tenantId, actorOf(principal, null), [
          { type: 'api_key.deleted', resourceType: 'api_key', resourceId: row.id, data: toApiKeyResponse({ ...row, revokedAt }) },
        ]);
      }
    });
    this.cache.clear();
  }

  /**
   * Start-up: makes the key in ROSTER_ADMIN_KEY a live platform key (replacing the previous one),
   * or, when no key exists at all and none is configured, creates one and returns it to be shown once.
   */
  async ensureAdminKey(configured: string | undefined): Promise<string | undefined> {
    if (configured !== undefined) {
      const current = await keys.findActiveByName(this.db, null, ENV_ADMIN_KEY_NAME);
      if (current && digestsEqual(current.secretHash, sha256Hex(configured))) return undefined;
      await this.db.transaction().execute(async (trx) => {
        if (current) await keys.revoke(trx, current.id, nowIso());
        this.cache.clear();
        const clash = await keys.findByPrefix(trx, configured.slice(0, PREFIX_LENGTH));
        if (clash) throw new Error('ROSTER_ADMIN_KEY shares its first 20 characters with another key; choose a new value');
        await this.insertKey(null, ENV_ADMIN_KEY_NAME, PLATFORM_ROLE, configured, 'config', trx);
      });
      return undefined;
    }
    if ((await keys.countAll(this.db)) > 0) return undefined;
    const secret = generateApiKey();
    await this.insertKey(null, 'bootstrap', PLATFORM_ROLE, secret, 'bootstrap');
    return secret;
  }

  private insertKey(
    tenantId: string | null,
    name: string,
    role: { name: string; id: string | null },
    secret: string,
    createdBy: string,
    db: Parameters<typeof keys.insert>[0] = this.db,
  ): Promise<ApiKeyRow> {
    return keys.insert(db, {
      id: newId(),
      tenantId,
      name,
      role: role.name,
      roleId: role.id,
      prefix: lookupPart(secret),
      secretHash: sha256Hex(secret),
      createdAt: nowIso(),
      createdBy,
      revokedAt: null,
    });
  }
}
