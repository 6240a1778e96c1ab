import { readJson } from '../../db/column-types.js';
import type { Db } from '../../db/database.js';
import { defaultPolicies } from '../settings/settings.defaults.js';
import type { TenantSettings } from '../settings/settings.schemas.js';
import { reserveSeq } from '../../db/sequences.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { canonicalLocale, canonicalTimezone } from '../../rules/locale.js';
import { isValidSlug } from '../../rules/slug.js';
import { applyMergePatch } from '../../lib/json-merge-patch.js';
import { requirePermission, type Principal, type TenantContext } from '../context.js';
import { normalizeSettings } from '../settings/settings.rules.js';
import { assertDefaultRolesGrantable } from '../settings/settings.default-roles.js';
import { MailSenderPolicy } from '../mail/mail-sender.js';
import type { PatchSettingsInput } from '../settings/settings.schemas.js';
import { createBuiltinRoles } from '../roles/role.service.js';
import { createPresetRoles, presetNamed } from './tenant-preset.service.js';
import * as tenants from './tenant.repository.js';
import * as users from '../users/user.repository.js';
import type { CreateTenantInput, Tenant } from './tenant.schemas.js';
import type { TenantRow } from './tenant.table.js';

/** Defaults overlaid with what the tenant changed: a tenant always sees every policy member. */
export function effectiveSettings(row: Pick<TenantRow, 'defaultLocale' | 'defaultTimezone' | 'settings'>): TenantSettings {
  const stored = readJson<Partial<TenantSettings>>(row.settings) ?? {};
  return {
    defaultLocale: row.defaultLocale,
    defaultTimezone: row.defaultTimezone,
    defaultPhoneRegion: stored.defaultPhoneRegion ?? defaultPolicies.defaultPhoneRegion,
    email: { ...defaultPolicies.email, ...stored.email },
    username: { ...defaultPolicies.username, ...stored.username },
    password: { ...defaultPolicies.password, ...stored.password },
    batch: { ...defaultPolicies.batch, ...stored.batch },
    mail: { ...defaultPolicies.mail, ...stored.mail },
    names: { ...defaultPolicies.names, ...stored.names },
    users: { ...defaultPolicies.users, ...stored.users },
  };
}

