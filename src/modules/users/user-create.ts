import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, type FieldError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { HashAdmission, PasswordHasher } from '../../lib/password-hasher.js';
import { normalizeImportedHash } from '../../lib/password-hashes.js';
import { nowIso } from '../../lib/time.js';
import { generatePassword } from '../../rules/password.js';
import { carriedCreationDate } from '../../rules/creation-date.js';
import {
  attributeTakenErrors,
  findTakenAttributeValues,
  listAttributeDefinitions,
  prepareAttributes,
  type AttributeClaim,
} from '../attributes/attribute.service.js';
import { actorRef, requirePermission, type TenantContext } from '../context.js';
import { EVENT_ROW_COLUMNS, eventsOfNewResources } from '../events/event.service.js';
import { insertRows, insertStatement, runStatement, type SqlDialect } from './user-insert.sql.js';
import { SeqBlocks, type SeqTurn } from './seq-blocks.js';
import { executeBatch, executeSpeculatively, rowCountsMet, type BatchStatement } from '../../db/statement-batch.js';
import type { NewEvent } from '../events/event.catalog.js';
import { isUniqueViolation } from '../../db/errors.js';
import { insertChunkPostgres, reserveSeqPostgres } from './user-insert.postgres.js';
import type { EventType } from '../events/event.catalog.js';
import { toGroupRef } from '../groups/group.service.js';
import { toUserResponse } from './user.mapper.js';
import type { UserRow } from './user.table.js';
import { defaultGroups, loadGroups, matchGroups } from '../groups/group.service.js';
import type { GroupRow } from '../groups/group.table.js';
import { assertCanGrant, loadRoles, loadRolesByFreeText, matchRoles, type RoleRecord } from '../roles/role.service.js';
import type { PersonNameField, TenantSettings } from '../settings/settings.schemas.js';
import type { Tenant } from '../tenants/tenant.schemas.js';
import { addressee, queueUserMail } from '../mail/mail.service.js';
import * as users from './user.repository.js';
import { inputFieldError } from '../../lib/safe-input.js';
import {
  claimsTenantWide,
  identifiersOf,
  prepareProfile,
  TENANT_SCOPE,
  type FreeTextField,
  type IdentifierClaim,
  type PreparedProfile,
} from './user.rules.js';
import type { CreateUserInput, User } from './user.schemas.js';
import type { NewUserRow } from './user.table.js';

/** Rows per multi-row insert: 500 users × ~40 columns stays under SQLite's and PostgreSQL's parameter limits. */
export const CHUNK_SIZE = 500;
/**
 * Most synchronous validation a batch runs before it lets the event loop serve others (checked between
 * items): other requests, and the writer thread's answers to the batch before it (an import: runImport).
 * 5 ms made each of those answers wait up to that long; 1 ms: a CLI import 10 % faster.
 */
const VALIDATE_SLICE_MS = 1;

export type CreateMode = 'partial' | 'atomic';

export interface CreateOptions {
  mode: CreateMode;
  /** Check everything (rules, uniqueness against the database and within the batch) but create nothing. */
  dryRun?: boolean;
  /**
   * Runs inside each chunk's transaction after its users are inserted; the first chunk also gets the
   * items that failed before inserting (with none to insert, it runs alone in a transaction). Import
   * jobs record their progress there, so a row is counted exactly when its user is committed.
   */
  onChunk?: (trx: Executor, outcomes: ItemOutcome[]) => Promise<void>;
  /**
   * Email-domain rules for this call, over the tenant's: a contract that promises to refuse
   * personal or throw-away domains (Fleet) asks for them here, and the one domain rule applies them.
   */
  emailPolicy?: Partial<TenantSettings['email']>;
  /**
   * Name fields this call requires besides the tenant's `names.required`: a contract whose seed
   * requires a name (Rocket.Chat's `name`) asks for it here, and the one name rule refuses it blank.
   */
  requiredNames?: PersonNameField[];
  /**
   * Members a contract's seed types as free strings: normalised when possible, kept as sent otherwise,
   * never refused (user.rules.ts, FreeTextField).
   */
  asSent?: FreeTextField[];
  /**
   * Role names are free text a product's client sent (`Admin`, `Sales Agent`): each is found by name or
   * display name without case, or by its slug (roles' loadRolesByFreeText), instead of by exact name.
   */
  freeTextRoles?: boolean;
  /** Join only the default groups of these types (Rocket.Chat's default channels); all types when unset. */
  defaultGroupTypes?: string[];
  /** Event types recorded beside `user.created` for each new user, e.g. Pulse's `user_created`. */
  alsoAnnounceAs?: EventType[];
  /** Import jobs and the CLI: never refused for a busy password hasher, they wait their turn. */
  background?: boolean;
  /** Per item, the request it came from, for its events (coalesced single creates); the context's otherwise. */
  requestIds?: string[];
  /** Per item, the hashing admission its request obtained (coalesced single creates); one for the batch otherwise. */
  admissions?: HashAdmission[];
  /**
   * Nothing is written before this settles, and nothing at all if it rejects: an import validates its next
   * batch while the one before it writes (runImport), and writes after it. Uniqueness against that batch
   * is then decided by the claims the insert makes, with the same 409s. With `pipeline.after`, a batch may
   * be written before this settles, but only once the batch named `after` (this one's write) has committed.
   */
  writeAfter?: PromiseLike<unknown>;
  /**
   * SQLite imports: this batch's name (`token`) and the name of the batch before it (`after`, whose write is
   * `writeAfter`). A batch written in one piece is then posted to the writer thread as soon as that one is, to
   * run right after it commits (executeSpeculatively); if it did not commit, this one is written the usual way.
   */
  pipeline?: { token: number; after?: number };
}

export interface ItemOutcome {
  index: number;
  /** `skipped`: valid, but not created because an atomic batch failed; `valid`: a dry run found no problem. */
  status: 'created' | 'failed' | 'skipped' | 'valid';
  userId?: string;
  generatedPassword?: string;
  error?: AppError;
  /** The created user as stored (every attribute; callers hide what the caller may not read). */
  resource?: User;
}

