import { yieldToEventLoop } from '../users/user-create.js';
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import type { Db, Executor } from '../../db/database.js';
import { readBool } from '../../db/column-types.js';
import { AppError } from '../../errors/app-error.js';
import { nullObject, setOwn } from '../../lib/safe-input.js';
import { nowIso, toIso } from '../../lib/time.js';
import { normalizeEmail } from '../../rules/email.js';
import { usernameKey } from '../../rules/username.js';
import { systemPrincipal, type TenantContext } from '../context.js';
import { etagOf } from '../users/user.mapper.js';
import type { CreateUserInput, PatchUserInput, User } from '../users/user.schemas.js';
import type { UserService } from '../users/user.service.js';
import type { UserRow } from '../users/user.table.js';
import { failedValue, rowErrors, toCreateInput, type RowError } from './import-runner.js';
import type { ImportRecord } from './import-records.js';
import type { ColumnMap } from './import-mapping.js';
import * as imports from './import.repository.js';
import type { ImportJobRow } from './import.repository.js';

/** Thrown from inside an update's transaction in a dry run: every rule ran, the change is rolled back. */
class DryRunRollback extends Error {}

/** Fields a row may carry that only apply to a user it creates: credentials, welcome mails, default groups, a carried-over creation date. */
const CREATE_ONLY = new Set([
  'password',
  'passwordHash',
  'generatePassword',
  'joinDefaultGroups',
  'sendWelcomeEmail',
  'sendVerificationEmail',
  'createdAt',
  'phoneCountry',
]);
const DATE_FIELDS = new Set(['arrivalDate', 'departureDate', 'dateOfBirth']);

/** A sync's scope: the users it may deactivate. */
export interface SyncScope {
  /** A group id or `type:code`. */
  group?: string;
  externalIdPrefix?: string;
}

export interface UpsertEnv {
  db: Db;
  users: UserService;
  /** Run in every transaction that applies rows: throws when the job's credential ended meanwhile. */
  stillAllowed: (trx: Executor) => Promise<void>;
}

interface Counts {
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  conflicts: number;
  failed: number;
}

const zero = (): Counts => ({ processed: 0, created: 0, updated: 0, unchanged: 0, deactivated: 0, conflicts: 0, failed: 0 });

/** The keys a row names a user by, as ledger refs: `k:x:<externalId>`, `k:e:<email>`, `k:u:<username>`, in matching order. */
function keysOf(input: CreateUserInput): string[] {
  const keys: string[] = [];
  if (typeof input.externalId === 'string' && input.externalId !== '') keys.push(`k:x:${input.externalId}`);
  if (typeof input.email === 'string') keys.push(`k:e:${normalizeEmail(input.email)?.normalized ?? input.email.trim().toLowerCase()}`);
  if (typeof input.username === 'string') keys.push(`k:u:${usernameKey(input.username.trim())}`);
  return keys;
}

async function bump(db: Executor, job: ImportJobRow, delta: Partial<Counts>, lastRow?: number): Promise<void> {
  const set: Record<string, unknown> = { updatedAt: nowIso() };
  for (const [key, value] of Object.entries(delta))
    // eslint-disable-next-line no-restricted-syntax -- a counter name of Counts, never input
    if (value) set[key] = sql`${sql.ref(key)} + ${value}`;
  if (lastRow !== undefined) set.lastRow = lastRow;
  await db.updateTable('importJobs').set(set).where('tenantId', '=', job.tenantId).where('id', '=', job.id).execute();
}

async function writeRefs(db: Executor, job: ImportJobRow, refs: Array<{ ref: string; row: number; outcome: string }>): Promise<void> {
  const unique = [...new Map(refs.map((r) => [r.ref, r])).values()];
  for (let i = 0; i < unique.length; i += 500)
    await db
      .insertInto('importJobRefs')
      .values(unique.slice(i, i + 500).map((r) => ({ tenantId: job.tenantId, jobId: job.id, ...r })))
      .onConflict((oc) => oc.columns(['tenantId', 'jobId', 'ref']).doNothing())
      .execute();
}

async function readRefs(db: Executor, job: ImportJobRow, refs: string[]): Promise<Map<string, { row: number; outcome: string }>> {
  const found = new Map<string, { row: number; outcome: string }>();
  const unique = [...new Set(refs)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('importJobRefs')
      .select(['ref', 'row', 'outcome'])
      .where('tenantId', '=', job.tenantId)
      .where('jobId', '=', job.id)
      .where('ref', 'in', unique.slice(i, i + 500))
      .execute();
    for (const r of rows) found.set(r.ref, { row: r.row, outcome: r.outcome });
  }
  return found;
}

