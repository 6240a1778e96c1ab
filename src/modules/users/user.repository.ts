import type { Executor } from '../../db/database.js';
import type { NewUserRow, UserRow, UserTable } from './user.table.js';
import { sql, type Updateable } from 'kysely';
import { TENANT_SCOPE } from './user.rules.js';

export const userColumns = [
  'tenantId',
  'id',
  'seq',
  'email',
  'emailNormalized',
  'username',
  'usernameNormalized',
  'passwordHash',
  'givenName',
  'familyName',
  'displayName',
  'nickname',
  'bio',
  'phone',
  'locale',
  'timezone',
  'address',
  'active',
  'emailVerified',
  'requirePasswordChange',
  'externalId',
  'attributes',
  'createdAt',
  'updatedAt',
  'createdBy',
  'version',
  'deletedAt',
  'position',
  'arrivalDate',
  'departureDate',
  'dateOfBirth',
  'cityOfBirth',
  'countryOfBirth',
  'userType',
  'pictureUrl',
] as const;

export async function insert(db: Executor, row: NewUserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

/** One multi-row insert; callers keep chunks small enough for the drivers' parameter limits. */
export async function insertMany(db: Executor, rows: NewUserRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('users').values(rows).execute();
}

/** Removes rows inserted earlier in the same transaction (batch items that lost a uniqueness race). */
export async function deleteMany(db: Executor, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('users').where('tenantId', '=', tenantId).where('id', 'in', ids).execute();
}

export function findByIds(db: Executor, tenantId: string, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(userColumns)
    .where('tenantId', '=', tenantId)
    .where('id', 'in', ids)
    .where('deletedAt', 'is', null)
    .execute();
}

/** A live (not deleted) user of the tenant. */
export function findById(db: Executor, tenantId: string, id: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .select(userColumns)
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .where('deletedAt', 'is', null)
    .executeTakeFirst();
}

/** Updates a user only if it is still at `version`; returns false when another change came first. */
export async function updateAtVersion(
  db: Executor,
  tenantId: string,
  id: string,
  version: number,
  changes: Updateable<UserTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ ...changes, version: version + 1 })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', version)
    .where('deletedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Claims identifiers for a user, in `scope` (the tenant's, unless the user's claims block nobody: see
 * UserIdentifierTable). Rows that another user already holds in the same scope are skipped by the
 * primary key (`ON CONFLICT DO NOTHING`), so the caller learns of every conflict without the
 * transaction aborting; on PostgreSQL a concurrent claim waits for the other transaction to end.
 * @returns the values that were claimed.
 */
export async function claimIdentifiers(
  db: Executor,
  tenantId: string,
  userId: string,
  values: string[],
  scope: string = TENANT_SCOPE,
): Promise<Set<string>> {
  const claimed = await claimIdentifiersMany(
    db,
    tenantId,
    values.map((value) => ({ userId, value, scope })),
  );
  return new Set(claimed.map((c) => c.value));
}

/** `claimIdentifiers` for many users in one statement; returns the claims that succeeded. */
export async function claimIdentifiersMany(
  db: Executor,
  tenantId: string,
  claims: Array<{ userId: string; value: string; scope?: string }>,
): Promise<Array<{ userId: string; value: string }>> {
  if (claims.length === 0) return [];
  return db
    .insertInto('userIdentifiers')
    .values(claims.map((c) => ({ tenantId, userId: c.userId, value: c.value, scope: c.scope ?? TENANT_SCOPE })))
    .onConflict((oc) => oc.columns(['tenantId', 'value', 'scope']).doNothing())
    .returning(['userId', 'value'])
    .execute();
}

/**
 * Moves a user's identifiers into `scope` (a deactivation or reactivation where `users.uniqueAmong` is
 * `active`): claimed there first, the old rows removed after, so the move into the tenant's scope is
 * decided by the primary key like any claim.
 * @returns the values another user holds in `scope` (none when `scope` is the user's own).
 */
export async function moveIdentifiers(db: Executor, tenantId: string, userId: string, scope: string): Promise<Set<string>> {
  const held = await db
    .selectFrom('userIdentifiers')
    .select('value')
    .where('tenantId', '=', tenantId)
    .where('userId', '=', userId)
    .where('scope', '!=', scope)
    .execute();
  if (held.length === 0) return new Set();
  const claimed = await claimIdentifiers(
    db,
    tenantId,
    userId,
    held.map((h) => h.value),
    scope,
  );
  await db
    .deleteFrom('userIdentifiers')
    .where('tenantId', '=', tenantId)
    .where('userId', '=', userId)
    .where('scope', '!=', scope)
    .execute();
  return new Set(held.map((h) => h.value).filter((v) => !claimed.has(v)));
}

/**
 * Moves the identifiers of every deactivated live user of the tenant into the users' own scopes
 * (`users.uniqueAmong` turned to `active`), in one statement.
 */