export function toTenantResponse(row: TenantRow): Tenant {
  return {
    id: row.id,
    seq: Number(row.seq),
    slug: row.slug,
    name: row.name,
    defaultLocale: row.defaultLocale,
    defaultTimezone: row.defaultTimezone,
    settings: effectiveSettings(row),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

export class TenantService {
  constructor(
    private readonly db: Db,
    /** The senders a tenant may put in `mail.from` (ROSTER_MAIL_FROM_DOMAINS). */
    private readonly mailSenders = new MailSenderPolicy(),
  ) {}

  /**
   * Creates a tenant with its built-in roles, and the settings and roles of a contract preset when asked (tenant-presets.ts).
   * @throws PERMISSION_DENIED without `tenants:manage`; VALIDATION_FAILED; TENANT_SLUG_TAKEN.
   */
  async createTenant(principal: Principal, input: CreateTenantInput): Promise<Tenant> {
    requirePermission(principal, 'tenants:manage');
    const errors: FieldError[] = [];
    if (!isValidSlug(input.slug)) errors.push(fieldError('/slug', 'SLUG_INVALID'));
    const locale = canonicalLocale(input.defaultLocale ?? 'en');
    if (!locale) errors.push(fieldError('/defaultLocale', 'LOCALE_INVALID'));
    const timezone = canonicalTimezone(input.defaultTimezone ?? 'UTC');
    if (!timezone) errors.push(fieldError('/defaultTimezone', 'TIMEZONE_INVALID'));
    const preset = input.preset === undefined ? undefined : presetNamed(input.preset);
    if (input.preset !== undefined && !preset) errors.push(fieldError('/preset', 'FIELD_INVALID'));
    throwIfFieldErrors(errors);

    const seq = await reserveSeq(this.db, 'platform', 'tenants');
    const now = nowIso();
    const row = await this.db.transaction().execute(async (trx) => {
      const tenant = await tenants.insert(trx, {
        id: newId(),
        seq,
        slug: input.slug,
        name: input.name ?? input.slug,
        defaultLocale: locale as string,
        defaultTimezone: timezone as string,
        settings: JSON.stringify(preset?.settings ?? {}),
        createdAt: now,
        updatedAt: now,
      });
      await createBuiltinRoles(trx, tenant.id);
      if (preset) await createPresetRoles(trx, tenant.id, preset);
      return tenant;
    });
    return toTenantResponse(row);
  }

  /** @throws PERMISSION_DENIED without `tenants:manage`. */
  async listTenants(
    principal: Principal,
    options: { cursor?: string | undefined; limit: number },
  ): Promise<{ data: Tenant[]; nextCursor: string | null }> {
    requirePermission(principal, 'tenants:manage');
    const rows = await tenants.list(this.db, { after: options.cursor, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    return { data: page.map(toTenantResponse), nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null };
  }

  /**
   * The tenant's settings with every default filled in.
   * @throws PERMISSION_DENIED without `settings:manage`.
   */
  async getSettings(ctx: TenantContext): Promise<TenantSettings> {
    requirePermission(ctx.principal, 'settings:manage');
    return (await this.getTenant(ctx.tenantId)).settings;
  }

  /**
   * Applies a JSON Merge Patch to the settings (null resets a member to its default) and validates the result.
   * @throws PERMISSION_DENIED; VALIDATION_FAILED.
   */
  async updateSettings(ctx: TenantContext, patch: PatchSettingsInput): Promise<TenantSettings> {
    requirePermission(ctx.principal, 'settings:manage');
    const row = await tenants.findById(this.db, ctx.tenantId);
    if (!row) throw new AppError('TENANT_NOT_FOUND');
    const stored = (readJson<Record<string, unknown>>(row.settings) ?? {}) as Record<string, unknown>;
    const { defaultLocale, defaultTimezone, ...policyPatch } = patch;
    const merged = applyMergePatch(stored, policyPatch) as Partial<TenantSettings>;
    const { settings, errors } = normalizeSettings(
      effectiveSettings({
        defaultLocale: defaultLocale ?? row.defaultLocale,
        defaultTimezone: defaultTimezone ?? row.defaultTimezone,
        settings: merged,
      }),
      this.mailSenders,
    );
    throwIfFieldErrors(errors);
    if (merged.users?.defaultRoles !== undefined)
      await assertDefaultRolesGrantable(this.db, ctx.principal, row.id, settings.users.defaultRoles);
    // Store only the members the tenant set (in canonical form), so later default changes reach the rest.
    const toStore: Record<string, unknown> = {};
    if (merged.defaultPhoneRegion !== undefined) toStore.defaultPhoneRegion = settings.defaultPhoneRegion;
    for (const key of ['email', 'username', 'password', 'batch', 'mail', 'names', 'users'] as const) {
      // eslint-disable-next-line no-restricted-syntax -- key from the fixed list above
      if (merged[key] !== undefined) toStore[key] = pick(settings[key], Object.keys(merged[key]));
    }
    const uniqueAmongBefore = effectiveSettings(row).users.uniqueAmong;
    await this.db.transaction().execute(async (trx) => {
      await tenants.updateSettings(trx, row.id, {
        defaultLocale: settings.defaultLocale,
        defaultTimezone: settings.defaultTimezone,
        settings: JSON.stringify(toStore),
        updatedAt: nowIso(),
      });
      // The identifiers of deactivated users leave the tenant's scope, or come back to it, with the setting.
      if (settings.users.uniqueAmong === uniqueAmongBefore) return;
      if (settings.users.uniqueAmong === 'active') return users.scopeInactiveUsersIdentifiers(trx, row.id);
      const shared = await users.unscopeIdentifiers(trx, row.id);
      if (shared > 0)
        throw new AppError('SETTINGS_UNIQUENESS_CONFLICT', {
          detail: `${shared} email(s) or username(s) of deactivated users are also held by other users; change or delete those users first`,
          details: { shared },
        });
    });
    return settings;
  }

  /** Finds a tenant by id or slug (the `X-Roster-Tenant` header accepts either). */
  async findTenant(ref: string): Promise<Tenant | undefined> {
    let row = isUuid(ref) ? await tenants.findById(this.db, ref.toLowerCase()) : await tenants.findBySlug(this.db, ref);
    // A tenant's number (`seq`) names it too, as Pulse's x-account-id does; a slug of digits wins.
    if (!row && /^[1-9][0-9]{0,14}$/.test(ref)) row = await tenants.findBySeq(this.db, Number(ref));
    return row ? toTenantResponse(row) : undefined;
  }

  /** @throws TENANT_NOT_FOUND */
  async getTenant(ref: string): Promise<Tenant> {
    const tenant = await this.findTenant(ref);
    if (!tenant) throw new AppError('TENANT_NOT_FOUND', { details: { tenant: ref } });
    return tenant;
  }
}

function pick(source: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([k]) => keys.includes(k)));
}