/** Live users of the tenant holding any of these keys; where several hold one (deactivated users may share identifiers), the active one. */
async function matchUsers(db: Executor, tenantId: string, keys: string[]): Promise<Map<string, UserRow>> {
  const byKey = new Map<string, UserRow>();
  const groups: Array<['externalId' | 'emailNormalized' | 'usernameNormalized', string]> = [
    ['externalId', 'k:x:'],
    ['emailNormalized', 'k:e:'],
    ['usernameNormalized', 'k:u:'],
  ];
  for (const [column, prefix] of groups) {
    const values = [...new Set(keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)))];
    for (let i = 0; i < values.length; i += 500) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('deletedAt', 'is', null)
        .where(column, 'in', values.slice(i, i + 500))
        .orderBy('seq')
        .execute();
      for (const row of rows) {
        const key = `${prefix}${row[column] as string}`;
        const held = byKey.get(key);
        if (!held || (!readBool(held.active) && readBool(row.active))) byKey.set(key, row);
      }
    }
  }
  return byKey;
}

const sameText = (field: string, a: unknown, b: unknown): boolean => {
  if (typeof a !== 'string' || typeof b !== 'string') return isDeepStrictEqual(a ?? null, b ?? null);
  if (field === 'email') return a.trim().toLowerCase() === b.toLowerCase();
  if (field === 'phone') return a.replace(/[\s().-]/g, '') === b.replace(/[\s().-]/g, '');
  if (DATE_FIELDS.has(field) && /^\d{4}-\d{2}-\d{2}/.test(a)) return a.slice(0, 10) === b.slice(0, 10);
  return a.trim() === b;
};

/**
 * The part of a row that would change the user: the fields present in the row whose value differs
 * from the stored one (members of `address` and `attributes` one by one, roles and groups as sets).
 * Fields that only apply to a new user (credentials, mails, creation date) are left out.
 */
export function changesFor(input: CreateUserInput, user: User): PatchUserInput {
  const patch = nullObject();
  for (const [field, value] of Object.entries(input)) {
    if (CREATE_ONLY.has(field) || value === undefined) continue;
    if (field === 'roles') {
      const wanted = new Set(value as string[]);
      if (wanted.size !== user.roles.length || !user.roles.every((r) => wanted.has(r))) patch.roles = value;
    } else if (field === 'groups') {
      const refs = new Set(value as string[]);
      const held = user.groups.filter((g) => refs.has(g.id) || refs.has(`${g.type}:${g.code}`));
      if (held.length !== refs.size || held.length !== user.groups.length) patch.groups = value;
    } else if (field === 'attributes' || field === 'address') {
      const current = ((field === 'address' ? user.address : user.attributes) ?? {}) as Record<string, unknown>;
      const changed = Object.entries(value as Record<string, unknown>).filter(([k, v]) => !isDeepStrictEqual(v, current[k]));
      if (changed.length > 0) {
        const members = nullObject();
        for (const [k, v] of changed) setOwn(members, k, v);
        setOwn(patch, field, members);
      }
    } else if (!sameText(field, value, (user as unknown as Record<string, unknown>)[field])) {
      setOwn(patch, field, value);
    }
  }
  if (patch.phone !== undefined && input.phoneCountry !== undefined) patch.phoneCountry = input.phoneCountry;
  return patch as PatchUserInput;
}

const after = (a: unknown, start: number) => a !== null && a !== undefined && new Date(toIso(a as string | Date)).getTime() > start;

function changedError(row: number, user: { id: string }, startedAt: string): RowError {
  return {
    row,
    code: 'USER_CHANGED',
    field: null,
    message: `The user ${user.id} was changed after the import started (${startedAt}); the import left it as it was. Check it, then import again`,
    value: null,
    duplicateOf: null,
  };
}

/**
 * Updates of one turn run a few at a time: each is its own short transaction (PostgreSQL then
 * overlaps their round trips; SQLite's one connection takes them in turn). Rows of a turn name
 * different users (duplicates are set aside first), so their order does not matter.
 */
const UPDATE_LANES = 4;