export async function scopeInactiveUsersIdentifiers(db: Executor, tenantId: string): Promise<void> {
  await db
    .updateTable('userIdentifiers')
    .set({ scope: sql<string>`user_id` })
    .where('tenantId', '=', tenantId)
    .where('scope', '=', TENANT_SCOPE)
    .where('userId', 'in', (eb) =>
      eb.selectFrom('users').select('id').where('tenantId', '=', tenantId).where('active', '=', false).where('deletedAt', 'is', null),
    )
    .execute();
}

/**
 * Moves every user-scoped identifier of the tenant back into the tenant's scope (`users.uniqueAmong`
 * turned back to `all`).
 * @returns how many could not be moved because another user holds the value; the caller rolls back then.
 */
export async function unscopeIdentifiers(db: Executor, tenantId: string): Promise<number> {
  const scoped = await db
    .selectFrom('userIdentifiers')
    .select(['userId', 'value'])
    .where('tenantId', '=', tenantId)
    .where('scope', '!=', TENANT_SCOPE)
    .execute();
  if (scoped.length === 0) return 0;
  let won = 0;
  for (let i = 0; i < scoped.length; i += 500) won += (await claimIdentifiersMany(db, tenantId, scoped.slice(i, i + 500))).length;
  await db.deleteFrom('userIdentifiers').where('tenantId', '=', tenantId).where('scope', '!=', TENANT_SCOPE).execute();
  return scoped.length - won;
}

export async function releaseIdentifiers(db: Executor, tenantId: string, userId: string, values?: string[]): Promise<void> {
  if (values?.length === 0) return;
  let query = db.deleteFrom('userIdentifiers').where('tenantId', '=', tenantId).where('userId', '=', userId);
  if (values) query = query.where('value', 'in', values);
  await query.execute();
}

/** Identifiers among `values` that live users already hold tenant-wide: a cheap early answer before hashing a password. */
export async function findTakenIdentifiers(db: Executor, tenantId: string, values: string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < values.length; i += 1000) {
    const slice = values.slice(i, i + 1000);
    const rows = await db
      .selectFrom('userIdentifiers')
      .select('value')
      .where('tenantId', '=', tenantId)
      .where('value', 'in', slice)
      .where('scope', '=', TENANT_SCOPE)
      .execute();
    for (const row of rows) taken.add(row.value);
  }
  return taken;
}

/**
 * The live user holding any of these identifiers (normalised email or username key): the one holding
 * it tenant-wide first; otherwise a deactivated user whose claims block nobody.
 */
export async function findByIdentifier(db: Executor, tenantId: string, values: string[]): Promise<UserRow | undefined> {
  if (values.length === 0) return undefined;
  return db
    .selectFrom('userIdentifiers')
    .innerJoin('users', (j) => j.onRef('users.tenantId', '=', 'userIdentifiers.tenantId').onRef('users.id', '=', 'userIdentifiers.userId'))
    .select(userColumns.map((c) => `users.${c}` as const))
    .where('userIdentifiers.tenantId', '=', tenantId)
    .where('userIdentifiers.value', 'in', values)
    .where('users.deletedAt', 'is', null)
    .orderBy('userIdentifiers.scope')
    .orderBy('users.id', 'desc')
    .executeTakeFirst();
}

/** Replaces a stored hash (an upgrade to argon2id at login); not a change the user's version records. */
export async function updatePasswordHash(db: Executor, tenantId: string, id: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ passwordHash }).where('tenantId', '=', tenantId).where('id', '=', id).execute();
}

/**
 * Claims externalIds for users, as claimIdentifiersMany does identifiers: a value another live user
 * holds is skipped by user_external_ids' primary key, so each loser is known without aborting.
 * @returns the claims that succeeded.
 */
export async function claimExternalIdsMany(
  db: Executor,
  tenantId: string,
  claims: Array<{ userId: string; value: string }>,
): Promise<Array<{ userId: string; value: string }>> {
  if (claims.length === 0) return [];
  return db
    .insertInto('userExternalIds')
    .values(claims.map((c) => ({ tenantId, userId: c.userId, value: c.value })))
    .onConflict((oc) => oc.columns(['tenantId', 'value']).doNothing())
    .returning(['userId', 'value'])
    .execute();
}

/** Frees the user's externalId (all of them when no value is named: the user is deleted). */
export async function releaseExternalId(db: Executor, tenantId: string, userId: string, value?: string): Promise<void> {
  let query = db.deleteFrom('userExternalIds').where('tenantId', '=', tenantId).where('userId', '=', userId);
  if (value !== undefined) query = query.where('value', '=', value);
  await query.execute();
}

/** ExternalIds among `values` that live users already hold: the early answer; the claim decides. */
export async function findTakenExternalIds(db: Executor, tenantId: string, values: string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < values.length; i += 1000) {
    const rows = await db
      .selectFrom('userExternalIds')
      .select('value')
      .where('tenantId', '=', tenantId)
      .where('value', 'in', values.slice(i, i + 1000))
      .execute();
    for (const row of rows) taken.add(row.value);
  }
  return taken;
}
