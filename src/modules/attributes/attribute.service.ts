import type { Db, Executor } from '../../db/database.js';
import { isPrototypeKey, nullObject, setOwn } from '../../lib/safe-input.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { nowIso, toIso } from '../../lib/time.js';
import { requirePermission, type Principal, type TenantContext } from '../context.js';
import * as attributes from './attribute.repository.js';
import type { AttributeClaim, AttributeRecord } from './attribute.repository.js';
import { PatternBudget } from '../../rules/tenant-pattern.js';
import { checkAttributeValue, checkDefinition, uniqueKeyOf, type AttributeRule } from './attribute.rules.js';
import type { AttributeDefinition, CreateAttributeInput, PatchAttributeInput } from './attribute.schemas.js';

export type { AttributeClaim } from './attribute.repository.js';
export const claimAttributeValues = attributes.claimValues;
export const claimAttributeValuesMany = attributes.claimValuesMany;
export const releaseAttributeValues = attributes.releaseValues;
export const findTakenAttributeValues = attributes.findTakenValues;
export const listAttributeDefinitions = attributes.list;

function toResponse(record: AttributeRecord): AttributeDefinition {
  const { key, createdAt, updatedAt, ...rule } = record;
  return {
    ...rule,
    key,
    required: rule.required ?? false,
    unique: rule.unique ?? false,
    readPermission: rule.readPermission ?? null,
    writePermission: rule.writePermission ?? null,
    createdAt: toIso(createdAt),
    updatedAt: toIso(updatedAt),
  } as AttributeDefinition;
}

export interface PreparedAttributes {
  values: Record<string, unknown>;
  /** Unique values the user must hold (all of them, not only the changed ones). */
  claims: AttributeClaim[];
  errors: FieldError[];
}

/**
 * Validates a user's attributes against the tenant's definitions: undefined keys, values, the
 * caller's write permission, defaults (on create) and required keys. All errors are collected.
 * @param changed the attributes the request sets (a create body, or the members of a patch).
 * @param merged the attributes the user will hold.
 */
export function prepareAttributes(
  definitions: AttributeRecord[],
  principal: Principal,
  changed: Record<string, unknown>,
  merged: Record<string, unknown>,
  isCreate: boolean,
): PreparedAttributes {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const errors: FieldError[] = [];
  // One budget for every pattern this user's attributes are checked against (tenant-pattern.ts).
  const patternBudget = new PatternBudget();
  // Keys come from input: the values live on a prototype-less object and are tested with hasOwn, so
  // a key like `constructor` or `toString` is an ordinary (unknown or defined) attribute, never inherited.
  const values = nullObject();
  for (const [key, value] of Object.entries(merged)) if (!isPrototypeKey(key)) setOwn(values, key, value);
  for (const key of Object.keys(changed)) {
    const path = `/attributes/${key}`;
    const rule = byKey.get(key);
    if (!rule) {
      errors.push(fieldError(path, 'ATTRIBUTE_UNKNOWN', `No attribute "${key}" is defined; define it with POST /v1/attributes`));
      continue;
    }
    if (rule.writePermission && !principal.permissions.has(rule.writePermission)) {
      errors.push(fieldError(path, 'ATTRIBUTE_FORBIDDEN', `Setting "${key}" needs the "${rule.writePermission}" permission`));
      continue;
    }
    if (!Object.hasOwn(merged, key)) continue;
    const checked = checkAttributeValue(rule, merged[key], patternBudget);
    if (checked.ok) setOwn(values, key, checked.value);
    else errors.push(fieldError(path, 'ATTRIBUTE_INVALID', `"${key}" ${checked.reason}`));
  }
  for (const rule of definitions) {
    if (isCreate && !Object.hasOwn(values, rule.key) && rule.default !== undefined) setOwn(values, rule.key, rule.default);
    if (rule.required && !Object.hasOwn(values, rule.key))
      errors.push(fieldError(`/attributes/${rule.key}`, 'ATTRIBUTE_REQUIRED', `"${rule.key}" is required`));
  }
  const claims = definitions
    .filter((d) => d.unique && Object.hasOwn(values, d.key))
    .map((d) => ({ key: d.key, value: uniqueKeyOf(values[d.key]), ...(mayRead(d, principal) ? {} : { hidden: true }) }));
  return { values, claims, errors };
}

function mayRead(definition: AttributeRecord, principal: Principal): boolean {
  return !definition.readPermission || principal.permissions.has(definition.readPermission);
}