/** Runs the tasks, `lanes` at a time; after a task throws, no new one starts, and the first error is thrown once all have settled. */
async function inLanes(tasks: Array<() => Promise<void>>, lanes: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      // On SQLite every await resolves at once (better-sqlite3 is synchronous): without a macrotask
      // break, a sync's thousands of updates would hold the event loop and every tenant's requests.
      await yieldToEventLoop();
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, tasks.length) }, lane));
  if (failure) throw failure.error;
}

interface Item {
  row: number;
  input?: CreateUserInput;
  keys: string[];
}

/**
 * Applies one turn's rows of an upsert or sync job. Every row goes through the core user services:
 * a row that matches a user (by externalId, else email, else username) is a merge patch of the
 * fields it carries that differ (UserService.updateUser, with the ETag read here: policies, rules,
 * privilege guard, events); the others are created (UserService.createUsers). Each applied row is
 * recorded in the job's ledger and counters inside its own transaction, and the rest with the turn's
 * checkpoint, so a job killed at any moment resumes without applying a row twice. A dry run runs
 * each update to its last statement and rolls it back, so it meets every rule the real run meets.
 */
export async function runUpsertTurn(
  env: UpsertEnv,
  ctx: TenantContext,
  job: ImportJobRow,
  records: ImportRecord[],
  options: { columnMap: ColumnMap; batchSize: number },
): Promise<void> {
  if (records.length === 0) return;
  const dryRun = readBool(job.dryRun);
  const start = new Date(toIso(job.createdAt)).getTime();
  const startedAt = toIso(job.createdAt);
  const counts = zero();
  const errors: RowError[] = [];
  const refs: Array<{ ref: string; row: number; outcome: string }> = [];
  const carryCreatedAt = ctx.principal.permissions.has('users:import');
  const fail = (row: number, error: AppError, input: unknown) => {
    counts.processed += 1;
    counts.failed += 1;
    errors.push(...rowErrors(row, error, input));
  };

  const items: Item[] = [];
  for (const record of records) {
    if (record.readError !== undefined) {
      fail(record.row, new AppError(record.readErrorCode ?? 'VALIDATION_FAILED', { detail: record.readError }), undefined);
      continue;
    }
    const parsed = toCreateInput(record.value, job.format === 'csv' ? 'csv' : 'ndjson', options.columnMap, carryCreatedAt);
    if (parsed.error) fail(record.row, parsed.error, parsed.input);
    else items.push({ row: record.row, input: parsed.input as CreateUserInput, keys: keysOf(parsed.input as CreateUserInput) });
  }

  // In-file duplicates: a key an earlier row of this turn, or of an earlier turn (the ledger), named.
  const ledger = await readRefs(
    env.db,
    job,
    items.flatMap((i) => i.keys),
  );
  const seen = new Map<string, number>();
  const fresh: Item[] = [];
  for (const item of items) {
    const own = item.keys.some((k) => ledger.get(k)?.row === item.row);
    if (own) continue; // applied by an earlier run of this turn that stopped before its checkpoint: already counted
    const earlier = item.keys.map((k) => ledger.get(k)?.row ?? seen.get(k)).find((r) => r !== undefined);
    if (earlier !== undefined) {
      counts.processed += 1;
      counts.failed += 1;
      errors.push(duplicateError(item, earlier));
      continue;
    }
    for (const k of item.keys) seen.set(k, item.row);
    fresh.push(item);
  }

  const matches = await matchUsers(
    env.db,
    job.tenantId,
    fresh.flatMap((i) => i.keys),
  );
  const matchOf = (item: Item) => item.keys.map((k) => matches.get(k)).find((u) => u !== undefined);
  const matchedIds = [...new Set(fresh.flatMap((i) => matchOf(i)?.id ?? []))];
  const userLedger = await readRefs(
    env.db,
    job,
    matchedIds.map((id) => `u:${id}`),
  );
  const resources = new Map(
    (await env.users.getUsers({ ...ctx, principal: systemPrincipal }, matchedIds)).map((u) => [u.id, u] as [string, User]),
  );
  const toCreate: Item[] = [];
  const userRows = new Map<string, number>();
  const updates: Array<() => Promise<void>> = [];
  for (const item of fresh) {
    const input = item.input as CreateUserInput;
    const row = matchOf(item);
    if (!row) {
      toCreate.push(item);
      continue;
    }
    const earlier = userLedger.get(`u:${row.id}`)?.row ?? userRows.get(row.id);
    if (earlier !== undefined) {
      counts.processed += 1;
      counts.failed += 1;
      errors.push(duplicateError(item, earlier));
      continue;
    }
    userRows.set(row.id, item.row);
    const mark = (outcome: string) => [...item.keys, `u:${row.id}`].map((ref) => ({ ref, row: item.row, outcome }));
    if (after(row.updatedAt, start)) {
      counts.processed += 1;
      counts.conflicts += 1;
      errors.push(changedError(item.row, row, startedAt));
      refs.push(...mark('conflict'));
      continue;
    }
    const user = resources.get(row.id);
    const patch = user ? changesFor(input, user) : {};
    if (Object.keys(patch).length === 0) {
      counts.processed += 1;
      counts.unchanged += 1;
      refs.push(...mark('unchanged'));
      continue;
    }
    updates.push(async () => {
      try {
        await env.users.updateUser(ctx, row.id, patch, etagOf(row), {
          beforeCommit: async (trx) => {
            if (dryRun) throw new DryRunRollback();
            await env.stillAllowed(trx);
            await writeRefs(trx, job, mark('updated'));
            await bump(trx, job, { processed: 1, updated: 1 });
          },
        });
      } catch (error) {
        if (error instanceof DryRunRollback) {
          counts.processed += 1;
          counts.updated += 1;
          refs.push(...mark('updated'));
        } else if (error instanceof AppError && error.code === 'USER_VERSION_MISMATCH') {
          counts.processed += 1;
          counts.conflicts += 1;
          errors.push(changedError(item.row, row, startedAt));
          refs.push(...mark('conflict'));
        } else if (error instanceof AppError) {
          // The user is in the file even though this row failed: a sync must not deactivate it.
          fail(item.row, error, patch);
          refs.push(...mark('failed'));
        } else throw error;
      }
    });
  }
  await inLanes(updates, UPDATE_LANES);

  for (let i = 0; i < toCreate.length; i += options.batchSize) {
    const part = toCreate.slice(i, i + options.batchSize);
    const outcomes = await env.users.createUsers(
      ctx,
      part.map((p) => p.input as CreateUserInput),
      {
        mode: 'partial',
        returnUsers: false,
        background: true,
        ...(dryRun
          ? { dryRun: true }
          : {
              onChunk: async (trx: Executor, chunk) => {
                await env.stillAllowed(trx);
                const created = chunk.filter((o) => o.status === 'created' && o.userId);
                await writeRefs(
                  trx,
                  job,
                  created.flatMap((o) => {
                    const item = part[o.index] as Item;
                    return [...item.keys, `u:${o.userId}`].map((ref) => ({ ref, row: item.row, outcome: 'created' }));
                  }),
                );
                await bump(trx, job, { processed: created.length, created: created.length });
              },
            }),
      },
    );
    for (const o of outcomes) {
      const item = part[o.index] as Item;
      if (o.status === 'valid') {
        counts.processed += 1;
        counts.created += 1;
        refs.push(...item.keys.map((ref) => ({ ref, row: item.row, outcome: 'created' })));
      } else if (o.status !== 'created' && o.error) fail(item.row, o.error, item.input);
    }
  }

  // The checkpoint: what was not applied in its own transaction, the errors, and the resume point, together.
  const lastRow = (records.at(-1) as ImportRecord).row;
  await env.db.transaction().execute(async (trx) => {
    if (!dryRun) await env.stillAllowed(trx);
    await writeRefs(trx, job, refs);
    await bump(trx, job, counts, lastRow);
    await imports.insertErrors(trx, job.tenantId, job.id, errors);
  });
}

