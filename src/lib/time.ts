/** Timestamps are written as ISO-8601 UTC strings; PostgreSQL hands back `Date`s and SQLite strings. */
export function nowIso(): string {
  return new Date().toISOString();
}

export function toIso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
