import { sql, type SqlBool } from 'kysely';
import type { Core } from '../app.js';
import { AppError } from '../errors/app-error.js';
import { requirePermission, type TenantContext } from '../modules/context.js';
import type { Group } from '../modules/groups/group.schemas.js';
import { SCAN_LIMIT, URN } from './scim.constants.js';
import { scimError } from './scim-error.js';
import { matches, parseFilter, project } from './scim-filter.js';
import { checkResource } from './scim-input.js';
import { patchOperations, type PatchOperation } from './scim-patch.js';
import type { ScimResource } from './scim-user.mapper.js';
import { ScimSql, TRUE, FALSE, type ColumnMap } from './scim-sql.js';
import { listResponse, pageOf, type ListQuery, type ScimResult } from './scim-users.service.js';

/** Groups made through SCIM are Roster groups of this type; SCIM lists and changes groups of every type. */
export const SCIM_GROUP_TYPE = 'team';

const groupVersion = (g: Group) => `W/"${Date.parse(g.updatedAt)}"`;

/** Where each SCIM Group attribute is stored (see `resource`): what SQL can filter and sort on. */
const GROUP_COLUMNS: ColumnMap = {
  columns: {
    id: { kind: 'text', value: sql`${sql.ref('groups.id')}`, caseExact: true },
    displayname: { kind: 'text', value: sql`${sql.ref('groups.name')}` },
    // Not stored: never present.
    externalid: { kind: 'text', value: sql`''`, present: FALSE, caseExact: true },
    'meta.created': { kind: 'date', value: sql`${sql.ref('groups.createdAt')}` },
    'meta.lastmodified': { kind: 'date', value: sql`${sql.ref('groups.updatedAt')}` },
  },
  exists: {
    // A member is a live user in the group, as listMembers answers them.
    members: (
      _op,
      value,
    ) => sql<SqlBool>`exists (select 1 from ${sql.table('userGroups')} join ${sql.table('users')} on ${sql.ref('users.tenantId')} = ${sql.ref('userGroups.tenantId')} and ${sql.ref('users.id')} = ${sql.ref('userGroups.userId')}
      where ${sql.ref('userGroups.tenantId')} = ${sql.ref('groups.tenantId')} and ${sql.ref('userGroups.groupId')} = ${sql.ref('groups.id')} and ${sql.ref('userGroups.userId')} = ${value} and ${sql.ref('users.deletedAt')} is null)`,
  },
};

/** A group code from a display name: letters, digits and `._-`, as group codes allow. */
function codeOf(displayName: string): string {
  const code = displayName
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-._]+|-+$/g, '')
    .slice(0, 100);
  return code || 'group';
}

const memberIds = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [])
    .map((m) => (typeof m === 'object' && m !== null ? (m as { value?: unknown }).value : undefined))
    .filter((v): v is string => typeof v === 'string');

/** SCIM /Groups over the group service: members are user ids. */
export class ScimGroups {
  constructor(
    private readonly core: Core,
    private readonly baseUrl: string,
    private readonly scanLimit = SCAN_LIMIT,
  ) {}

  private async resource(ctx: TenantContext, group: Group): Promise<ScimResource> {
    const members = await this.core.groups.listMembers(ctx, group.id);
    return {
      schemas: [URN.group],
      id: group.id,
      displayName: group.name,
      members: members.map((m) => ({
        value: m.id,
        display: m.displayName ?? m.username ?? m.email ?? m.id,
        $ref: `${this.baseUrl}/Users/${m.id}`,
        type: 'User',
      })),
      meta: {
        resourceType: 'Group',
        created: group.createdAt,
        lastModified: group.updatedAt,
        location: `${this.baseUrl}/Groups/${group.id}`,
        version: groupVersion(group),
      },
    };
  }

  private async result(ctx: TenantContext, id: string, status: number): Promise<ScimResult> {
    const group = await this.core.groups.getGroup(ctx, id);
    return { status, body: await this.resource(ctx, group), location: `${this.baseUrl}/Groups/${group.id}`, version: groupVersion(group) };
  }

