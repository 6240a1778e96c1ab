import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB, Executor } from '../../db/database.js';
import { userColumns } from './user.repository.js';
import type { UserRow } from './user.table.js';

export interface UserFilter {
  emailNormalized?: string | undefined;
  usernameNormalized?: string | undefined;
  externalId?: string | undefined;
  active?: boolean | undefined;
  emailVerified?: boolean | undefined;
  /** Users holding this role (by id). */
  roleId?: string | undefined;
  /** Members of this group (by id). */
  groupId?: string | undefined;
  /** ISO instants, as stored: at or after, and strictly before. */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** Prefix of a normalised identifier (an email or a username key). */
  identifierPrefix?: string | undefined;
  /** Prefix of a given, family or display name, lower-cased. */
  namePrefix?: string | undefined;
}

/** `id` is creation order (UUIDv7); the others are columns a person sorts a list by. */
export type SortKey = 'id' | 'createdAt' | 'email' | 'username' | 'familyName';

export interface ListSortSpec {
  key: SortKey;
  desc: boolean;
}

/**
 * Where a page ended: the sort value of its last user (null when the user has none: those come last)
 * and its id, the tie-breaker.
 */
export interface ListPosition {
  value: string | null;
  id: string;
}

type UsersEb = ExpressionBuilder<DB, 'users'>;

/** `text` as a LIKE pattern matching itself as a prefix: its own wildcards are escaped. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Above this many identifiers matching a search prefix, the page is read with the match as a
 * semi-join (dense matches fill it fast); at or below it, the matching users are fetched by id.
 */
const SPARSE_MATCHES = 2000;

/**
 * The filters as a condition on `users`, built once per request: a search prefix is looked up first
 * (`null` when nothing matches, so the caller answers at once).
 */
export async function filterCondition(
  db: Executor,
  tenantId: string,
  filter: UserFilter,
): Promise<((eb: UsersEb) => Expression<SqlBool>) | null> {
  let matchingIds: string[] | undefined;
  let denseMatch = false;
  const matching = (prefix: string) => {
    // A range over user_identifiers' primary key bounds the index scan; LIKE keeps the answer exact whatever the collation.
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return db
      .selectFrom('userIdentifiers')
      .select('userId')
      .where('tenantId', '=', tenantId)
      .where('value', '>=', prefix)
      .where('value', '<', upper)
      .where(sql.ref('value'), 'like', sql<string>`${likePrefix(prefix)} escape '\\'`);
  };
  if (filter.identifierPrefix !== undefined) {
    const sparse = await matching(filter.identifierPrefix)
      .limit(SPARSE_MATCHES + 1)
      .execute();
    if (sparse.length === 0) return null;
    if (sparse.length <= SPARSE_MATCHES) matchingIds = [...new Set(sparse.map((m) => m.userId))];
    else denseMatch = true;
  }
  return (eb) => {
    const conditions: Array<Expression<SqlBool>> = [eb('tenantId', '=', tenantId), eb('deletedAt', 'is', null)];
    if (filter.emailNormalized !== undefined) conditions.push(eb('emailNormalized', '=', filter.emailNormalized));
    if (filter.usernameNormalized !== undefined) conditions.push(eb('usernameNormalized', '=', filter.usernameNormalized));
    if (filter.externalId !== undefined) conditions.push(eb('externalId', '=', filter.externalId));
    if (filter.active !== undefined) conditions.push(eb('active', '=', filter.active));
    if (filter.emailVerified !== undefined) conditions.push(eb('emailVerified', '=', filter.emailVerified));
    if (filter.createdAfter !== undefined) conditions.push(eb('createdAt', '>=', filter.createdAfter));
    if (filter.createdBefore !== undefined) conditions.push(eb('createdAt', '<', filter.createdBefore));
    if (filter.roleId !== undefined) {
      // Semi-joins on the membership tables' (role_id|group_id, tenant_id) indexes.
      const roleId = filter.roleId;
      conditions.push(
        eb('id', 'in', eb.selectFrom('userRoles').select('userId').where('roleId', '=', roleId).where('userRoles.tenantId', '=', tenantId)),
      );
    }
    if (filter.groupId !== undefined) {
      const groupId = filter.groupId;
      conditions.push(
        eb(
          'id',
          'in',
          eb.selectFrom('userGroups').select('userId').where('groupId', '=', groupId).where('userGroups.tenantId', '=', tenantId),
        ),
      );
    }
    if (matchingIds) conditions.push(eb('id', 'in', matchingIds));
    if (denseMatch && filter.identifierPrefix !== undefined) conditions.push(eb('id', 'in', matching(filter.identifierPrefix)));
    if (filter.namePrefix !== undefined) {
      // Names have no prefix index (one per name column would cost every create): the tenant is read in order until the page fills.
      const pattern = likePrefix(filter.namePrefix);
      conditions.push(
        eb.or(
          (['givenName', 'familyName', 'displayName'] as const).map((column) =>
            eb(sql`lower(${sql.ref(column)})`, 'like', sql`${pattern} escape '\\'`),
          ),
        ),
      );
    }
    return eb.and(conditions);
  };
}

