import { AppError, fieldError } from '../../errors/app-error.js';
import { isUuid } from '../../lib/ids.js';
import { sortValueOf, type ListPosition, type ListSortSpec } from './user-list.repository.js';
import type { ListSort } from './user.schemas.js';
import type { UserRow } from './user.table.js';

/** `sort` as GET /v1/users takes it (`-` is descending) → the repository's spec; none is creation order. */
export function parseListSort(sort: ListSort | undefined): ListSortSpec {
  if (sort === undefined) return { key: 'id', desc: false };
  const desc = sort.startsWith('-');
  return { key: (desc ? sort.slice(1) : sort) as ListSortSpec['key'], desc };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function badCursor(): AppError {
  return new AppError('VALIDATION_FAILED', { errors: [fieldError('/cursor', 'FIELD_INVALID', 'Not a cursor this API returned')] });
}

/**
 * The next page's cursor: in creation order the last id alone (the format lists had before sorting
 * came), otherwise the sort, the last user's sort value and its id, so a cursor read with another
 * sort is refused rather than silently skipping users.
 */
export function encodeListCursor(last: UserRow, sort: ListSort | undefined): string {
  const spec = parseListSort(sort);
  const text = spec.key === 'id' ? last.id : JSON.stringify({ s: sort, v: sortValueOf(last, spec.key), i: last.id });
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** @throws VALIDATION_FAILED (FIELD_INVALID at /cursor) for a cursor this API did not give for this sort. */
export function decodeListCursor(cursor: string, sort: ListSort | undefined): ListPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (sort === undefined) {
    if (!isUuid(text)) throw badCursor();
    return { value: null, id: text };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badCursor();
  }
  if (typeof parsed !== 'object' || parsed === null) throw badCursor();
  const { s, v, i } = parsed as Record<string, unknown>;
  if (s !== sort || typeof i !== 'string' || !isUuid(i)) throw badCursor();
  if (parseListSort(sort).key === 'createdAt') {
    // Compared with a timestamp column: anything but an instant would be a database error, not a 400.
    if (typeof v !== 'string' || !ISO_INSTANT.test(v) || Number.isNaN(Date.parse(v))) throw badCursor();
    return { value: new Date(v).toISOString(), id: i };
  }
  if (!(typeof v === 'string' && v.length <= 1000) && v !== null) throw badCursor();
  return { value: v, id: i };
}