/**
 * The field errors for unique values another user holds. An attribute the caller may read is named
 * (`/attributes/<key>`). One the caller may not read is not: every such conflict is one error at
 * `/attributes`, so a caller sending several hidden values cannot tell which of them exists. That a
 * hidden value it tried to store is taken somewhere the caller still learns (the write cannot succeed);
 * a tenant that must hide even that gives the attribute a writePermission as narrow as its readPermission.
 */
export function attributeTakenErrors(lost: AttributeClaim[]): FieldError[] {
  const named = lost.filter((c) => !c.hidden).map((c) => fieldError(`/attributes/${c.key}`, 'ATTRIBUTE_TAKEN'));
  return lost.some((c) => c.hidden)
    ? [...named, fieldError('/attributes', 'ATTRIBUTE_TAKEN', 'Another user has the value of a unique attribute sent here')]
    : named;
}

/** The attributes a principal may see: definitions with a read permission the principal lacks are hidden. */
export function visibleAttributes(
  definitions: AttributeRecord[],
  principal: Principal,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const hidden = new Set(definitions.filter((d) => !mayRead(d, principal)).map((d) => d.key));
  return hidden.size === 0 ? values : Object.fromEntries(Object.entries(values).filter(([k]) => !hidden.has(k)));
}

/** Custom attribute definitions of a tenant (`/v1/attributes`). */
export class AttributeService {
  constructor(private readonly db: Db) {}

  definitions(db: Executor, tenantId: string): Promise<AttributeRecord[]> {
    return attributes.list(db, tenantId);
  }

  /** @throws PERMISSION_DENIED; VALIDATION_FAILED; ATTRIBUTE_KEY_TAKEN */
  async createAttribute(ctx: TenantContext, input: CreateAttributeInput): Promise<AttributeDefinition> {
    requirePermission(ctx.principal, 'attributes:manage');
    const { key, ...rule } = input;
    const errors = checkDefinition(rule as AttributeRule);
    // Attribute keys become member names of every user's attributes: never a prototype name.
    if (isPrototypeKey(key)) errors.push(fieldError('/key', 'FIELD_NAME_FORBIDDEN'));
    throwIfFieldErrors(errors);
    const now = nowIso();
    await attributes.insert(this.db, ctx.tenantId, key, rule as AttributeRule, now);
    return toResponse({ ...(rule as AttributeRule), key, createdAt: now, updatedAt: now });
  }

  /** @throws PERMISSION_DENIED */
  async listAttributes(ctx: TenantContext): Promise<AttributeDefinition[]> {
    requirePermission(ctx.principal, 'users:read');
    return (await attributes.list(this.db, ctx.tenantId)).map(toResponse);
  }

  /**
   * Changes a definition; it applies to users created or changed afterwards. Making an attribute
   * unique is refused here because existing values would not be claimed.
   * @throws PERMISSION_DENIED; ATTRIBUTE_NOT_FOUND; VALIDATION_FAILED
   */
  async updateAttribute(ctx: TenantContext, key: string, patch: PatchAttributeInput): Promise<AttributeDefinition> {
    requirePermission(ctx.principal, 'attributes:manage');
    const current = await this.find(ctx.tenantId, key);
    const { key: _key, createdAt, updatedAt: _updated, ...rule } = current;
    const next = { ...rule, ...patch } as AttributeRule;
    const errors = checkDefinition(next);
    if (next.unique && !rule.unique)
      errors.push(fieldError('/unique', 'FIELD_INVALID', 'Uniqueness can only be chosen when the attribute is defined'));
    throwIfFieldErrors(errors);
    const now = nowIso();
    await attributes.update(this.db, ctx.tenantId, key, next, now);
    return toResponse({ ...next, key, createdAt, updatedAt: now });
  }

  /** Deleting a definition leaves stored values in place but no longer accepts new ones. @throws PERMISSION_DENIED; ATTRIBUTE_NOT_FOUND */
  async deleteAttribute(ctx: TenantContext, key: string): Promise<void> {
    requirePermission(ctx.principal, 'attributes:manage');
    await this.find(ctx.tenantId, key);
    await attributes.remove(this.db, ctx.tenantId, key);
  }

  private async find(tenantId: string, key: string): Promise<AttributeRecord> {
    const record = (await attributes.list(this.db, tenantId)).find((d) => d.key === key);
    if (!record) throw new AppError('ATTRIBUTE_NOT_FOUND', { details: { key } });
    return record;
  }
}
