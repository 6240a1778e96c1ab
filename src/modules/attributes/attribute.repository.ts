import { readJson } from '../../db/column-types.js';
import type { Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors/app-error.js';
import type { AttributeRule } from './attribute.rules.js';

export interface AttributeRecord extends AttributeRule {
  key: string;
  createdAt: string | Date;
  updatedAt: string | Date;
}

export async function list(db: Executor, tenantId: string): Promise<AttributeRecord[]> {
  const rows = await db
    .selectFrom('attributeDefinitions')
    .select(['key', 'definition', 'createdAt', 'updatedAt'])
    .where('tenantId', '=', tenantId)
    .orderBy('key')
    .execute();
  return rows.map((r) => ({ ...readJson<AttributeRule>(r.definition), key: r.key, createdAt: r.createdAt, updatedAt: r.updatedAt }));
}

/** @throws ATTRIBUTE_KEY_TAKEN */
export async function insert(db: Executor, tenantId: string, key: string, rule: AttributeRule, now: string): Promise<void> {
  try {
    await db
      .insertInto('attributeDefinitions')
      .values({ tenantId, key, definition: JSON.stringify(rule), createdAt: now, updatedAt: now })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('ATTRIBUTE_KEY_TAKEN', { details: { key } });
    throw error;
  }
}

export async function update(db: Executor, tenantId: string, key: string, rule: AttributeRule, now: string): Promise<void> {
  await db
    .updateTable('attributeDefinitions')
    .set({ definition: JSON.stringify(rule), updatedAt: now })
    .where('tenantId', '=', tenantId)
    .where('key', '=', key)
    .execute();
}

export async function remove(db: Executor, tenantId: string, key: string): Promise<void> {
  await db.deleteFrom('userAttributeClaims').where('tenantId', '=', tenantId).where('key', '=', key).execute();
  await db.deleteFrom('attributeDefinitions').where('tenantId', '=', tenantId).where('key', '=', key).execute();
}

export interface AttributeClaim {
  key: string;
  value: string;
  /** The caller may not read this attribute: a conflict on it is reported without its name (attributeTakenErrors). Never stored. */
  hidden?: boolean;
}

/**
 * Claims unique attribute values for a user; values another live user holds are skipped by the
 * primary key, so the caller learns of every conflict without the transaction aborting.
 * @returns the claims that could not be made.
 */
export async function claimValues(db: Executor, tenantId: string, userId: string, claims: AttributeClaim[]): Promise<AttributeClaim[]> {
  const won = await claimValuesMany(
    db,
    tenantId,
    claims.map((c) => ({ ...c, userId })),
  );
  return claims.filter((c) => !won.some((r) => r.key === c.key && r.value === c.value));
}

/** Claims for many users in one statement; returns the claims that succeeded. */
export async function claimValuesMany(
  db: Executor,
  tenantId: string,
  claims: Array<AttributeClaim & { userId: string }>,
): Promise<Array<AttributeClaim & { userId: string }>> {
  if (claims.length === 0) return [];
  return db
    .insertInto('userAttributeClaims')
    .values(claims.map((c) => ({ tenantId, userId: c.userId, key: c.key, value: c.value })))
    .onConflict((oc) => oc.columns(['tenantId', 'key', 'value']).doNothing())
    .returning(['userId', 'key', 'value'])
    .execute();
}

export async function releaseValues(db: Executor, tenantId: string, userId: string, claims?: AttributeClaim[]): Promise<void> {
  if (claims?.length === 0) return;
  let query = db.deleteFrom('userAttributeClaims').where('tenantId', '=', tenantId).where('userId', '=', userId);
  if (claims) query = query.where((eb) => eb.or(claims.map((c) => eb.and([eb('key', '=', c.key), eb('value', '=', c.value)]))));
  await query.execute();
}

export async function findTakenValues(db: Executor, tenantId: string, claims: AttributeClaim[]): Promise<AttributeClaim[]> {
  if (claims.length === 0) return [];
  return db
    .selectFrom('userAttributeClaims')
    .select(['key', 'value'])
    .where('tenantId', '=', tenantId)
    .where((eb) => eb.or(claims.map((c) => eb.and([eb('key', '=', c.key), eb('value', '=', c.value)]))))
    .execute();
}
