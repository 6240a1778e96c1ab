import { sql, type SqlBool } from 'kysely';
import type { Core } from '../app.js';
import type { Dialect } from '../db/database.js';
import { AppError } from '../errors/app-error.js';
import { requirePermission, systemPrincipal, type TenantContext } from '../modules/context.js';
import type { PatchUserInput, User } from '../modules/users/user.schemas.js';
import { LIMITS, SCAN_LIMIT, URN } from './scim.constants.js';
import { indexedEquality, matches, parseFilter, project, sortResources } from './scim-filter.js';
import { checkResource, normalizeInput } from './scim-input.js';
import { ScimSql, TRUE, type ColumnMap } from './scim-sql.js';
import { scimError } from './scim-error.js';
import { applyPatch, patchOperations } from './scim-patch.js';
import { toCreateInput, toReplacePatch, toRosterEtag, toScimUser, userVersion, type ScimResource } from './scim-user.mapper.js';

/** What a SCIM operation answers: status, body, and the Location and ETag it sets. */
export interface ScimResult {
  status: number;
  body?: unknown;
  location?: string;
  version?: string;
}

export interface ListQuery {
  filter?: string | undefined;
  startIndex?: number | undefined;
  count?: number | undefined;
  sortBy?: string | undefined;
  sortOrder?: string | undefined;
  attributes?: string | undefined;
  excludedAttributes?: string | undefined;
}

const SCAN_PAGE = 1000;

/** Where each SCIM User attribute is stored (see toScimUser): what SQL can filter and sort on. */
function userColumns(dialect: Dialect): ColumnMap {
  const ref = (column: string) => sql`${sql.ref(column)}`;
  const stored = (column: string) => sql<SqlBool>`${sql.ref(column)} is not null`;
  const nullable = (column: string) => ({ kind: 'text' as const, value: ref(column), present: stored(column) });
  const hasEmail = stored('email');
  return {
    columns: {
      id: { kind: 'text', value: ref('id'), caseExact: true },
      externalid: { ...nullable('externalId'), caseExact: true },
      username: { kind: 'text', value: sql`coalesce(${sql.ref('username')}, ${sql.ref('email')}, '')` },
      'emails.value': nullable('email'),
      'emails.type': { kind: 'text', value: sql`'work'`, present: hasEmail },
      'emails.primary': { kind: 'boolean', value: TRUE, present: hasEmail },
      'name.givenname': nullable('givenName'),
      'name.familyname': nullable('familyName'),
      displayname: nullable('displayName'),
      nickname: nullable('nickname'),
      title: nullable('position'),
      usertype: nullable('userType'),
      'phonenumbers.value': nullable('phone'),
      'photos.value': nullable('pictureUrl'),
      locale: { kind: 'text', value: ref('locale') },
      preferredlanguage: { kind: 'text', value: ref('locale') },
      timezone: { kind: 'text', value: ref('timezone') },
      active: { kind: 'boolean', value: sql<SqlBool>`${sql.ref('active')} = ${sql.raw(dialect === 'postgres' ? 'true' : '1')}` },
      'meta.created': { kind: 'date', value: ref('createdAt') },
      'meta.lastmodified': { kind: 'date', value: ref('updatedAt') },
    },
    single: { emails: hasEmail },
  };
}

/** The page a list request asks for (RFC 7644 §3.4.2.4): 1-based `startIndex`, `count` capped at the advertised maximum. */
export function pageOf(query: ListQuery): { start: number; count: number } {
  return { start: Math.max(1, query.startIndex ?? 1), count: Math.min(Math.max(0, query.count ?? LIMITS.defaultCount), LIMITS.maxResults) };
}

