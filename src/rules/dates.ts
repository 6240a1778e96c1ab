const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The calendar date (`YYYY-MM-DD`) of a date or ISO 8601 date-time, as written (an offset does not
 * move the day), or undefined when it is not a real date.
 */
export function calendarDate(input: string): string | undefined {
  const match = DATE.exec(input.trim());
  if (!match) return undefined;
  const [, y, m, d] = match;
  const date = `${y}-${m}-${d}`;
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date) ? date : undefined;
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}
