import { fromSpreadsheetSafe } from '../../lib/csv-safe.js';
import { isPlainObject } from '../../lib/json-merge-patch.js';
import { isPrototypeKey, nullObject, setOwn } from '../../lib/safe-input.js';
import { AppError, fieldError } from '../../errors/app-error.js';

/** How file columns map to user fields: `--map "E-mail=email,First name=givenName"`. */
export type ColumnMap = Map<string, string>;

export function parseColumnMap(spec: string | undefined): ColumnMap {
  const map: ColumnMap = new Map();
  for (const pair of (spec ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.lastIndexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new Error(`--map entries look like "Column name=field", got "${pair}"`);
    const field = pair.slice(eq + 1).trim();
    const forbidden = forbiddenSegment(field);
    if (forbidden) throw new Error(`--map cannot name the field "${field}": "${forbidden}" is never a field name`);
    map.set(pair.slice(0, eq).trim(), field);
  }
  return map;
}

// Columns `roster export` writes that the server sets itself: skipped unless mapped, so an export imports as it is
// (`createdAt` is kept for callers holding users:import, who may carry creation dates over).
const SERVER_SET = new Set(['id', 'tenantId', 'seq', 'createdAt', 'updatedAt', 'createdBy', 'version', 'hasPassword', 'permissions']);
/** Whether a column is one `roster export` writes that the server sets itself (skipped on import unless mapped). */
export function isServerSetColumn(column: string): boolean {
  return SERVER_SET.has(column);
}
const LIST_FIELDS = new Set(['roles', 'groups']);
const BOOLEAN_FIELDS = new Set(['active', 'emailVerified', 'requirePasswordChange', 'generatePassword', 'joinDefaultGroups']);
const TRUE = new Set(['true', '1', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'no', 'n']);

/** A CSV cell for an attribute: JSON numbers, booleans, arrays and objects are read as such, the rest stays text. */
function attributeValue(text: string): unknown {
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|\[.*\]|\{.*\})$/s.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function cellValue(field: string, text: string): unknown {
  if (LIST_FIELDS.has(field))
    return text
      .split(/[;|]/)
      .map((s) => s.trim())
      .filter(Boolean);
  if (BOOLEAN_FIELDS.has(field)) {
    const lower = text.toLowerCase();
    return TRUE.has(lower) ? true : FALSE.has(lower) ? false : text;
  }
  if (field === 'attributes' || field === 'address' || field === 'passwordHash') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** The `__proto__`/`constructor`/`prototype` segment of a dotted field name, if it has one. */
export function forbiddenSegment(field: string): string | undefined {
  return field.split('.').find(isPrototypeKey);
}

/**
 * Turns a CSV record into a create body: columns renamed by the map, empty cells left out,
 * `address.city` and `attributes.team` nested, roles and groups split on `;` or `|`, booleans read.
 * A `'` before a formula-like cell (how `roster export` neutralises CSV formulas, see csv-safe.ts) is dropped.
 * Whatever does not fit is left for the create rules to report. Column names are data: the objects
 * built from them have no prototype.
 * @throws VALIDATION_FAILED (FIELD_NAME_FORBIDDEN) for a column whose field has a `__proto__`,
 * `constructor` or `prototype` segment: the row fails, nothing is assigned.
 */
export function csvRecordToInput(
  record: Record<string, string>,
  map: ColumnMap,
  options: { carryCreatedAt?: boolean } = {},
): Record<string, unknown> {
  const plans = columnPlans(map, options.carryCreatedAt === true);
  const input = nullObject();
  for (const column in record) {
    if (!Object.hasOwn(record, column)) continue;
    const cell = record[column];
    if (cell === undefined || cell === '') continue;
    let plan = plans.get(column);
    if (plan === undefined) {
      plan = columnPlan(column, map, options.carryCreatedAt === true);
      if (plans.size < MAX_PLANNED_COLUMNS) plans.set(column, plan);
    }
    if (plan.kind === 'skip') continue;
    if (plan.kind === 'forbidden') throw forbiddenField(plan.field);
    const raw = fromSpreadsheetSafe(cell);
    if (plan.kind === 'nested') {
      const existing = Object.hasOwn(input, plan.parent) ? input[plan.parent] : undefined;
      const nested = isPlainObject(existing) ? existing : nullObject();
      setOwn(input, plan.parent, nested);
      setOwn(nested, plan.child, plan.parent === 'attributes' ? attributeValue(raw) : raw);
    } else {
      setOwn(input, plan.field, cellValue(plan.field, raw));
    }
  }
  return input;
}

/** What a column's non-empty cells become: decided once per column and map, not once per cell. */
type ColumnPlan =
  | { kind: 'skip' }
  | { kind: 'forbidden'; field: string }
  | { kind: 'nested'; parent: string; child: string }
  | { kind: 'field'; field: string };

/** Columns a map's plans remember (a file's header); a CSV has far fewer. */
const MAX_PLANNED_COLUMNS = 1000;
const plansByMap = new WeakMap<ColumnMap, { plain: Map<string, ColumnPlan>; carrying: Map<string, ColumnPlan> }>();

function columnPlans(map: ColumnMap, carryCreatedAt: boolean): Map<string, ColumnPlan> {
  let plans = plansByMap.get(map);
  if (!plans) {
    plans = { plain: new Map(), carrying: new Map() };
    plansByMap.set(map, plans);
  }
  return carryCreatedAt ? plans.carrying : plans.plain;
}

function columnPlan(column: string, map: ColumnMap, carryCreatedAt: boolean): ColumnPlan {
  const serverSet = SERVER_SET.has(column) && !(column === 'createdAt' && carryCreatedAt);
  const field = map.get(column) ?? (serverSet ? '-' : column);
  if (field === '' || field === '-') return { kind: 'skip' };
  if (forbiddenSegment(field)) return { kind: 'forbidden', field };
  const dot = field.indexOf('.');
  return dot > 0 ? { kind: 'nested', parent: field.slice(0, dot), child: field.slice(dot + 1) } : { kind: 'field', field };
}

function forbiddenField(field: string): AppError {
  return new AppError('VALIDATION_FAILED', {
    errors: [fieldError(`/${field.replaceAll('.', '/')}`, 'FIELD_NAME_FORBIDDEN', `The column "${field}" names a forbidden member`)],
  });
}

/**
 * JSON records keep their shape; the map only renames top-level members (into a prototype-less
 * object). Members with prototype names are reported by the create rules as FIELD_NAME_FORBIDDEN.
 * The server-set members of an exported user resource (`id`, `seq`, `version`, …, but not `createdAt`) are skipped unless mapped, and its groups (`{type, code, …}`) are read
 * as `type:code` references, so an NDJSON export imports as it is.
 */
export function jsonRecordToInput(record: unknown, map: ColumnMap): unknown {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return record;
  const out = nullObject();
  for (const [key, value] of Object.entries(record)) {
    // A createdAt member is kept: the create rules carry it over for users:import and refuse it (403) otherwise.
    const serverSet = SERVER_SET.has(key) && key !== 'createdAt';
    const field = map.get(key) ?? (serverSet ? '-' : key);
    // A null member (an exported user's unset field) is absent, as an empty CSV cell is.
    if (field === '' || field === '-' || value === null) continue;
    if (isPrototypeKey(field)) throw forbiddenField(field);
    setOwn(out, field, field === 'groups' && Array.isArray(value) ? value.map(groupRef) : value);
  }
  return out;
}

/** A group as an exported user resource carries it (`{id, type, code, name}`) read as its `type:code` reference; anything else as sent. */
function groupRef(group: unknown): unknown {
  if (!isPlainObject(group)) return group;
  const { type, code } = group as { type?: unknown; code?: unknown };
  return typeof type === 'string' && typeof code === 'string' ? `${type}:${code}` : group;
}