function duplicateError(item: Item, earlier: number): RowError {
  const key = item.keys[0] ?? '';
  const kind = key.startsWith('k:x:') ? 'externalId' : key.startsWith('k:e:') ? 'email' : 'username';
  const input = item.input as Record<string, unknown>;
  return {
    row: item.row,
    code: 'ROW_DUPLICATE',
    field: kind,
    message: `This row names the same user as row ${earlier}; only the first is applied`,
    value: failedValue(input, kind),
    duplicateOf: earlier,
  };
}

/** The users a sync may deactivate: active, live, in its scope, and not named by the file. */
function deactivationCandidates(db: Executor, job: ImportJobRow, scope: SyncScope) {
  let query = db
    .selectFrom('users')
    .select(['id', 'version', 'updatedAt', 'email', 'externalId', 'username'])
    .where('users.tenantId', '=', job.tenantId)
    .where('users.deletedAt', 'is', null)
    .where('users.active', '=', true as never)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('importJobRefs as r')
            .select(sql`1`.as('one'))
            .where('r.tenantId', '=', job.tenantId)
            .where('r.jobId', '=', job.id)
            .whereRef('r.ref', '=', sql<string>`'u:' || users.id`),
        ),
      ),
    );
  if (scope.externalIdPrefix !== undefined)
    query = query.where(sql<boolean>`substr(users.external_id, 1, ${scope.externalIdPrefix.length}) = ${scope.externalIdPrefix}`);
  if (scope.group !== undefined) {
    const group = scope.group;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('userGroups as ug')
          .innerJoin('groups as g', (j) => j.onRef('g.tenantId', '=', 'ug.tenantId').onRef('g.id', '=', 'ug.groupId'))
          .select(sql`1`.as('one'))
          .where('ug.tenantId', '=', job.tenantId)
          .whereRef('ug.userId', '=', 'users.id')
          .where((eb) => eb.or([eb('g.id', '=', group), eb(sql<string>`g.type || ':' || g.code`, '=', group)])),
      ),
    );
  }
  return query;
}

