import { stringify } from 'csv-stringify/sync';
import type { Executor } from '../../db/database.js';
import { spreadsheetSafe } from '../../lib/csv-safe.js';
import { requirePermission, type TenantContext } from '../context.js';
import { listByUsers } from '../roles/role.repository.js';
import type { User } from '../users/user.schemas.js';
import type { UserService } from '../users/user.service.js';

/**
 * The export is the import's inverse: one place says which columns a CSV export has and how each
 * cell is written, for `roster export` (local or remote) and `GET /v1/exports/users`. Every field of
 * the user resource a create can set is a column; the server-set ones (`id`, `seq`, `updatedAt`)
 * are there for reference and skipped by the import, and `createdAt` is carried over by callers
 * holding `users:import`. NDJSON lines are the user resource as the API gives it, which the import
 * also reads back (import-mapping.ts skips the server-set members).
 */
export const EXPORT_COLUMNS = [
  'id',
  'seq',
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'nickname',
  'bio',
  'phone',
  'locale',
  'timezone',
  'position',
  'arrivalDate',
  'departureDate',
  'dateOfBirth',
  'cityOfBirth',
  'countryOfBirth',
  'active',
  'emailVerified',
  'requirePasswordChange',
  'externalId',
  'userType',
  'pictureUrl',
  'roles',
  'groups',
  'address',
  'attributes',
  'createdAt',
  'updatedAt',
] as const;

export type ExportFormat = 'csv' | 'ndjson';

// Booleans as true/false, which the import reads back (csv-stringify would write 1 and '').
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

/** Text cells pass the CSV-injection rule (csv-safe.ts): a formula-like value is written with a leading `'`, which import drops again. */
export function safeCell(value: unknown): unknown {
  return typeof value === 'string' ? spreadsheetSafe(value) : value;
}

function csvValue(user: User, column: (typeof EXPORT_COLUMNS)[number]): unknown {
  if (column === 'roles') return user.roles.join(';');
  if (column === 'groups') return user.groups.map((g) => `${g.type}:${g.code}`).join(';');
  if (column === 'address') return user.address ? JSON.stringify(user.address) : '';
  if (column === 'attributes') return Object.keys(user.attributes).length > 0 ? JSON.stringify(user.attributes) : '';
  return user[column] ?? '';
}

/** The CSV header line; with hashes, a last `passwordHash` column. */
export function csvHeader(withHashes = false): string {
  return stringify([[...EXPORT_COLUMNS, ...(withHashes ? ['passwordHash'] : [])]], CSV_OPTIONS);
}

/**
 * CSV lines or NDJSON lines for a page of users. `hashes` (given only to callers holding
 * `users:export-secrets`) adds each user's password hash where there is one it may read.
 */
export function exportLines(users: User[], format: ExportFormat, hashes?: Map<string, string>): string {
  if (format === 'ndjson')
    return users
      .map((u) => {
        const hash = hashes?.get(u.id);
        return `${JSON.stringify(hash === undefined ? u : { ...u, passwordHash: hash })}\n`;
      })
      .join('');
  return stringify(
    users.map((u) => [...EXPORT_COLUMNS.map((c) => safeCell(csvValue(u, c))), ...(hashes ? [hashes.get(u.id) ?? ''] : [])]),
    CSV_OPTIONS,
  );
}

/**
 * The stored password hashes of these users (PHC/MCF strings the import accepts as `passwordHash`),
 * for moving users to another instance. Needs `users:export-secrets`. The privilege guard applies
 * as to every change of credentials: a user holding a permission the caller lacks keeps its hash
 * out of the export (the row is exported without it).
 * @throws PERMISSION_DENIED without users:export-secrets.
 */
export async function passwordHashesOf(db: Executor, ctx: TenantContext, ids: string[]): Promise<Map<string, string>> {
  requirePermission(ctx.principal, 'users:export-secrets');
  const hashes = new Map<string, string>();
  if (ids.length === 0) return hashes;
  const [rows, roles] = await Promise.all([
    db
      .selectFrom('users')
      .select(['id', 'passwordHash'])
      .where('tenantId', '=', ctx.tenantId)
      .where('id', 'in', ids)
      .where('deletedAt', 'is', null)
      .execute(),
    listByUsers(db, ctx.tenantId, ids),
  ]);
  for (const row of rows) {
    if (row.passwordHash === null) continue;
    const permissions = (roles.get(row.id) ?? []).flatMap((r) => r.permissions);
    if (permissions.every((p) => ctx.principal.permissions.has(p))) hashes.set(row.id, row.passwordHash);
  }
  return hashes;
}

/**
 * Every live user of the tenant, a page at a time, as export text (CSV with its header, or NDJSON).
 * Check the permissions with `assertCanExport` before the first chunk is sent.
 */
export async function* exportUserText(
  users: UserService,
  db: Executor,
  ctx: TenantContext,
  format: ExportFormat,
  options: { passwordHashes?: boolean } = {},
): AsyncGenerator<string> {
  assertCanExport(ctx, options);
  if (format === 'csv') yield csvHeader(options.passwordHashes === true);
  let cursor: string | undefined;
  do {
    const page = await users.listUsers(ctx, { limit: 200, ...(cursor ? { cursor } : {}) });
    const hashes = options.passwordHashes
      ? await passwordHashesOf(
          db,
          ctx,
          page.data.map((u) => u.id),
        )
      : undefined;
    const text = exportLines(page.data, format, hashes);
    if (text) yield text;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** @throws PERMISSION_DENIED without users:read, or, for password hashes, users:export-secrets. */
export function assertCanExport(ctx: TenantContext, options: { passwordHashes?: boolean }): void {
  requirePermission(ctx.principal, 'users:read');
  if (options.passwordHashes) requirePermission(ctx.principal, 'users:export-secrets');
}
