import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { AttrExp, Filter } from 'scim2-parse-filter';
import type { Dialect } from '../db/database.js';
import { attributeKey } from './scim-filter.js';

/**
 * SCIM filters and sort orders as SQL (RFC 7644 §3.4.2.2), with the same answers as the in-memory
 * evaluator `matches`/`sortResources` in scim-filter.ts: strings compare case-insensitively unless the
 * attribute is caseExact, an absent attribute matches only `ne`, dates compare as instants. Every
 * predicate is two-valued (never SQL NULL), so `not` means what it means in memory.
 */

type Sql = RawBuilder<unknown>;
type Predicate = RawBuilder<SqlBool>;

/** How one SCIM attribute is stored: an SQL expression, and when it is absent from the resource. */
export interface Column {
  kind: 'text' | 'boolean' | 'date';
  /** The value; for `boolean`, a predicate that is true when the value is true. */
  value: Sql;
  /** When the resource has the attribute at all; absent = always. */
  present?: Predicate;
  caseExact?: boolean;
}

/** The attributes of one resource type that SQL can answer, by lower-cased path (`name.givenname`). */
export interface ColumnMap {
  columns: Record<string, Column>;
  /** Multi-valued attributes with at most one value, whose value filter (`emails[…]`) is a filter on that value. */
  single?: Record<string, Predicate>;
  /** Multi-valued attributes answered by an EXISTS on a sub-attribute: `members[value eq "…"]`. */
  exists?: Record<string, (op: 'eq', value: string) => Predicate>;
}

export const TRUE: Predicate = sql<SqlBool>`1 = 1`;
export const FALSE: Predicate = sql<SqlBool>`1 = 0`;

const and = (parts: Predicate[]): Predicate =>
  parts.length === 0 ? TRUE : parts.length === 1 ? (parts[0] as Predicate) : sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
const or = (parts: Predicate[]): Predicate =>
  parts.length === 0 ? FALSE : parts.length === 1 ? (parts[0] as Predicate) : sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
const not = (p: Predicate): Predicate => sql<SqlBool>`(not ${p})`;

/** What a filter becomes: `where` holds for every match (and only matches when `exact`). */
export interface Translation {
  where: Predicate;
  exact: boolean;
}

const ASCII = /^[\x20-\x7e]*$/;

export class ScimSql {
  constructor(
    private readonly dialect: Dialect,
    private readonly map: ColumnMap,
  ) {}

