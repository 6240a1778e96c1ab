import { CompiledQuery } from 'kysely';
import type { Executor } from '../../db/database.js';
import { preparedStatement } from '../../db/primary-locator.js';
import type { NewEventRow } from '../events/event.service.js';
import { snake } from './user-insert.sql.js';
import { userColumns } from './user.repository.js';
import type { NewUserRow } from './user.table.js';

/**
 * The optimistic write of a chunk of new users on PostgreSQL: one statement, one round trip.
 *
 * Every table a create writes (users, identifier, externalId and attribute-value claims, roles, groups,
 * the events and their per-resource counters) is one data-modifying CTE fed by `json_to_recordset` over
 * one parameter per table, the table's rows as a JSON array, so the SQL text is the same for every chunk
 * whatever its size: it is parsed and planned once per connection (a named prepared statement) and no
 * query is built per request. JSON rather than an array per column: V8 writes the text natively, where
 * the driver writes array literals in JavaScript, escaping every quote of every event's payload (a tenth
 * of an import's CPU on this thread, and the garbage of it).
 *
 * Unlike the careful path (user-create.ts, insertChunk), claims are plain inserts: a value another user
 * holds, or one a concurrent transaction is claiming and then commits, fails the whole statement with a
 * unique violation (23505) and nothing is written. The caller then takes the careful path, which sorts
 * the losers out (409 each, the others created; or the whole atomic batch refused).
 */

/** The rows of one chunk, as the careful path would write them. */
export interface ChunkWrites {
  users: Array<NewUserRow & { id: string }>;
  identifiers: Array<{ userId: string; value: string; scope: string }>;
  externalIds: Array<{ userId: string; value: string }>;
  attributeClaims: Array<{ userId: string; key: string; value: string }>;
  roles: Array<{ userId: string; roleId: string }>;
  groups: Array<{ userId: string; groupId: string }>;
  events: NewEventRow[];
  counters: Array<{ resourceType: string; resourceId: string; lastSequence: number }>;
}

/** Column types, text otherwise. */
const USER_COLUMN_TYPES: Partial<Record<(typeof userColumns)[number], string>> = {
  seq: 'int8',
  address: 'jsonb',
  attributes: 'jsonb',
  active: 'bool',
  emailVerified: 'bool',
  requirePasswordChange: 'bool',
  createdAt: 'timestamptz',
  updatedAt: 'timestamptz',
  deletedAt: 'timestamptz',
  version: 'int4',
};
const perUserColumns = userColumns.filter((c) => c !== 'tenantId');

const EVENT_COLUMNS = [
  ['id', 'text'],
  ['type', 'text'],
  ['occurredAt', 'timestamptz'],
  ['actorType', 'text'],
  ['actorId', 'text'],
  ['requestId', 'text'],
  ['resourceType', 'text'],
  ['resourceId', 'text'],
  ['data', 'jsonb'],
  ['pendingFanout', 'bool'],
  ['sequence', 'int4'],
] as const;

/**
 * Builds the statement's text once: `$1` is the tenant, `$2` the number of users, then one JSON parameter
 * per table (its rows, keyed by the camelCase column names). `reserve`: the users' numbers are reserved by
 * the statement itself (its `s` CTE raises the tenant's counter, as reserveSeq does) and the users' `seq`
 * hold offsets 0, 1, …; otherwise they hold the numbers reserved before, and `s.base` is 0.
 */