/** The expression a sort orders by; text sorts use the forms the indexes hold (normalised, lower-cased). */
function sortExpression(key: Exclude<SortKey, 'id'>) {
  switch (key) {
    case 'createdAt':
      return sql.ref('createdAt');
    case 'email':
      return sql.ref('emailNormalized');
    case 'username':
      return sql.ref('usernameNormalized');
    case 'familyName':
      return sql`lower(${sql.ref('familyName')})`;
  }
}

/** The sort value of a row, as `sortExpression` computes it, for the next page's cursor. */
export function sortValueOf(row: UserRow, key: Exclude<SortKey, 'id'>): string | null {
  switch (key) {
    case 'createdAt':
      return row.createdAt instanceof Date ? row.createdAt.toISOString() : row.createdAt;
    case 'email':
      return row.emailNormalized;
    case 'username':
      return row.usernameNormalized;
    case 'familyName':
      return row.familyName === null ? null : row.familyName.toLowerCase();
  }
}

/**
 * One page of users matching `where`, in `sort` order, after `after`. A sorted page is read in two
 * parts, each an index range: users having the sort value, then (when the page is not full) users
 * without it in id order, so nulls come last in either direction on both databases and the keyset
 * `(value, id)` stays exact.
 */
export async function listPage(
  db: Executor,
  tenantId: string,
  where: (eb: UsersEb) => Expression<SqlBool>,
  sort: ListSortSpec,
  after: ListPosition | undefined,
  limit: number,
): Promise<UserRow[]> {
  const base = () => db.selectFrom('users').select(userColumns).where(where);
  const idOp = sort.desc ? '<' : '>';
  const direction = sort.desc ? 'desc' : 'asc';
  if (sort.key === 'id') {
    let query = base();
    if (after) query = query.where('id', idOp, after.id);
    return query.orderBy('id', direction).limit(limit).execute();
  }
  const expr = sortExpression(sort.key);
  // `family_name is not null` (not its lower()) matches the partial index's predicate.
  const present = sort.key === 'familyName' ? sql.ref('familyName') : expr;
  const rows: UserRow[] = [];
  if (!after || after.value !== null) {
    let query = base().where(present, 'is not', null);
    if (after) {
      // Row-value comparisons led by tenant_id, which PostgreSQL turns into an index range start: the
      // first over (tenant_id, value) serves indexes without id (email, username), the second decides ties.
      const tenant = sql.ref('tenantId');
      const value = after.value as string;
      query = query
        .where(sql<SqlBool>`(${tenant}, ${expr}) ${sql.raw(sort.desc ? '<=' : '>=')} (${tenantId}, ${value})`)
        .where(sql<SqlBool>`(${tenant}, ${expr}, ${sql.ref('id')}) ${sql.raw(idOp)} (${tenantId}, ${value}, ${after.id})`);
    }
    rows.push(...(await query.orderBy(expr, direction).orderBy('id', direction).limit(limit).execute()));
  }
  // createdAt is never null: no second part.
  if (rows.length < limit && sort.key !== 'createdAt') {
    let query = base().where(present, 'is', null);
    if (after?.value === null) query = query.where('id', idOp, after.id);
    rows.push(
      ...(await query
        .orderBy('id', direction)
        .limit(limit - rows.length)
        .execute()),
    );
  }
  return rows;
}

/** How many users match `where` (`count=true`). */
export async function countUsers(db: Executor, where: (eb: UsersEb) => Expression<SqlBool>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where(where)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
