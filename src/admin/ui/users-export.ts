import { api } from './api.js';
import { csvCell } from './csv-cell.js';

/**
 * The CSV the page exports: the columns, order and cell forms of `roster export` (src/cli/import-export.ts),
 * so a file from either imports again. There is no HTTP export endpoint: the page reads the filtered
 * list itself, 200 users a request.
 */
const COLUMNS = [
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

type ExportedUser = Record<string, unknown> & { roles: string[]; groups: Array<{ type: string; code: string }> };

function cellOf(user: ExportedUser, column: (typeof COLUMNS)[number]): string | number | null {
  const value = user[column];
  if (column === 'roles') return user.roles.join(';');
  if (column === 'groups') return user.groups.map((g) => `${g.type}:${g.code}`).join(';');
  if (column === 'address') return value ? JSON.stringify(value) : '';
  if (column === 'attributes') return value && Object.keys(value).length > 0 ? JSON.stringify(value) : '';
  if (value === null || value === undefined) return '';
  return typeof value === 'number' ? value : String(value);
}

/**
 * Every user matching `query` (the list's filters and sort) as CSV text; `progress` hears the count so far.
 * Cells pass the CSV-injection rule (csv-cell.ts).
 */
export async function exportUsersCsv(query: Record<string, string | undefined>, progress: (done: number) => void): Promise<string> {
  const lines = [COLUMNS.map((c) => csvCell(c)).join(',')];
  let cursor: string | undefined;
  do {
    const page = await api.request<{ data: ExportedUser[]; nextCursor: string | null }>('GET', '/v1/users', {
      query: { ...query, limit: 200, cursor },
    });
    for (const user of page.data) lines.push(COLUMNS.map((c) => csvCell(cellOf(user, c))).join(','));
    progress(lines.length - 1);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return `${lines.join('\r\n')}\r\n`;
}

/** Hands `text` to the browser as a download named `name` (a blob: URL, allowed by the page's CSP). */
export function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