function buildText(reserve: boolean): string {
  let n = 2;
  const tables: string[] = [
    reserve
      ? `s AS (INSERT INTO sequences (scope, name, value) VALUES ($1::text, 'users', $2::int8) ` +
        `ON CONFLICT (scope, name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value - $2::int8 + 1 AS base)`
      : `s AS (SELECT $2::int8 * 0 AS base)`,
  ];
  /**
   * `select`: per column, its expression over `t` (the column itself by default). A jsonb column arrives as the
   * JSON text the row holds (a string in the parameter), so it is read as text and cast.
   */
  const add = (
    alias: string,
    table: string,
    columns: ReadonlyArray<readonly [string, string]>,
    {
      select = {},
      suffix = '',
      extra = [],
    }: { select?: Record<string, string>; suffix?: string; extra?: Array<readonly [string, string]> } = {},
  ) => {
    const values = columns.map(([c, type]) => select[c] ?? (type === 'jsonb' ? `t."${c}"::jsonb` : `t."${c}"`)).join(', ');
    const record = [...columns, ...extra].map(([c, type]) => `"${c}" ${type === 'jsonb' ? 'text' : type}`).join(', ');
    tables.push(
      `${alias} AS (INSERT INTO ${table} (tenant_id, ${columns.map(([c]) => `"${snake(c)}"`).join(', ')}) ` +
        `SELECT $1::text, ${values} FROM json_to_recordset($${++n}::json) AS t(${record}), s${suffix})`,
    );
  };
  add(
    'u',
    'users',
    perUserColumns.map((c) => [c, USER_COLUMN_TYPES[c] ?? 'text'] as const),
    { select: { seq: 's.base + t."seq"' } },
  );
  add('i', 'user_identifiers', [
    ['userId', 'text'],
    ['value', 'text'],
    ['scope', 'text'],
  ]);
  add('x', 'user_external_ids', [
    ['userId', 'text'],
    ['value', 'text'],
  ]);
  add('a', 'user_attribute_claims', [
    ['userId', 'text'],
    ['key', 'text'],
    ['value', 'text'],
  ]);
  add('r', 'user_roles', [
    ['userId', 'text'],
    ['roleId', 'text'],
  ]);
  // Group membership is idempotent everywhere (group.repository.ts, addMembers).
  add(
    'g',
    'user_groups',
    [
      ['userId', 'text'],
      ['groupId', 'text'],
    ],
    { suffix: ' ON CONFLICT DO NOTHING' },
  );
  add('c', 'resource_sequences', [
    ['resourceType', 'text'],
    ['resourceId', 'text'],
    ['lastSequence', 'int4'],
  ]);
  // The payload is the user resource, whose `seq` is the user's number: set where the statement reserved it.
  add('e', 'events', EVENT_COLUMNS, {
    select: {
      data: `CASE WHEN t."userSeq" IS NULL THEN t."data"::jsonb ELSE jsonb_set(t."data"::jsonb, '{seq}', to_jsonb(s.base + t."userSeq")) END`,
    },
    extra: [['userSeq', 'int8']],
  });
  return `WITH ${tables.join(',\n')}\nSELECT base FROM s`;
}

const INSERT_CHUNK = preparedStatement('roster_insert_users_v2', buildText(false));
const INSERT_CHUNK_RESERVING = preparedStatement('roster_insert_users_reserving_v2', buildText(true));

/**
 * Writes the chunk in one statement. With `reserve`, the users' `seq` hold offsets 0, 1, … and the
 * statement reserves the numbers itself, setting them in the users rows and their events' payloads
 * (`eventUserSeq`: per event, its user's offset): only for a statement that is its own transaction,
 * since the tenant's counter row stays locked until commit.
 * @returns the number to add to each `seq` offset (0 without `reserve`).
 * @throws the database's unique violation (23505) when a claim is lost.
 */
export async function insertChunkPostgres(
  db: Executor,
  tenantId: string,
  w: ChunkWrites & { eventUserSeq: Array<number | null> },
  reserve = false,
): Promise<number> {
  // Keys the statement does not name (a row's tenantId) are ignored by json_to_recordset; a missing key is NULL.
  const events = w.events.map((e, i) => ({ ...e, userSeq: w.eventUserSeq[i] ?? null }));
  const parameters = [
    tenantId,
    w.users.length,
    ...[w.users, w.identifiers, w.externalIds, w.attributeClaims, w.roles, w.groups, w.counters, events].map((rows) =>
      JSON.stringify(rows),
    ),
  ];
  const { rows } = await db.executeQuery<{ base: number | string }>(
    CompiledQuery.raw(reserve ? INSERT_CHUNK_RESERVING : INSERT_CHUNK, parameters),
  );
  return Number(rows[0]?.base ?? 0);
}

const RESERVE_SEQ = preparedStatement(
  'roster_reserve_seq_v1',
  'INSERT INTO sequences (scope, name, value) VALUES ($1, $2, $3) ' +
    'ON CONFLICT (scope, name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value',
);

/** reserveSeq (src/db/sequences.ts) as a prepared statement: the first of `count` consecutive numbers. */
export async function reserveSeqPostgres(db: Executor, scope: string, name: string, count: number): Promise<number> {
  const { rows } = await db.executeQuery<{ value: number | string }>(CompiledQuery.raw(RESERVE_SEQ, [scope, name, count]));
  return Number(rows[0]?.value) - count + 1;
}
