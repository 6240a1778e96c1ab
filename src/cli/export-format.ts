import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../lib/csv-safe.js';
import type { User } from '../modules/users/user.schemas.js';

/** Writes a chunk, waiting for 'drain' when the stream asks to. */
export async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

// Booleans as true/false, which `roster import` reads back (csv-stringify would write 1 and '').
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

const CSV_COLUMNS = [
  'id',
  'seq',
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'nickname',
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

/** Text cells pass the CSV-injection rule (csv-safe.ts): a formula-like value is written with a leading `'`, which import drops again. */
export function safeCell(value: unknown): unknown {
  return typeof value === 'string' ? spreadsheetSafe(value) : value;
}

function csvCells(user: User): unknown[] {
  return CSV_COLUMNS.map((column) => safeCell(csvValue(user, column)));
}

function csvValue(user: User, column: (typeof CSV_COLUMNS)[number]): unknown {
  if (column === 'roles') return user.roles.join(';');
  if (column === 'groups') return user.groups.map((g) => `${g.type}:${g.code}`).join(';');
  if (column === 'address') return user.address ? JSON.stringify(user.address) : '';
  if (column === 'attributes') return Object.keys(user.attributes).length > 0 ? JSON.stringify(user.attributes) : '';
  return user[column] ?? '';
}

/** One page of users and the cursor of the next: the local service or GET /v1/users. */
export type UserPager = (cursor: string | undefined) => Promise<{ data: User[]; nextCursor: string | null }>;

/** Every user the pager yields, a page at a time, as CSV or NDJSON; `roster export` with a server pages GET /v1/users. */
export async function exportPages(pages: UserPager, format: 'csv' | 'ndjson', out: Writable): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  if (format === 'csv') await write(out, stringify([CSV_COLUMNS as unknown as string[]], CSV_OPTIONS));
  do {
    const page = await pages(cursor);
    const text =
      format === 'csv' ? stringify(page.data.map(csvCells), CSV_OPTIONS) : page.data.map((u) => `${JSON.stringify(u)}\n`).join('');
    if (text) await write(out, text);
    count += page.data.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}