interface Candidate {
  index: number;
  input: CreateUserInput;
  profile: PreparedProfile;
  claims: IdentifierClaim[];
  /** Whether its identifiers are claimed tenant-wide; a deactivated user's are not where `users.uniqueAmong` is `active`. */
  tenantWide: boolean;
  attributeValues: Record<string, unknown>;
  attributeClaims: AttributeClaim[];
  roles: RoleRecord[];
  groups: GroupRow[];
  importedHash?: string;
  /** A creation date carried over from another system (`users:import`); the insert time otherwise. */
  createdAt?: string;
}

/** The 409 for identifiers, the externalId or unique attribute values held elsewhere, or nothing. */
export function conflictError(
  claims: IdentifierClaim[],
  lostValues: Set<string>,
  lostAttributes: AttributeClaim[] = [],
  externalIdLost = false,
): AppError | undefined {
  const errors: FieldError[] = claims
    .filter((c) => lostValues.has(c.value))
    .flatMap((c) => c.fields.map((f) => fieldError(`/${f}`, f === 'email' ? 'EMAIL_TAKEN' : 'USERNAME_TAKEN')));
  if (externalIdLost) errors.push(fieldError('/externalId', 'EXTERNAL_ID_TAKEN'));
  errors.push(...attributeTakenErrors(lostAttributes));
  if (errors.length === 0) return undefined;
  const has = (code: string) => errors.some((e) => e.code === code);
  const code = has('EMAIL_TAKEN')
    ? 'USER_EMAIL_TAKEN'
    : has('USERNAME_TAKEN')
      ? 'USER_USERNAME_TAKEN'
      : has('EXTERNAL_ID_TAKEN')
        ? 'USER_EXTERNAL_ID_TAKEN'
        : 'USER_ATTRIBUTE_TAKEN';
  return new AppError(code, { errors });
}

/** Whether creating this user hashes a password here (a given or generated one; imported hashes are stored as they are). */
export function needsHash(input: CreateUserInput): boolean {
  return input.password !== undefined || input.generatePassword === true;
}

/** Exactly one way of giving a password; an imported hash must be in a supported format. */
function passwordSource(input: CreateUserInput, errors: FieldError[]): string | undefined {
  const given = [input.password !== undefined, input.passwordHash !== undefined, input.generatePassword === true].filter(Boolean).length;
  if (given > 1) errors.push(fieldError('/password', 'PASSWORD_CONFLICT'));
  if (input.passwordHash === undefined) return undefined;
  const importedHash = normalizeImportedHash(input.passwordHash);
  if (!importedHash) errors.push(fieldError('/passwordHash', 'PASSWORD_HASH_UNSUPPORTED'));
  return importedHash;
}

/**
 * The creation date an item carries over, checked: only callers holding `users:import` may set one
 * (403 otherwise, like `active` without `users:set-active`), and it must be a real past instant.
 * @throws PERMISSION_DENIED
 */
function carriedCreatedAt(input: CreateUserInput, principal: TenantContext['principal'], errors: FieldError[]): string | undefined {
  if (input.createdAt === undefined) return undefined;
  requirePermission(principal, 'users:import');
  const checked = carriedCreationDate(input.createdAt);
  if ('code' in checked) {
    errors.push(
      fieldError('/createdAt', checked.code, checked.code === 'FIELD_OUT_OF_RANGE' ? 'createdAt cannot be before 1970-01-01' : undefined),
    );
    return undefined;
  }
  return checked.value;
}

const claimKey = (c: AttributeClaim) => `${c.key}\u0000${c.value}`;

/**
 * The one create path: a single create is a batch of one. Work is proportional to the batch, not
 * to its users: one query per lookup for the whole batch, one uniqueness round, one multi-row
 * insert per chunk of 500, and passwords hashed concurrently on the thread pool.
 */
