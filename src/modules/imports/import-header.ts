import { closest, distance } from 'fastest-levenshtein';
import { AppError, fieldError, type FieldError } from '../../errors/app-error.js';
import { AddressSchema, CreateUserSchema } from '../users/user.schemas.js';
import { forbiddenSegment, isServerSetColumn, type ColumnMap } from './import-mapping.js';
import type { ImportMode } from './import.table.js';

/** One header problem, as the job's `headerErrors` and the 422's `details.columns` give it. */
export interface HeaderProblem {
  column: string;
  code: 'COLUMN_UNKNOWN' | 'COLUMN_MISSING';
  /** The closest user field (for an unknown column), or null. */
  suggestion: string | null;
  message: string;
}

const FIELDS = Object.keys(CreateUserSchema.properties);
const ADDRESS_FIELDS = new Set(Object.keys(AddressSchema.properties));
const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Headers other systems write for Roster's fields (after squashing), as the admin import screen guesses them. */
const SYNONYMS: Record<string, string> = {
  mail: 'email',
  emailaddress: 'email',
  workemail: 'email',
  firstname: 'givenName',
  forename: 'givenName',
  lastname: 'familyName',
  surname: 'familyName',
  name: 'displayName',
  fullname: 'displayName',
  login: 'username',
  phonenumber: 'phone',
  mobile: 'phone',
  title: 'position',
  jobtitle: 'position',
  startdate: 'arrivalDate',
  enddate: 'departureDate',
  birthdate: 'dateOfBirth',
  language: 'locale',
  role: 'roles',
  group: 'groups',
  employeeid: 'externalId',
  employeenumber: 'externalId',
};

/** The user field a column most likely means: a known synonym, the same name squashed, or the closest name if it is close enough. */
export function suggestField(column: string): string | null {
  const key = squash(column);
  if (key === '') return null;
  const synonym = SYNONYMS[key];
  if (synonym) return synonym;
  const same = FIELDS.find((f) => squash(f) === key);
  if (same) return same;
  const squashed = FIELDS.map(squash);
  const best = closest(key, squashed);
  // Close enough: at most a third of the name differs.
  return distance(key, best) <= Math.max(1, Math.floor(best.length / 3)) ? (FIELDS[squashed.indexOf(best)] ?? null) : null;
}

/** Whether a (mapped) field name is one an import row may set. */
function knownField(field: string): boolean {
  const dot = field.indexOf('.');
  if (dot < 0) return FIELDS.includes(field);
  const parent = field.slice(0, dot);
  const child = field.slice(dot + 1);
  if (parent === 'attributes') return child !== '';
  return parent === 'address' && ADDRESS_FIELDS.has(child);
}

/**
 * The header problems of a CSV file, found once from its columns: columns that name no field (with a suggestion), and, when no column can
 * identify a user, the missing one. Columns the map skips (`Column=-`) and the server-set columns of
 * an export are fine.
 */
export function headerProblems(columns: string[], map: ColumnMap, mode: ImportMode): HeaderProblem[] {
  const problems: HeaderProblem[] = [];
  const fields = new Set<string>();
  for (const column of columns) {
    const mapped = map.get(column);
    if (mapped === '-' || mapped === '') continue;
    if (mapped === undefined && isServerSetColumn(column)) continue;
    const field = mapped ?? column;
    fields.add(field);
    // A `__proto__`, `constructor` or `prototype` segment is refused by the row rule (FIELD_NAME_FORBIDDEN), row by row.
    if (forbiddenSegment(field)) continue;
    if (knownField(field)) continue;
    const suggestion = suggestField(field);
    const shown = JSON.stringify(column.length > 80 ? `${column.slice(0, 80)}…` : column);
    problems.push({
      column,
      code: 'COLUMN_UNKNOWN',
      suggestion,
      message:
        suggestion === null
          ? `The column ${shown} names no user field; map it to one (map=${column}=field) or skip it (map=${column}=-)`
          : `The column ${shown} names no user field; did you mean "${suggestion}"? Map it with map=${column}=${suggestion}, or skip it with map=${column}=-`,
    });
  }
  const keys = mode === 'create' ? ['email', 'username'] : ['externalId', 'email', 'username'];
  if (!keys.some((k) => fields.has(k)))
    problems.push({
      column: keys.join('|'),
      code: 'COLUMN_MISSING',
      suggestion: null,
      message:
        mode === 'create'
          ? 'The file has no email or username column: every user needs one'
          : `The file has none of the columns ${keys.join(', ')}: an ${mode} matches users on them`,
    });
  return problems;
}

/** The 422 for a file with header problems, naming each once. */
export function headerError(problems: HeaderProblem[]): AppError {
  const errors: FieldError[] = problems.map((p) =>
    fieldError(`/header/${p.column.replaceAll('~', '~0').replaceAll('/', '~1')}`, p.code, p.message),
  );
  return new AppError('IMPORT_HEADER_INVALID', {
    detail:
      problems.length === 1
        ? (problems[0] as HeaderProblem).message
        : `${problems.length} header problems: ${problems.map((p) => p.message).join('; ')}`,
    errors,
    details: { columns: problems },
  });
}
