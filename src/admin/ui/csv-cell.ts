/**
 * The rule of src/lib/csv-safe.ts (CSV injection: formula-like cells get a leading `'`) for the admin
 * page's downloads; its bundle cannot import server files. csv-safe.test.ts keeps the two in step.
 */
const FORMULA_START = /^'*(?:[\t\r\n]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;

/** One quoted CSV cell, neutralised when a spreadsheet would run it as a formula. */
export function csvCell(value: string | number | null): string {
  const text = String(value ?? '');
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}