export class UserCreator {
  private readonly seqBlocks = new SeqBlocks();

  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly publicUrl: string,
    /**
     * On SQLite the user numbers are reserved inside the creating transaction: its single writer is
     * taken anyway, and a separate commit would cost a second fsync per create. On PostgreSQL they are
     * reserved before it, like a sequence, so no transaction holds the counter's row lock.
     */
    private readonly seqInTransaction = false,
  ) {}

  /** @throws PERMISSION_DENIED when the caller may not create users (or inactive ones) at all. */
  async create(
    ctx: TenantContext,
    tenant: Tenant,
    items: Array<CreateUserInput | AppError>,
    options: CreateOptions,
  ): Promise<ItemOutcome[]> {
    // An import on SQLite numbers its users from blocks reserved ahead, in the order its batches came, whichever
    // is validated first (SeqBlocks.turn).
    const turn = this.seqInTransaction && options.writeAfter !== undefined ? this.seqBlocks.turn(ctx.tenantId) : undefined;
    try {
      return await this.createInTurn(ctx, tenant, items, options, turn);
    } finally {
      turn?.skip();
    }
  }

  private async createInTurn(
    ctx: TenantContext,
    tenant: Tenant,
    items: Array<CreateUserInput | AppError>,
    options: CreateOptions,
    turn: SeqTurn | undefined,
  ): Promise<ItemOutcome[]> {
    const { tenantId, principal } = ctx;
    const { settings } = tenant;
    requirePermission(principal, 'users:create');
    if (items.some((i) => !(i instanceof AppError) && i.active === false)) requirePermission(principal, 'users:set-active');

    const outcomes: ItemOutcome[] = items.map((_, index) => ({ index, status: 'failed' }));
    const fail = (index: number, error: AppError) => Object.assign(outcomes[index] as ItemOutcome, { status: 'failed', error });
    const inputs: Array<{ index: number; input: CreateUserInput }> = [];
    items.forEach((item, index) => (item instanceof AppError ? fail(index, item) : inputs.push({ index, input: item })));
    const effective = {
      ...settings,
      ...(options.emailPolicy ? { email: { ...settings.email, ...options.emailPolicy } } : {}),
      ...(options.requiredNames
        ? { names: { ...settings.names, required: [...new Set([...settings.names.required, ...options.requiredNames])] } }
        : {}),
    };
    const candidates = await this.validate(
      ctx,
      effective,
      inputs,
      fail,
      options.defaultGroupTypes,
      new Set(options.asSent ?? []),
      options.freeTextRoles,
    );
    // PostgreSQL, nothing to hash, everything committed at once: the early uniqueness round is skipped and the
    // chunk written in one optimistic statement (user-insert.postgres.ts); a lost claim makes it fail whole,
    // and then the early round and the careful path run as they always do.
    const optimistic =
      !this.seqInTransaction &&
      !options.dryRun &&
      (options.mode === 'atomic' || !options.onChunk || candidates.length <= CHUNK_SIZE) &&
      !candidates.some((c) => needsHash(c.input));
    let accepted = withinBatch(candidates, fail);
    if (!optimistic) accepted = await this.checkTaken(tenantId, accepted, fail);
    // A lone optimistic statement's rows (numbered by the statement itself) are built before its turn: an import
    // builds its next batch while the one before it writes, instead of between two writes.
    const prebuilt =
      optimistic && accepted.length > 0 && !(options.mode === 'atomic' && outcomes.some((o) => o.error))
        ? this.prebuildAlone(ctx, accepted, options)
        : undefined;
    // SQLite waits in insert(), once its chunks are built; nothing writes before either.
    if (!this.seqInTransaction) await options.writeAfter;

    const settled = () => {
      const failed = outcomes.some((o) => o.error);
      if (!options.dryRun && !(options.mode === 'atomic' && failed)) return false;
      for (const c of accepted) (outcomes[c.index] as ItemOutcome).status = options.dryRun ? 'valid' : 'skipped';
      return true;
    };
    if (settled()) return outcomes;
    let reservedSeq: number | undefined;
    if (optimistic && accepted.length > 0) {
      const attempt = await this.insertOptimistic(ctx, tenant, accepted, outcomes, options, prebuilt);
      if (attempt.done) return outcomes;
      reservedSeq = attempt.reservedSeq;
      accepted = await this.checkTaken(tenantId, accepted, fail);
      if (settled()) return outcomes;
    }
    await this.insert(ctx, tenant, accepted, outcomes, options, reservedSeq, turn);
    return outcomes;
  }

  /** Every rule, for every item, with the batch's lookups done once. */
  private async validate(
    ctx: TenantContext,
    settings: TenantSettings,
    inputs: Array<{ index: number; input: CreateUserInput }>,
    fail: (i: number, e: AppError) => void,
    defaultGroupTypes?: string[],
    freeText: ReadonlySet<FreeTextField> = new Set(),
    freeTextRoles = false,
  ): Promise<Candidate[]> {
    const { tenantId, principal } = ctx;
    const [rolesByName, groupRows, allDefaults, definitions] = await Promise.all([
      (freeTextRoles ? loadRolesByFreeText : loadRoles)(
        this.db,
        tenantId,
        inputs.flatMap(({ input }) => input.roles ?? settings.users.defaultRoles),
      ),
      loadGroups(
        this.db,
        tenantId,
        inputs.flatMap(({ input }) => input.groups ?? []),
      ),
      defaultGroups(this.db, tenantId),
      listAttributeDefinitions(this.db, tenantId),
    ]);
    const defaults = defaultGroupTypes ? allDefaults.filter((g) => defaultGroupTypes.includes(g.type)) : allDefaults;
    const candidates: Candidate[] = [];
    let ranSince = performance.now();
    for (const { index, input } of inputs) {
      // A password's strength estimate can take tens of ms of CPU (STRENGTH_INPUT_CHARS bounds it, not to
      // zero): after each item that ran past a time slice, let other requests (other tenants) in.
      if (performance.now() - ranSince >= VALIDATE_SLICE_MS) {
        await yieldToEventLoop();
        ranSince = performance.now();
      }
      const hostile = inputFieldError(input);
      if (hostile) {
        fail(index, new AppError('VALIDATION_FAILED', { errors: [hostile] }));
        continue;
      }
      const { profile, errors } = prepareProfile(input, settings, { asSent: freeText });
      let createdAt: string | undefined;
      try {
        createdAt = carriedCreatedAt(input, principal, errors);
      } catch (error) {
        fail(index, error as AppError);
        continue;
      }
      const importedHash = passwordSource(input, errors);
      // The tenant's default roles go through the same guard as named ones: a creator who could not
      // grant them gets 403, never a user with rights the creator lacks (nor one silently without them).
      const roles = matchRoles(rolesByName, input.roles ?? settings.users.defaultRoles, '/roles');
      const groups = matchGroups(groupRows, input.groups ?? [], '/groups');
      const sent = (input.attributes ?? {}) as Record<string, unknown>;
      const attributes = prepareAttributes(definitions, principal, sent, sent, true);
      errors.push(...roles.errors, ...groups.errors, ...attributes.errors);
      if (errors.length > 0) {
        fail(index, new AppError('VALIDATION_FAILED', { errors }));
        continue;
      }
      try {
        for (const role of roles.roles) assertCanGrant(principal, role.permissions, `role "${role.name}"`);
      } catch (error) {
        fail(index, error as AppError);
        continue;
      }
      if (input.joinDefaultGroups !== false) for (const g of defaults) if (!groups.groups.some((x) => x.id === g.id)) groups.groups.push(g);
      candidates.push({
        index,
        input,
        profile,
        claims: identifiersOf(profile),
        tenantWide: claimsTenantWide(settings.users, input.active ?? true),
        attributeValues: attributes.values,
        attributeClaims: attributes.claims,
        roles: roles.roles,
        groups: groups.groups,
        ...(importedHash ? { importedHash } : {}),
        ...(createdAt ? { createdAt } : {}),
      });
    }
    return candidates;
  }

  /**
   * The early uniqueness answer against the database (one round, its lookups concurrent). The claims made
   * while inserting are what decide.
   */
  private async checkTaken(tenantId: string, firstPass: Candidate[], fail: (i: number, e: AppError) => void): Promise<Candidate[]> {
    const [taken, takenAttributeList, takenExternalIds] = await Promise.all([
      users.findTakenIdentifiers(
        this.db,
        tenantId,
        firstPass.flatMap((c) => (c.tenantWide ? c.claims.map((x) => x.value) : [])),
      ),
      findTakenAttributeValues(
        this.db,
        tenantId,
        firstPass.flatMap((c) => c.attributeClaims),
      ),
      users.findTakenExternalIds(
        this.db,
        tenantId,
        firstPass.flatMap((c) => c.profile.externalId ?? []),
      ),
    ]);
    const takenAttributes = new Set(takenAttributeList.map(claimKey));
    return firstPass.filter((c) => {
      const conflict = conflictError(
        c.claims,
        new Set(c.claims.map((x) => x.value).filter((v) => c.tenantWide && taken.has(v))),
        c.attributeClaims.filter((a) => takenAttributes.has(claimKey(a))),
        c.profile.externalId !== null && takenExternalIds.has(c.profile.externalId),
      );
      if (conflict) return (fail(c.index, conflict), false);
      return true;
    });
  }

  /** The users rows of accepted candidates, numbered from `firstSeq`. */
  private userRows(
    ctx: TenantContext,
    accepted: Candidate[],
    firstSeq: number,
    hashes: Array<{ hash: string | null }>,
  ): Array<NewUserRow & { id: string }> {
    const now = nowIso();
    const createdBy = actorRef(ctx.principal);
    return accepted.map((c, i): NewUserRow & { id: string } => ({
      tenantId: ctx.tenantId,
      id: newId(),
      seq: firstSeq + i,
      ...c.profile,
      address: c.profile.address === null ? null : JSON.stringify(c.profile.address),
      attributes: JSON.stringify(c.attributeValues),
      passwordHash: hashes[i]?.hash ?? null,
      active: c.input.active ?? true,
      emailVerified: c.input.emailVerified ?? false,
      requirePasswordChange: c.input.requirePasswordChange ?? false,
      // A carried-over creation date is the user's; the event recording the create keeps its own time (now).
      createdAt: c.createdAt ?? now,
      updatedAt: now,
      createdBy,
      version: 1,
      deletedAt: null,
    }));
  }

  /**
   * PostgreSQL's optimistic write (user-insert.postgres.ts): each chunk in one statement. A lone chunk
   * with nothing else to commit (no mail, no import progress) is one autocommitted statement that also
   * reserves the users' numbers; otherwise the numbers are reserved first and the chunks written in one
   * transaction with what must commit with them.
   * @param prebuilt the lone statement's chunk, built ahead (prebuildAlone)
   * @returns done: false when a claim was lost: nothing was written, and the careful path must run
   * (with the numbers reserved, if any).
   */
  private async insertOptimistic(
    ctx: TenantContext,
    tenant: Tenant,
    accepted: Candidate[],
    outcomes: ItemOutcome[],
    options: CreateOptions,
    prebuilt?: OptimisticChunk[],
  ): Promise<{ done: boolean; reservedSeq?: number }> {
    const { tenantId } = ctx;
    const mailed = isMailed(accepted);
    const alone = prebuilt !== undefined;
    // Alone, the statement reserves the numbers: rows and payloads carry offsets 0, 1, … until it answers.
    const reservedSeq = alone ? undefined : await reserveSeqPostgres(this.db, tenantId, 'users', accepted.length);
    const chunks = prebuilt ?? this.optimisticChunks(ctx, accepted, options, reservedSeq);
    const failedEarly = outcomes.filter((o) => o.error);
    // Outcomes are set once everything committed; onChunk sees its chunk's as they will be.
    const settled: ItemOutcome[] = [];
    const writeChunk = async (db: Executor, { items, resources, writes }: OptimisticChunk, first: boolean) => {
      const base = await insertChunkPostgres(db, tenantId, writes, alone);
      if (mailed) await this.queueMail(db, ctx, tenant, items);
      const chunkOutcomes = items.map(({ candidate, row }): ItemOutcome => {
        const resource = resources.get(candidate.index) as User;
        if (alone) resource.seq = row.seq = base + Number(row.seq);
        return { index: candidate.index, status: 'created', userId: row.id, resource };
      });
      settled.push(...chunkOutcomes);
      await options.onChunk?.(db, first ? [...failedEarly, ...chunkOutcomes] : chunkOutcomes);
    };
    try {
      if (alone) await writeChunk(this.db, chunks[0] as OptimisticChunk, true);
      else
        await this.db.transaction().execute(async (trx) => {
          for (const [i, chunk] of chunks.entries()) await writeChunk(trx, chunk, i === 0);
        });
    } catch (error) {
      if (isUniqueViolation(error)) return { done: false, ...(reservedSeq === undefined ? {} : { reservedSeq }) };
      throw error;
    }
    for (const o of settled) Object.assign(outcomes[o.index] as ItemOutcome, o);
    return { done: true };
  }

  /**
   * The chunk of a lone optimistic statement (one chunk, no mail, no import progress: the statement reserves
   * the users' numbers itself), or none when the write is not alone. Pure: nothing is read or written.
   */
  private prebuildAlone(ctx: TenantContext, accepted: Candidate[], options: CreateOptions): OptimisticChunk[] | undefined {
    const alone = accepted.length <= CHUNK_SIZE && !isMailed(accepted) && !options.onChunk;
    return alone ? this.optimisticChunks(ctx, accepted, options, undefined) : undefined;
  }

  /** The optimistic statements' rows, a chunk each, numbered from `reservedSeq` (undefined: offsets 0, 1, … the statement numbers). */
  private optimisticChunks(
    ctx: TenantContext,
    accepted: Candidate[],
    options: CreateOptions,
    reservedSeq: number | undefined,
  ): OptimisticChunk[] {
    const rows = this.userRows(
      ctx,
      accepted,
      reservedSeq ?? 0,
      accepted.map((c) => ({ hash: c.importedHash ?? null })),
    );
    return chunksOf(accepted.length).map((positions) => {
      const items = positions.map((p) => ({ candidate: accepted[p] as Candidate, row: rows[p] as NewUserRow & { id: string } }));
      const { resources, roles, groups, events } = this.survivorWrites(ctx, options, items);
      const { rows: eventRows, counters } = eventsOfNewResources(ctx, events);
      const offsets = new Map(items.map((i) => [i.row.id, Number(i.row.seq)]));
      const writes = {
        users: items.map((i) => i.row),
        ...claimsOf(items),
        roles,
        groups,
        events: eventRows,
        counters,
        eventUserSeq: eventRows.map((e) => (reservedSeq === undefined ? (offsets.get(e.resourceId) ?? null) : null)),
      };
      return { items, resources, writes };
    });
  }

  /** What a chunk's surviving users add beside their rows: roles, groups, and the events whose payload is the answer. */
  private survivorWrites(
    ctx: TenantContext,
    { alsoAnnounceAs = [], requestIds }: CreateOptions,
    survivors: Array<{ candidate: Candidate; row: NewUserRow & { id: string } }>,
  ) {
    const resources = new Map<number, User>();
    const events = survivors.flatMap(({ candidate, row }) => {
      // The resource is built from what was just written: it is the event's payload and, after commit, the answer.
      const data = toUserResponse(row as unknown as UserRow, {
        roles: candidate.roles,
        groups: candidate.groups.map(toGroupRef),
        attributes: candidate.attributeValues,
      });
      resources.set(candidate.index, data);
      const requestId = requestIds?.[candidate.index];
      return (['user.created', ...alsoAnnounceAs] as const).map((type): NewEvent => ({
        type,
        resourceType: 'user',
        resourceId: row.id,
        data,
        ...(requestId ? { requestId } : {}),
      }));
    });
    return {
      resources,
      roles: survivors.flatMap((i) => i.candidate.roles.map((r) => ({ userId: i.row.id, roleId: r.id }))),
      groups: survivors.flatMap((i) => i.candidate.groups.map((g) => ({ userId: i.row.id, groupId: g.id }))),
      events,
    };
  }

  private async queueMail(
    trx: Executor,
    ctx: TenantContext,
    tenant: Tenant,
    survivors: Array<{ candidate: Candidate; row: NewUserRow & { id: string } }>,
  ): Promise<void> {
    const mailed = survivors.filter(({ candidate }) => mailsOnCreate(candidate));
    // No SQL at all when nobody is mailed: insertChunkBatched's early commit relies on it (nothing follows it).
    if (mailed.length === 0) return;
    await queueUserMail(
      trx,
      ctx,
      { ...tenant.settings, tenantName: tenant.name, tenantSlug: tenant.slug },
      this.publicUrl,
      mailed.map(({ candidate, row }) => ({
        userId: row.id,
        ...addressee(candidate.profile),
        // A password the user can know: one the creator gave (or an imported hash). A generated one is
        // answered to the creator at most (Rocket.Chat's setRandomPassword: to nobody) and never mailed,
        // so its welcome mail carries a set-password link.
        hasPassword: candidate.input.password !== undefined || candidate.importedHash !== undefined,
        welcome: candidate.input.sendWelcomeEmail === true,
        verify: candidate.input.sendVerificationEmail === true,
      })),
    );
  }

  private async insert(
    ctx: TenantContext,
    tenant: Tenant,
    accepted: Candidate[],
    outcomes: ItemOutcome[],
    options: CreateOptions,
    /** PostgreSQL: numbers an optimistic attempt reserved already (it rolled back, so they are unused). */
    reservedSeq?: number,
    /** SQLite imports: this batch's turn to take numbers from the blocks reserved ahead. */
    turn?: SeqTurn,
  ): Promise<void> {
    const { tenantId } = ctx;
    const { settings } = tenant;
    // Plain passwords are hashed concurrently; libuv's pool spreads them over the cores. A saturated
    // hasher refuses the request (503) before anything is queued.
    // Coalesced single creates were admitted one by one, each with its own admission.
    const own = options.background || options.admissions ? undefined : this.hasher.admit(accepted.filter((c) => needsHash(c.input)).length);
    let hashes: Array<{ generated: string | undefined; hash: string | null }>;
    try {
      hashes = await Promise.all(
        accepted.map(async (c) => {
          const generated = c.input.generatePassword ? generatePassword(settings.password) : undefined;
          const plaintext = c.input.password ?? generated;
          if (plaintext === undefined) return { generated, hash: c.importedHash ?? null };
          (options.admissions?.[c.index] ?? own)?.take();
          return { generated, hash: await this.hasher.hash(plaintext, { tenantId }) };
        }),
      );
    } finally {
      own?.release();
    }
    // An import on SQLite (writeAfter) numbers its users from a block reserved ahead (SeqBlocks), so that each
    // chunk is built before the batch before it has written, and its transaction is the writer's work alone.
    const numbered = turn !== undefined && accepted.length > 0;
    const firstSeq =
      reservedSeq ??
      (numbered
        ? await turn.take(this.db, accepted.length)
        : accepted.length > 0 && !this.seqInTransaction
          ? await reserveSeqPostgres(this.db, tenantId, 'users', accepted.length)
          : 0);
    const rows = this.userRows(ctx, accepted, firstSeq, hashes);
    const chunks = chunksOf(accepted.length);
    const failedEarly = outcomes.filter((o) => o.error);
    const itemsOf = (positions: number[]): ChunkItem[] =>
      positions.map((p) => ({ candidate: accepted[p] as Candidate, row: rows[p] as NewUserRow & { id: string } }));
    const prepared = numbered ? chunks.map((positions) => this.prepareChunk(ctx, options, itemsOf(positions))) : undefined;
    // Each chunk's outcomes once it is written: created, or failed for a claim another writer won.
    const settleChunk = (positions: number[], { lost, resources }: ChunkWritten) =>
      positions.map((p) => {
        const candidate = accepted[p] as Candidate;
        const outcome = outcomes[candidate.index] as ItemOutcome;
        const error = lost.get(candidate.index);
        if (error) return Object.assign(outcome, { status: 'failed', error });
        const generated = hashes[p]?.generated;
        return Object.assign(
          outcome,
          { status: 'created', userId: (rows[p] as { id: string }).id, resource: resources.get(candidate.index) },
          generated ? { generatedPassword: generated } : {},
        );
      });
    // An import's batch in one piece: posted to run right after the batch before it, without waiting for its answer.
    const speculated =
      prepared?.length === 1 && options.pipeline?.after !== undefined && !isMailed(accepted) && !options.onChunk
        ? await this.writeSpeculatively(
            prepared[0] as PreparedChunk,
            { ...options.pipeline, after: options.pipeline.after },
            options.writeAfter,
          )
        : undefined;
    if (speculated) {
      settleChunk(chunks[0] as number[], speculated);
      return;
    }
    if (this.seqInTransaction) await options.writeAfter;
    // `last`: nothing follows the chunk's write in its transaction, so SQLite's writer may commit with it (insertChunkBatched).
    const runChunk = async (trx: Executor, positions: number[], first: boolean, index: number, last = false) => {
      if (first && this.seqInTransaction && !numbered && rows.length > 0) {
        const start = await reserveSeqSqlite(trx, tenantId, rows.length);
        rows.forEach((row, i) => (row.seq = start + i));
      }
      // SQLite: the chunk in one batch (one message to the writer thread); PostgreSQL's careful path as it is.
      const items = itemsOf(positions);
      const written = this.seqInTransaction
        ? await this.insertChunkBatched(trx, ctx, tenant, options, items, prepared?.[index], last && !options.onChunk)
        : await this.insertChunk(trx, ctx, tenant, options, items);
      if (written.lost.size > 0 && options.mode === 'atomic') throw new AtomicConflict(written.lost);
      const chunkOutcomes = settleChunk(positions, written);
      await options.onChunk?.(trx, first ? [...failedEarly, ...chunkOutcomes] : chunkOutcomes);
    };
    if (chunks.length === 0 && options.onChunk) chunks.push([]);

    try {
      // One transaction (one commit) for a request's batch; import jobs commit each chunk with its progress, so they resume there.
      if (options.mode === 'atomic' || !options.onChunk)
        await this.db.transaction().execute(async (trx) => {
          for (const [i, chunk] of chunks.entries()) await runChunk(trx, chunk, i === 0, i, i === chunks.length - 1);
        });
      else {
        for (const [i, chunk] of chunks.entries()) {
          await this.db.transaction().execute((trx) => runChunk(trx, chunk, i === 0, i));
          await yieldToEventLoop();
        }
      }
    } catch (error) {
      if (!(error instanceof AtomicConflict)) throw error;
      // The transaction rolled back: the racing items failed, the others were never created.
      for (const c of accepted) {
        const outcome = outcomes[c.index] as ItemOutcome;
        const lostError = error.lost.get(c.index);
        Object.assign(
          outcome,
          lostError
            ? { status: 'failed', error: lostError }
            : { status: 'skipped', userId: undefined, generatedPassword: undefined, resource: undefined },
        );
      }
    }
  }

  /** What insertChunkBatched sends for a chunk whose users are numbered: built once, possibly before its transaction. */
  private prepareChunk(ctx: TenantContext, options: CreateOptions, items: ChunkItem[]): PreparedChunk {
    const claims = claimsOf(items);
    const claimed = claimStatements('sqlite', ctx.tenantId, claims);
    const { resources, roles, groups, events } = this.survivorWrites(ctx, options, items);
    const { rows: eventRows, counters } = eventsOfNewResources(ctx, events);
    const claimList = [
      { statement: claimed.identifiers, count: claims.identifiers.length },
      { statement: claimed.attributes, count: claims.attributeClaims.length },
      { statement: claimed.externalIds, count: claims.externalIds.length },
    ].flatMap(({ statement, count }) => (statement ? [{ statement, count }] : []));
    const statements = [
      insertStatement(
        'sqlite',
        'users',
        users.userColumns,
        items.map((i) => i.row),
      ),
      ...claimList.map((c) => c.statement),
      ...survivorStatements('sqlite', ctx.tenantId, { roles, groups, counters, eventRows }),
    ].filter((x): x is BatchStatement => x !== undefined);
    return { statements, claims: claimList, resources };
  }

  /**
   * SQLite: writes a chunk as one statement batch (statement-batch.ts: one message to the writer thread)
   * inside a savepoint, expecting every claim to be won, as the early uniqueness round found. When a
   * claim was lost after all (a race, or an import's earlier batch written meanwhile: runImport), the
   * savepoint is rolled back and insertChunk decides item by item.
   */
  private async insertChunkBatched(
    trx: Executor,
    ctx: TenantContext,
    tenant: Tenant,
    options: CreateOptions,
    items: ChunkItem[],
    /** The chunk as prepareChunk built it ahead (numbered users); built here otherwise. */
    ahead?: PreparedChunk,
    /** Nothing follows this chunk in its transaction: unless it queues mail, the batch commits when every claim is won. */
    last = false,
  ): Promise<ChunkWritten> {
    if (items.length === 0) return { lost: new Map(), resources: new Map() };
    const prepared = ahead ?? this.prepareChunk(ctx, options, items);
    // The savepoint of the transaction's chunk before, if left open: released first, so that this chunk's
    // writes are not kept for a rollback to it.
    const releasePrevious = chunkSavepoints.has(trx) ? [{ sql: 'RELEASE SAVEPOINT create_chunk', parameters: [] }] : [];
    chunkSavepoints.delete(trx);
    const statements = [...releasePrevious, { sql: 'SAVEPOINT create_chunk', parameters: [] }, ...prepared.statements];
    // Each claim statement answers the rows it inserted (RETURNING): as many as it was given means all were won.
    const allWon = prepared.claims.map(({ statement, count }) => ({ statement: statements.indexOf(statement), rows: count }));
    // The transaction's last write, with no mail to queue after it: the writer thread commits when every claim
    // was won, in the same message, instead of waiting for the main thread to send COMMIT (an import's batch).
    const commitWhen = last && !isMailed(items.map((i) => i.candidate)) ? allWon : undefined;
    const { answers } = await executeBatch(trx, statements, commitWhen, options.pipeline?.token);
    if (!rowCountsMet(answers, allWon)) {
      await executeBatch(trx, [
        { sql: 'ROLLBACK TO SAVEPOINT create_chunk', parameters: [] },
        { sql: 'RELEASE SAVEPOINT create_chunk', parameters: [] },
      ]);
      return this.insertChunk(trx, ctx, tenant, options, items);
    }
    // The savepoint is left open, a round trip fewer: the transaction's COMMIT releases it, or its next chunk.
    chunkSavepoints.add(trx);
    await this.queueMail(trx, ctx, tenant, items);
    return { lost: new Map(), resources: prepared.resources };
  }

  /**
   * SQLite imports: the whole batch (one prepared chunk, no mail) as a transaction of its own, posted to the
   * writer thread to run right after the batch before it commits (executeSpeculatively). Its outcome when every
   * claim was won and it committed; undefined when it wrote nothing, and the usual path then writes it.
   */
  private async writeSpeculatively(
    prepared: PreparedChunk,
    pipeline: { token: number; after: number },
    writeAfter: PromiseLike<unknown> | undefined,
  ): Promise<ChunkWritten | undefined> {
    const { statements, claims, resources } = prepared;
    const commitWhen = claims.map(({ statement, count }) => ({ statement: statements.indexOf(statement), rows: count }));
    // Whatever goes wrong here (the thread ended, the store closing) wrote nothing: the usual path meets it again.
    const { committed } = await executeSpeculatively(this.db, statements, {
      commitWhen,
      token: pipeline.token,
      after: pipeline.after,
      abandoned: writeAfter ?? Promise.resolve(),
    }).catch(() => ({ committed: false }));
    return committed ? { lost: new Map(), resources } : undefined;
  }

  /**
   * Inserts a chunk and claims its identifiers and unique values in one statement each. Items whose
   * claims another transaction won are removed again before commit.
   * @returns the items that lost a race, with their 409.
   */
  private async insertChunk(
    trx: Executor,
    ctx: TenantContext,
    tenant: Tenant,
    options: CreateOptions,
    items: ChunkItem[],
  ): Promise<ChunkWritten> {
    if (items.length === 0) return { lost: new Map(), resources: new Map() };
    const { tenantId } = ctx;
    const claims = claimsOf(items);
    const dialect = this.seqInTransaction ? 'sqlite' : 'postgres';
    const claimed = claimStatements(dialect, tenantId, claims);
    await insertRows(
      trx,
      dialect,
      'users',
      users.userColumns,
      items.map((i) => i.row),
    );
    const won = await runStatement<{ userId: string; value: string }>(trx, claimed.identifiers);
    const wonAttributes = await runStatement<AttributeClaim & { userId: string }>(trx, claimed.attributes);
    const wonExternalIds = new Set((await runStatement<{ userId: string }>(trx, claimed.externalIds)).map((w) => w.userId));
    const wonSet = new Set(won.map((w) => `${w.userId}\u0000${w.value}`));
    const wonAttributeSet = new Set(wonAttributes.map((w) => `${w.userId}\u0000${claimKey(w)}`));
    const lost = new Map<number, AppError>();
    for (const { candidate, row } of items) {
      const lostValues = new Set(candidate.claims.map((c) => c.value).filter((v) => !wonSet.has(`${row.id}\u0000${v}`)));
      const lostAttributes = candidate.attributeClaims.filter((a) => !wonAttributeSet.has(`${row.id}\u0000${claimKey(a)}`));
      const conflict = conflictError(
        candidate.claims,
        lostValues,
        lostAttributes,
        candidate.profile.externalId !== null && !wonExternalIds.has(row.id),
      );
      if (conflict) lost.set(candidate.index, conflict);
    }
    const losers = items.filter((i) => lost.has(i.candidate.index)).map((i) => i.row.id);
    await users.deleteMany(trx, tenantId, losers);
    const survivors = items.filter((i) => !lost.has(i.candidate.index));
    const { resources, roles, groups, events } = this.survivorWrites(ctx, options, survivors);
    const { rows: eventRows, counters } = eventsOfNewResources(ctx, events);
    for (const statement of survivorStatements(dialect, tenantId, { roles, groups, counters, eventRows }))
      await runStatement(trx, statement);
    await this.queueMail(trx, ctx, tenant, survivors);
    return { lost, resources };
  }
}

