/**
 * CSV cells a spreadsheet would run as a formula (CSV injection, OWASP): text whose first
 * character, or first after leading spaces, is `=`, `+`, `-` or `@` (or their full-width forms,
 * which East Asian Excel input reads alike), or that starts with a tab, carriage return or line feed.
 * Leading `'` are looked through, so escaping stays reversible (see fromSpreadsheetSafe).
 * The admin page applies the same rule in src/admin/ui/csv-cell.ts (its bundle cannot import server
 * files); csv-safe.test.ts keeps the two in step.
 */
const FORMULA_START = /^'*(?:[\t\r\n]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;

/**
 * A cell as Roster writes it into CSV: a formula-like value gets a leading `'`, which spreadsheets
 * show as text and do not evaluate. `+33612345678` is written `'+33612345678`.
 */
export function spreadsheetSafe(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * The inverse, for CSV read by `roster import` and import jobs: one leading `'` before a formula-like
 * value is dropped, so an export imports as it was (and a spreadsheet's `'+33…` text marker reads as `+33…`).
 */
export function fromSpreadsheetSafe(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell) ? cell.slice(1) : cell;
}