/** A list answer over resources already in memory: sorted, paged and projected here. */
export function listResponse(all: ScimResource[], query: ListQuery): ScimResult {
  const { start, count } = pageOf(query);
  const sorted = sortResources(all, query.sortBy, query.sortOrder);
  const page = sorted.slice(start - 1, start - 1 + count).map((r) => project(r, query.attributes, query.excludedAttributes));
  return {
    status: 200,
    body: { schemas: [URN.listResponse], totalResults: all.length, startIndex: start, itemsPerPage: page.length, Resources: page },
  };
}

/**
 * SCIM /Users over the user service: every rule, permission and event is the core's; this only
 * maps SCIM resources to Roster users and back.
 */
export class ScimUsers {
  constructor(
    private readonly core: Core,
    private readonly baseUrl: string,
    private readonly scanLimit = SCAN_LIMIT,
  ) {}

  private async definedAttributes(ctx: TenantContext): Promise<Set<string>> {
    return new Set((await this.core.attributes.listAttributes({ ...ctx, principal: systemPrincipal })).map((d) => d.key));
  }

  private result(user: User, status: number): ScimResult {
    const body = toScimUser(user, this.baseUrl);
    return { status, body, location: `${this.baseUrl}/Users/${user.id}`, version: userVersion(user) };
  }

  async create(ctx: TenantContext, body: unknown): Promise<ScimResult> {
    const resource = checkResource(body, URN.user);
    const user = await this.core.users.createUser(ctx, toCreateInput(resource, await this.definedAttributes(ctx)));
    return this.result(user, 201);
  }

  async get(ctx: TenantContext, id: string, query: ListQuery = {}): Promise<ScimResult> {
    const result = this.result(await this.core.users.getUser(ctx, id), 200);
    return { ...result, body: project(result.body as ScimResource, query.attributes, query.excludedAttributes) };
  }

  /**
   * A page of users. `userName`, `externalId`, `emails` and `id` equality answer from an index; other
   * filters and sorts on stored attributes run in SQL (OFFSET/LIMIT, COUNT for totalResults), so a
   * page reads only its own users. Anything else narrows in SQL as far as it can and is evaluated
   * over at most SCAN_LIMIT users.
   * @throws PERMISSION_DENIED; BAD_REQUEST (invalidFilter; tooMany beyond the scan limit).
   */
  async list(ctx: TenantContext, query: ListQuery): Promise<ScimResult> {
    requirePermission(ctx.principal, 'users:read');
    const filter = query.filter === undefined || query.filter.trim() === '' ? undefined : parseFilter(query.filter);
    const indexed = filter === undefined ? undefined : indexedEquality(filter);
    if (indexed) {
      const resources = (await this.lookup(ctx, indexed.attribute, indexed.value))
        .map((u) => toScimUser(u, this.baseUrl))
        .filter((r) => filter === undefined || matches(r, filter));
      return listResponse(resources, query);
    }
    const { db, dialect } = this.core.database;
    const columns = new ScimSql(dialect, userColumns(dialect));
    const translation = filter === undefined ? { where: TRUE, exact: true } : columns.translate(filter);
    const byId = sql`${sql.ref('id')} asc`;
    const order = query.sortBy ? columns.orderBy(query.sortBy, query.sortOrder, [byId]) : [byId];
    const matching = db.selectFrom('users').where('tenantId', '=', ctx.tenantId).where('deletedAt', 'is', null).where(translation.where);
    const total = Number((await matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const { start, count } = pageOf(query);
    if (translation.exact && order) {
      let ids: string[] = [];
      if (count > 0 && start <= total) {
        const page = order
          .reduce((q, term) => q.orderBy(term), matching.select('id'))
          .limit(count)
          .offset(start - 1);
        ids = (await page.execute()).map((r) => r.id);
      }
      const resources = (await this.core.users.getUsers(ctx, ids)).map((u) =>
        project(toScimUser(u, this.baseUrl), query.attributes, query.excludedAttributes),
      );
      return {
        status: 200,
        body: { schemas: [URN.listResponse], totalResults: total, startIndex: start, itemsPerPage: resources.length, Resources: resources },
      };
    }
    if (total > this.scanLimit) {
      throw scimError(
        'BAD_REQUEST',
        'tooMany',
        `This filter or sort would read ${total} users, more than ${this.scanLimit}: filter on stored attributes (userName, emails.value, externalId, name, displayName, title, active, meta.created…) or sort by one`,
      );
    }
    const resources: ScimResource[] = [];
    for (let after: string | undefined; ;) {
      const ids = (
        await (after === undefined ? matching : matching.where('id', '>', after)).select('id').orderBy('id').limit(SCAN_PAGE).execute()
      ).map((r) => r.id);
      for (const user of await this.core.users.getUsers(ctx, ids)) {
        const resource = toScimUser(user, this.baseUrl);
        if (filter === undefined || matches(resource, filter)) resources.push(resource);
      }
      if (ids.length < SCAN_PAGE) break;
      after = ids.at(-1);
    }
    return listResponse(resources, query);
  }

  private async lookup(ctx: TenantContext, attribute: string, value: string): Promise<User[]> {
    const found = new Map<string, User>();
    const add = async (q: { email?: string; username?: string; externalId?: string }) => {
      for (const u of (await this.core.users.listUsers(ctx, { limit: 10, ...q })).data) found.set(u.id, u);
    };
    if (attribute === 'id') {
      try {
        const user = await this.core.users.getUser(ctx, value);
        found.set(user.id, user);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'USER_NOT_FOUND')) throw error;
      }
    } else if (attribute === 'externalid') await add({ externalId: value });
    else {
      // A userName may be a username or, for users without one, the email.
      if (value.includes('@')) await add({ email: value });
      if (attribute === 'username' && value.length <= 256) await add({ username: value });
    }
    return [...found.values()];
  }