const withTenant = <T extends object>(tenantId: string, list: T[]) => list.map((x) => ({ tenantId, ...x }));

/**
 * A chunk's claims (claimsOf), a statement each (none when it claims nothing): an insert that does nothing on
 * conflict and answers what it inserted, the rows it won.
 */
function claimStatements(dialect: SqlDialect, tenantId: string, claims: ReturnType<typeof claimsOf>) {
  return {
    identifiers: insertStatement(
      dialect,
      'user_identifiers',
      ['tenantId', 'userId', 'value', 'scope'],
      withTenant(tenantId, claims.identifiers),
      ' ON CONFLICT (tenant_id, value, scope) DO NOTHING RETURNING user_id, value',
    ),
    attributes: insertStatement(
      dialect,
      'user_attribute_claims',
      ['tenantId', 'userId', 'key', 'value'],
      withTenant(tenantId, claims.attributeClaims),
      ' ON CONFLICT (tenant_id, key, value) DO NOTHING RETURNING user_id, key, value',
    ),
    externalIds: insertStatement(
      dialect,
      'user_external_ids',
      ['tenantId', 'userId', 'value'],
      withTenant(tenantId, claims.externalIds),
      ' ON CONFLICT (tenant_id, value) DO NOTHING RETURNING user_id',
    ),
  };
}

