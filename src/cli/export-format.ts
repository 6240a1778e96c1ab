import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvHeader, exportLines, safeCell } from '../modules/imports/user-export.js';
import type { User } from '../modules/users/user.schemas.js';

/** Writes a chunk, waiting for 'drain' when the stream asks to. */
export async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

// The columns and cell rules of an export live once, with the import (src/modules/imports/user-export.ts).
export { safeCell };

/** One page of users and the cursor of the next: the local service or GET /v1/users. */
export type UserPager = (cursor: string | undefined) => Promise<{ data: User[]; nextCursor: string | null }>;

/** Every user the pager yields, a page at a time, as CSV or NDJSON; `roster export` with a server pages GET /v1/users. */
export async function exportPages(pages: UserPager, format: 'csv' | 'ndjson', out: Writable): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  if (format === 'csv') await write(out, csvHeader());
  do {
    const page = await pages(cursor);
    const text = exportLines(page.data, format);
    if (text) await write(out, text);
    count += page.data.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}