  private checkVersion(group: Group, ifMatch: string | undefined): void {
    if (ifMatch !== undefined && ifMatch.trim() !== '*' && ifMatch.trim().replace(/^W\//, '') !== groupVersion(group).replace(/^W\//, '')) {
      throw new AppError('USER_VERSION_MISMATCH', { detail: 'The group was changed since the given version' });
    }
  }

  async create(ctx: TenantContext, body: unknown): Promise<ScimResult> {
    const resource = checkResource(body, URN.group);
    if (typeof resource.displayName !== 'string' || resource.displayName.trim() === '')
      throw scimError('VALIDATION_FAILED', 'invalidValue', 'displayName is required');
    const group = await this.core.groups.createGroup(ctx, {
      type: SCIM_GROUP_TYPE,
      code: codeOf(resource.displayName),
      name: resource.displayName.trim().slice(0, 200),
    });
    const members = memberIds(resource.members);
    if (members.length > 0) await this.core.groups.changeMembers(ctx, group.id, { add: members });
    return this.result(ctx, group.id, 201);
  }

  async get(ctx: TenantContext, id: string, query: ListQuery = {}): Promise<ScimResult> {
    const result = await this.result(ctx, id, 200);
    return { ...result, body: project(result.body as ScimResource, query.attributes, query.excludedAttributes) };
  }

  /**
   * A page of groups: filters and sorts on `id`, `displayName`, `meta.created`/`lastModified` and
   * `members[value eq "…"]` run in SQL, so only the page's groups (and their members) are read;
   * anything else is evaluated over at most SCAN_LIMIT groups.
   * @throws PERMISSION_DENIED; BAD_REQUEST (invalidFilter; tooMany beyond the scan limit).
   */
  async list(ctx: TenantContext, query: ListQuery): Promise<ScimResult> {
    requirePermission(ctx.principal, 'users:read');
    const filter = query.filter === undefined || query.filter.trim() === '' ? undefined : parseFilter(query.filter);
    const { db, dialect } = this.core.database;
    const columns = new ScimSql(dialect, GROUP_COLUMNS);
    const translation = filter === undefined ? { where: TRUE, exact: true } : columns.translate(filter);
    // The order /v1/groups lists them in.
    const listed = [sql`${sql.ref('type')} asc`, sql`${sql.ref('code')} asc`, sql`${sql.ref('id')} asc`];
    const order = query.sortBy ? columns.orderBy(query.sortBy, query.sortOrder, listed) : listed;
    const matching = db.selectFrom('groups').where('tenantId', '=', ctx.tenantId).where(translation.where);
    const total = Number((await matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const { start, count } = pageOf(query);
    const resources = async (ids: string[]) => {
      const out: ScimResource[] = [];
      for (const id of ids) out.push(await this.resource(ctx, await this.core.groups.getGroup(ctx, id)));
      return out;
    };
    if (translation.exact && order) {
      const ids =
        count > 0 && start <= total
          ? (
              await order
                .reduce((q, term) => q.orderBy(term), matching.select('id'))
                .limit(count)
                .offset(start - 1)
                .execute()
            ).map((r) => r.id)
          : [];
      const page = (await resources(ids)).map((r) => project(r, query.attributes, query.excludedAttributes));
      return {
        status: 200,
        body: { schemas: [URN.listResponse], totalResults: total, startIndex: start, itemsPerPage: page.length, Resources: page },
      };
    }
    if (total > this.scanLimit)
      throw scimError(
        'BAD_REQUEST',
        'tooMany',
        `This filter or sort would read ${total} groups, more than ${this.scanLimit}: filter on id, displayName or members[value eq "…"]`,
      );
    const ids = (await listed.reduce((q, term) => q.orderBy(term), matching.select('id')).execute()).map((r) => r.id);
    return listResponse(
      (await resources(ids)).filter((r) => filter === undefined || matches(r, filter)),
      query,
    );
  }

  async replace(ctx: TenantContext, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
    requirePermission(ctx.principal, 'groups:manage');
    const resource = checkResource(body, URN.group);
    const group = await this.core.groups.getGroup(ctx, id);
    this.checkVersion(group, ifMatch);
    if (typeof resource.displayName === 'string' && resource.displayName !== group.name)
      await this.core.groups.updateGroup(ctx, group.id, { name: resource.displayName.slice(0, 200) });
    await this.core.groups.changeMembers(ctx, group.id, { remove: 'all', add: memberIds(resource.members) });
    return this.result(ctx, group.id, 200);
  }

  /** Member changes by hand (add, remove by value filter or by value list, replace); `displayName` renames. */
  async patch(ctx: TenantContext, id: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
    // A caller that may not manage groups is refused before the operations are read or applied.
    requirePermission(ctx.principal, 'groups:manage');
    const operations = patchOperations(body);
    const group = await this.core.groups.getGroup(ctx, id);
    this.checkVersion(group, ifMatch);
    for (const op of operations) await this.applyOne(ctx, group, op);
    return this.result(ctx, group.id, 200);
  }

  private async applyOne(ctx: TenantContext, group: Group, op: PatchOperation): Promise<void> {
    const path = op.path?.toLowerCase();
    if (path === undefined) {
      const value = (op.value ?? {}) as Record<string, unknown>;
      if (typeof value.displayName === 'string')
        await this.core.groups.updateGroup(ctx, group.id, { name: value.displayName.slice(0, 200) });
      if (value.members !== undefined) {
        await this.core.groups.changeMembers(
          ctx,
          group.id,
          op.op === 'replace' ? { remove: 'all', add: memberIds(value.members) } : { add: memberIds(value.members) },
        );
      }
      return;
    }
    if (path === 'displayname') {
      if (op.op === 'remove' || typeof op.value !== 'string')
        throw scimError('VALIDATION_FAILED', 'mutability', 'displayName is required and cannot be removed');
      await this.core.groups.updateGroup(ctx, group.id, { name: op.value.slice(0, 200) });
      return;
    }
    if (path === 'externalid') return;
    const filtered = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i.exec(op.path ?? '');
    if (filtered && op.op === 'remove') {
      await this.core.groups.changeMembers(ctx, group.id, { remove: [filtered[1] as string] });
      return;
    }
    if (path !== 'members') throw scimError('BAD_REQUEST', 'invalidPath', `Unsupported path "${op.path}" on a Group`);
    const ids = memberIds(op.value);
    if (op.op === 'add') await this.core.groups.changeMembers(ctx, group.id, { add: ids });
    else if (op.op === 'replace') await this.core.groups.changeMembers(ctx, group.id, { remove: 'all', add: ids });
    else await this.core.groups.changeMembers(ctx, group.id, { remove: op.value === undefined ? 'all' : ids });
  }

  async delete(ctx: TenantContext, id: string, ifMatch: string | undefined): Promise<ScimResult> {
    const group = await this.core.groups.getGroup(ctx, id);
    this.checkVersion(group, ifMatch);
    await this.core.groups.deleteGroup(ctx, group.id);
    return { status: 204 };
  }
}