/** The rows of survivorStatements: memberships from survivorWrites, event counters and events from eventsOfNewResources. */
interface SurvivorRows {
  roles: Array<{ userId: string; roleId: string }>;
  groups: Array<{ userId: string; groupId: string }>;
  counters: ReturnType<typeof eventsOfNewResources>['counters'];
  eventRows: ReturnType<typeof eventsOfNewResources>['rows'];
}

/** What a chunk's surviving users add beside their rows and claims (survivorWrites, eventsOfNewResources), in order. */
function survivorStatements(dialect: SqlDialect, tenantId: string, { roles, groups, counters, eventRows }: SurvivorRows): BatchStatement[] {
  return [
    insertStatement(dialect, 'user_roles', ['tenantId', 'userId', 'roleId'], withTenant(tenantId, roles)),
    // Group membership is idempotent everywhere (group.repository.ts, addMembers).
    insertStatement(dialect, 'user_groups', ['tenantId', 'userId', 'groupId'], withTenant(tenantId, groups), ' ON CONFLICT DO NOTHING'),
    // Announced in the same transaction: committed users and their user.created events go together. The
    // users are new, so their events are numbered from 1 without reading counters (what recordFor writes).
    insertStatement(
      dialect,
      'resource_sequences',
      ['tenantId', 'resourceType', 'resourceId', 'lastSequence'],
      withTenant(tenantId, counters),
    ),
    ...chunksOf(eventRows.length).map((positions) =>
      insertStatement(
        dialect,
        'events',
        EVENT_ROW_COLUMNS,
        positions.map((p) => eventRows[p] as (typeof eventRows)[number]),
      ),
    ),
  ].filter((x): x is BatchStatement => x !== undefined);
}