  async replace(ctx: TenantContext, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
    // The permission comes before any of the input is read, as for PATCH.
    requirePermission(ctx.principal, 'users:update');
    const resource = checkResource(body, URN.user);
    const current = await this.core.users.getUser(ctx, id);
    const patch = this.changesOnly(current, toReplacePatch(resource, await this.definedAttributes(ctx)));
    return this.result(await this.core.users.updateUser(ctx, current.id, patch, toRosterEtag(ifMatch) ?? `"${current.version}"`), 200);
  }

  async patch(ctx: TenantContext, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
    // A caller that may not update users is refused before the operations are read or applied.
    requirePermission(ctx.principal, 'users:update');
    const operations = patchOperations(body);
    const current = await this.core.users.getUser(ctx, id);
    const patched = normalizeInput(applyPatch(toScimUser(current, this.baseUrl), operations)) as ScimResource;
    const patch = this.changesOnly(current, toReplacePatch(patched, await this.definedAttributes(ctx)));
    // Read, change, write at the version read: a concurrent change makes this a 412, never a lost update.
    return this.result(await this.core.users.updateUser(ctx, current.id, patch, toRosterEtag(ifMatch) ?? `"${current.version}"`), 200);
  }

  async delete(ctx: TenantContext, id: string, ifMatch: string | undefined): Promise<ScimResult> {
    if (ifMatch !== undefined) {
      const current = await this.core.users.getUser(ctx, id);
      const wanted = toRosterEtag(ifMatch);
      if (wanted !== '*' && wanted !== `"${current.version}"`) throw new AppError('USER_VERSION_MISMATCH');
    }
    await this.core.users.deleteUser(ctx, id);
    return { status: 204 };
  }

  /** `active` and `roles` only when they change, so an update that keeps them needs no permission to change them. */
  private changesOnly(current: User, patch: PatchUserInput): PatchUserInput {
    const out = { ...patch };
    if (out.active === current.active) delete out.active;
    if (out.roles !== undefined && [...out.roles].sort().join() === [...current.roles].sort().join()) delete out.roles;
    return out;
  }
}