  /** ASCII-only comparisons: SQLite's `lower()` folds ASCII only, so other text is left to the evaluator. */
  private text(op: string, column: Column, expected: unknown): Predicate | undefined {
    const present = column.present ?? TRUE;
    if (op === 'pr') return and([present, sql<SqlBool>`${column.value} <> ''`]);
    if (typeof expected !== 'string') return op === 'ne' ? TRUE : FALSE;
    if (!ASCII.test(expected)) return undefined;
    const lhs = column.caseExact ? column.value : sql`lower(${column.value})`;
    const rhs = column.caseExact ? expected : expected.toLowerCase();
    const pg = this.dialect === 'postgres';
    const n = rhs.length;
    let compare: Predicate;
    switch (op) {
      case 'eq':
        compare = sql<SqlBool>`${lhs} = ${rhs}`;
        break;
      case 'ne':
        return column.present ? or([not(column.present), sql<SqlBool>`${lhs} <> ${rhs}`]) : sql<SqlBool>`${lhs} <> ${rhs}`;
      case 'co':
        compare = n === 0 ? TRUE : pg ? sql<SqlBool>`strpos(${lhs}, ${rhs}) > 0` : sql<SqlBool>`instr(${lhs}, ${rhs}) > 0`;
        break;
      case 'sw':
        compare =
          n === 0
            ? TRUE
            : pg
              ? sql<SqlBool>`left(${lhs}, ${sql.lit(n)}) = ${rhs}`
              : sql<SqlBool>`substr(${lhs}, 1, ${sql.lit(n)}) = ${rhs}`;
        break;
      case 'ew':
        compare =
          n === 0 ? TRUE : pg ? sql<SqlBool>`right(${lhs}, ${sql.lit(n)}) = ${rhs}` : sql<SqlBool>`substr(${lhs}, ${sql.lit(-n)}) = ${rhs}`;
        break;
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        // Code-point order, as JavaScript compares (PostgreSQL's default collation would not).
        const ordered = pg ? sql`${lhs} collate "C"` : lhs;
        compare = sql<SqlBool>`${ordered} ${sql.raw({ gt: '>', ge: '>=', lt: '<', le: '<=' }[op])} ${rhs}`;
        break;
      }
      default:
        return undefined;
    }
    return and([present, compare]);
  }

  private boolean(op: string, column: Column, expected: unknown): Predicate | undefined {
    const present = column.present ?? TRUE;
    const value = column.value as Predicate;
    if (op === 'pr') return present;
    if (typeof expected !== 'boolean') return op === 'ne' ? TRUE : FALSE;
    const is = (b: boolean) => and([present, b ? value : not(value)]);
    switch (op) {
      case 'eq':
        return is(expected);
      case 'ne':
        return or([not(present), expected ? not(value) : value]);
      case 'gt':
        return expected ? FALSE : is(true);
      case 'ge':
        return expected ? is(true) : present;
      case 'lt':
        return expected ? is(false) : FALSE;
      case 'le':
        return expected ? present : is(false);
      default:
        return FALSE;
    }
  }

  private date(op: string, column: Column, expected: unknown): Predicate | undefined {
    if (op === 'pr') return column.present ?? TRUE;
    const instant = typeof expected === 'string' ? Date.parse(expected) : typeof expected === 'number' ? expected : NaN;
    if (Number.isNaN(instant) || !['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op)) return op === 'ne' ? TRUE : FALSE;
    const date = new Date(instant);
    if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return undefined;
    // Both stores hold ISO-8601 UTC instants written by toISOString; SQLite compares them as text.
    const compare = sql<SqlBool>`${column.value} ${sql.raw({ eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op] as string)} ${date.toISOString()}`;
    return column.present ? (op === 'ne' ? or([not(column.present), compare]) : and([column.present, compare])) : compare;
  }

  private comparison(f: AttrExp, prefix: string): Predicate | undefined {
    const column = this.map.columns[`${prefix}${attributeKey(f.attrPath)}`];
    if (!column) return undefined;
    const expected = 'compValue' in f ? f.compValue : undefined;
    if (column.kind === 'text') return this.text(f.op, column, expected);
    if (column.kind === 'boolean') return this.boolean(f.op, column, expected);
    return this.date(f.op, column, expected);
  }

  /** A filter as SQL: exactly when every part translates, else a looser condition the evaluator finishes. */
  translate(f: Filter, prefix = ''): Translation {
    switch (f.op) {
      case 'and': {
        const parts = f.filters.map((c) => this.translate(c, prefix));
        return { where: and(parts.filter((p) => p.where !== TRUE).map((p) => p.where)), exact: parts.every((p) => p.exact) };
      }
      case 'or': {
        const parts = f.filters.map((c) => this.translate(c, prefix));
        // An untranslatable branch could match anything, so the whole `or` could.
        if (parts.some((p) => !p.exact && p.where === TRUE)) return { where: TRUE, exact: false };
        return { where: or(parts.map((p) => p.where)), exact: parts.every((p) => p.exact) };
      }
      case 'not': {
        const inner = this.translate(f.filter, prefix);
        return inner.exact ? { where: not(inner.where), exact: true } : { where: TRUE, exact: false };
      }
      case '[]': {
        const key = attributeKey(f.attrPath);
        const single = prefix === '' ? this.map.single?.[key] : undefined;
        if (single) {
          const inner = this.translate(f.valFilter, `${key}.`);
          return { where: and([single, inner.where]), exact: inner.exact };
        }
        const exists = prefix === '' ? this.map.exists?.[key] : undefined;
        const v = f.valFilter;
        if (exists && v.op === 'eq' && typeof v.compValue === 'string' && attributeKey(v.attrPath) === 'value')
          return { where: exists('eq', v.compValue), exact: true };
        return { where: TRUE, exact: false };
      }
      default: {
        const key = `${prefix}${attributeKey(f.attrPath)}`;
        if (prefix === '' && f.op === 'eq' && typeof f.compValue === 'string' && key.endsWith('.value')) {
          const exists = this.map.exists?.[key.slice(0, -'.value'.length)];
          if (exists) return { where: exists('eq', f.compValue), exact: true };
        }
        const where = this.comparison(f, prefix);
        return where ? { where, exact: true } : { where: TRUE, exact: false };
      }
    }
  }

  /**
   * ORDER BY terms for `sortBy` as sortResources orders: resources without the attribute last, ties
   * in the `tieBreak` order; undefined when the attribute is not a column.
   */
  orderBy(sortBy: string, sortOrder: string | undefined, tieBreak: Sql[]): Sql[] | undefined {
    const column = this.map.columns[attributeKey(sortBy)];
    if (!column) return undefined;
    const direction = sql.raw(sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc');
    let key: Sql = column.kind === 'text' && !column.caseExact ? sql`lower(${column.value})` : column.value;
    if (column.kind === 'text' && this.dialect === 'postgres') key = sql`${key} collate "C"`;
    if (column.kind === 'boolean') key = sql`case when ${column.value} then 1 else 0 end`;
    const absentLast = column.present ? [sql`case when ${column.present} then 0 else 1 end`] : [];
    return [...absentLast, sql`${key} ${direction}`, ...tieBreak];
  }
}