/**
 * One turn of a sync's second phase: deactivates (through UserService.updateUser, `{active:false}`
 * at the version read here) up to a page of the users in scope that the file did not name. A user
 * changed after the import started is reported (USER_CHANGED) and left active. Each deactivation is
 * recorded in the ledger in its own transaction, so a resumed job never deactivates twice, and the
 * ledger is also how a dry run (which deactivates nobody) moves on.
 * @returns whether more users may be left.
 */
export async function runDeactivateTurn(env: UpsertEnv, ctx: TenantContext, job: ImportJobRow, page: number): Promise<boolean> {
  const dryRun = readBool(job.dryRun);
  const start = new Date(toIso(job.createdAt)).getTime();
  const scope = job.scope === null ? {} : (JSON.parse(job.scope) as SyncScope);
  const candidates = await deactivationCandidates(env.db, job, scope).orderBy('users.seq').limit(page).execute();
  if (candidates.length === 0) return false;
  const counts = zero();
  const errors: RowError[] = [];
  const refs: Array<{ ref: string; row: number; outcome: string }> = [];
  const tasks: Array<() => Promise<void>> = [];
  for (const user of candidates) {
    const ref = `u:${user.id}`;
    const who = user.externalId ?? user.email ?? user.username ?? user.id;
    if (after(user.updatedAt, start)) {
      counts.conflicts += 1;
      errors.push({ ...changedError(0, user, toIso(job.createdAt)), value: who });
      refs.push({ ref, row: 0, outcome: 'conflict' });
      continue;
    }
    tasks.push(async () => {
      try {
        await env.users.updateUser(ctx, user.id, { active: false }, etagOf(user), {
          beforeCommit: async (trx) => {
            if (dryRun) throw new DryRunRollback();
            await env.stillAllowed(trx);
            await writeRefs(trx, job, [{ ref, row: 0, outcome: 'deactivated' }]);
            await bump(trx, job, { deactivated: 1 });
          },
        });
      } catch (error) {
        if (error instanceof DryRunRollback) {
          counts.deactivated += 1;
          refs.push({ ref, row: 0, outcome: 'deactivated' });
        } else if (error instanceof AppError) {
          const conflict = error.code === 'USER_VERSION_MISMATCH';
          if (conflict) counts.conflicts += 1;
          else counts.failed += 1;
          errors.push(
            conflict
              ? { ...changedError(0, user, toIso(job.createdAt)), value: who }
              : {
                  row: 0,
                  code: error.code,
                  field: null,
                  message: `Deactivating the user ${user.id}: ${error.message}`,
                  value: who,
                  duplicateOf: null,
                },
          );
          refs.push({ ref, row: 0, outcome: conflict ? 'conflict' : 'failed' });
        } else throw error;
      }
    });
  }
  await inLanes(tasks, UPDATE_LANES);
  await env.db.transaction().execute(async (trx) => {
    if (!dryRun) await env.stillAllowed(trx);
    await writeRefs(trx, job, refs);
    await bump(trx, job, counts);
    await imports.insertErrors(trx, job.tenantId, job.id, errors);
  });
  return true;
}
