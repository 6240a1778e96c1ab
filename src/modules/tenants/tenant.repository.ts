import type { Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors/app-error.js';
import type { NewTenantRow, TenantRow } from './tenant.table.js';

const columns = ['id', 'seq', 'slug', 'name', 'defaultLocale', 'defaultTimezone', 'settings', 'createdAt', 'updatedAt'] as const;

/** @throws TENANT_SLUG_TAKEN when the slug exists (decided by the unique index). */
export async function insert(db: Executor, row: NewTenantRow): Promise<TenantRow> {
  try {
    return await db.insertInto('tenants').values(row).returning(columns).executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('TENANT_SLUG_TAKEN', { details: { slug: row.slug } });
    throw error;
  }
}

export function findById(db: Executor, id: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(columns).where('id', '=', id).executeTakeFirst();
}

export function findBySlug(db: Executor, slug: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(columns).where('slug', '=', slug).executeTakeFirst();
}

export function findBySeq(db: Executor, seq: number): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(columns).where('seq', '=', seq).executeTakeFirst();
}

export function list(db: Executor, options: { after?: string | undefined; limit: number }): Promise<TenantRow[]> {
  let query = db.selectFrom('tenants').select(columns).orderBy('id').limit(options.limit);
  if (options.after) query = query.where('id', '>', options.after);
  return query.execute();
}

export async function updateSettings(
  db: Executor,
  id: string,
  changes: { defaultLocale: string; defaultTimezone: string; settings: string; updatedAt: string },
): Promise<void> {
  await db.updateTable('tenants').set(changes).where('id', '=', id).execute();
}
