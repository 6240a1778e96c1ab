/** Timestamps are written as ISO-8601 UTC strings; PostgreSQL hands back `Date`s and SQLite strings. */
export function nowIso(): string {
  return new Date().toISOString();
}

// The last text toIso was given and its answer: the rows of a batch share their timestamps (created and
// updated at the same instant), and parsing each one again was a percent of an import's main thread.
let lastText: string | undefined;
let lastIso = '';

export function toIso(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  if (value === lastText) return lastIso;
  const iso = new Date(value).toISOString();
  lastText = value;
  lastIso = iso;
  return iso;
}