/** Duplicates within the batch, reported against the later item. */
function withinBatch(candidates: Candidate[], fail: (i: number, e: AppError) => void): Candidate[] {
  const seenValues = new Set<string>();
  const seenAttributes = new Set<string>();
  const seenExternalIds = new Set<string>();
  return candidates.filter((c) => {
    // Identifiers claimed in the user's own scope block nobody and are blocked by nobody.
    const claims = c.tenantWide ? c.claims : [];
    const lost = new Set(claims.map((x) => x.value).filter((v) => seenValues.has(v)));
    const lostAttributes = c.attributeClaims.filter((a) => seenAttributes.has(claimKey(a)));
    const externalId = c.profile.externalId;
    const conflict = conflictError(c.claims, lost, lostAttributes, externalId !== null && seenExternalIds.has(externalId));
    if (conflict) return (fail(c.index, conflict), false);
    claims.forEach((x) => seenValues.add(x.value));
    c.attributeClaims.forEach((a) => seenAttributes.add(claimKey(a)));
    if (externalId !== null) seenExternalIds.add(externalId);
    return true;
  });
}

/** The claims a chunk's users make: identifiers (in the tenant's scope or their own), externalIds, unique attribute values. */
function claimsOf(items: Array<{ candidate: Candidate; row: { id: string } }>) {
  return {
    identifiers: items.flatMap((i) =>
      i.candidate.claims.map((c) => ({ userId: i.row.id, value: c.value, scope: i.candidate.tenantWide ? TENANT_SCOPE : i.row.id })),
    ),
    attributeClaims: items.flatMap((i) => i.candidate.attributeClaims.map((c) => ({ ...c, userId: i.row.id }))),
    externalIds: items.flatMap((i) =>
      i.candidate.profile.externalId === null ? [] : [{ userId: i.row.id, value: i.candidate.profile.externalId }],
    ),
  };
}

/** A chunk's statements for insertChunkBatched: its claims (each with how many it claims) among them, and the resources written. */
interface PreparedChunk {
  statements: BatchStatement[];
  claims: Array<{ statement: BatchStatement; count: number }>;
  resources: Map<number, User>;
}

/** Transactions whose last chunk left its savepoint open (insertChunkBatched). */
const chunkSavepoints = new WeakSet<Executor>();

/** A user of a chunk: the candidate and the row written for it. */
type ChunkItem = { candidate: Candidate; row: NewUserRow & { id: string } };
/** One optimistic statement's chunk: its users, their resources (the answers) and the rows it writes. */
type OptimisticChunk = { items: ChunkItem[]; resources: Map<number, User>; writes: Parameters<typeof insertChunkPostgres>[2] };

/** Whether this user is sent a mail on creation (queued in the creating transaction by queueMail). */
const mailsOnCreate = ({ input }: Candidate) => input.sendWelcomeEmail === true || input.sendVerificationEmail === true;
/** Whether any of these users is sent a mail on creation: the one predicate queueMail filters by. */
const isMailed = (accepted: Candidate[]) => accepted.some(mailsOnCreate);
/** What writing a chunk did: the items that lost a race (with their 409) and the resources of the others. */
type ChunkWritten = { lost: Map<number, AppError>; resources: Map<number, User> };

/** reserveSeq (src/db/sequences.ts) on SQLite, inside the creating transaction, without query building. */
async function reserveSeqSqlite(trx: Executor, tenantId: string, count: number): Promise<number> {
  const [row] = await insertRows<{ value: number }>(
    trx,
    'sqlite',
    'sequences',
    ['scope', 'name', 'value'],
    [{ scope: tenantId, name: 'users', value: count }],
    ' ON CONFLICT (scope, name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value',
  );
  return Number(row?.value) - count + 1;
}

/** Positions 0 … count-1 in chunks of CHUNK_SIZE. */
function chunksOf(count: number): number[][] {
  const chunks: number[][] = [];
  for (let i = 0; i < count; i += CHUNK_SIZE) chunks.push(Array.from({ length: Math.min(CHUNK_SIZE, count - i) }, (_, k) => i + k));
  return chunks;
}

/**
 * better-sqlite3 answers synchronously, so a long run of awaits on it never lets the event loop
 * serve other requests; a macrotask break between chunks does.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class AtomicConflict extends Error {
  constructor(readonly lost: Map<number, AppError>) {
    super('an item of an atomic batch lost a uniqueness race');
  }
}
