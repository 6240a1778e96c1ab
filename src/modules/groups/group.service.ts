import { readBool } from '../../db/column-types.js';
import type { Db, Executor } from '../../db/database.js';
import { AppError, fieldError, throwIfFieldErrors, type FieldError } from '../../errors/app-error.js';
import { findByIds as findLiveUsers } from '../users/user.repository.js';
import { reserveSeq } from '../../db/sequences.js';
import { isUuid, newId } from '../../lib/ids.js';
import { nowIso, toIso } from '../../lib/time.js';
import { requirePermission, type TenantContext } from '../context.js';
import { assertCallerCoversUsers, holdsEveryPermission } from '../roles/privilege-guard.js';
import { recordFor } from '../events/event.service.js';
import * as groups from './group.repository.js';
import type { CreateGroupInput, Group, GroupRef, PatchGroupInput } from './group.schemas.js';
import type { GroupRow } from './group.table.js';

function toGroupResponse(row: GroupRow): Group {
  return {
    ...toGroupRef(row),
    description: row.description,
    isDefault: readBool(row.isDefault),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

export function toGroupRef(row: GroupRow): GroupRef {
  return { id: row.id, seq: row.seq === null ? null : Number(row.seq), type: row.type, code: row.code, name: row.name };
}

type ParsedRef = { id?: string; type?: string; code?: string; seq?: number };

const SEQ_REF = /^([a-z][a-z0-9_-]*)#([1-9][0-9]{0,14})$/;

/** A group reference: its id, `type:code`, or `type#number` (the group's `seq`, as Pulse's integer teamId names a team). */
function parseRef(ref: string): ParsedRef {
  if (isUuid(ref)) return { id: ref.toLowerCase() };
  const bySeq = SEQ_REF.exec(ref);
  if (bySeq) return { type: bySeq[1] as string, seq: Number(bySeq[2]) };
  const colon = ref.indexOf(':');
  return colon > 0 ? { type: ref.slice(0, colon), code: ref.slice(colon + 1) } : {};
}

/** The groups any of these references (ids or `type:code`) name: one query for a whole batch. */
export async function loadGroups(db: Executor, tenantId: string, refs: Iterable<string>): Promise<GroupRow[]> {
  const parsed = [...new Set(refs)].map(parseRef);
  return groups.findByRefs(
    db,
    tenantId,
    parsed.flatMap((p) => (p.id ? [p.id] : [])),
    parsed.flatMap((p) => (p.type !== undefined && p.code !== undefined ? [{ type: p.type, code: p.code }] : [])),
    parsed.flatMap((p) => (p.type !== undefined && p.seq !== undefined ? [{ type: p.type, seq: p.seq }] : [])),
  );
}

/** Picks one item's groups out of loaded ones; unknown references become GROUP_UNKNOWN at `path/<index>`. */
export function matchGroups(found: GroupRow[], refs: string[], path: string): { groups: GroupRow[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const matched = new Map<string, GroupRow>();
  refs.forEach((ref, i) => {
    const p = parseRef(ref);
    const row = found.find((g) =>
      p.id
        ? g.id === p.id
        : p.type !== undefined && g.type === p.type && (p.seq !== undefined ? Number(g.seq) === p.seq : g.code === p.code),
    );
    if (row) matched.set(row.id, row);
    else errors.push(fieldError(`${path}/${i}`, 'GROUP_UNKNOWN', `No group "${ref}"`));
  });
  return { groups: [...matched.values()], errors };
}

/** Resolves one list of group references; see `loadGroups` and `matchGroups`. */
export async function resolveGroups(
  db: Executor,
  tenantId: string,
  refs: string[],
  path: string,
): Promise<{ groups: GroupRow[]; errors: FieldError[] }> {
  return matchGroups(await loadGroups(db, tenantId, refs), refs, path);
}

export const defaultGroups = groups.listDefaults;
export const groupsByUser = groups.listByUsers;
export const addGroupMembers = groups.addMembers;
export const replaceUserGroups = groups.replaceUserGroups;

/** Groups of a tenant (`/v1/groups`): teams, offices, departments, locations, channels. */
export class GroupService {
  constructor(private readonly db: Db) {}

  /** @throws PERMISSION_DENIED; GROUP_CODE_TAKEN */
  async createGroup(ctx: TenantContext, input: CreateGroupInput): Promise<Group> {
    requirePermission(ctx.principal, 'groups:manage');
    const now = nowIso();
    const seq = await reserveSeq(this.db, ctx.tenantId, 'groups');
    const row = {
      tenantId: ctx.tenantId,
      id: newId(),
      seq,
      type: input.type,
      code: input.code,
      name: input.name,
      description: input.description ?? null,
      isDefault: input.isDefault ?? false,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction().execute(async (trx) => {
      await groups.insert(trx, row);
      await recordFor(trx, ctx, [{ type: 'group.created', resourceType: 'group', resourceId: row.id, data: toGroupResponse(row) }]);
    });
    return toGroupResponse(row);
  }

  /** @throws PERMISSION_DENIED */
  async listGroups(ctx: TenantContext, type?: string): Promise<Group[]> {
    requirePermission(ctx.principal, 'users:read');
    return (await groups.list(this.db, ctx.tenantId, type)).map(toGroupResponse);
  }

  /** @throws PERMISSION_DENIED; GROUP_NOT_FOUND */
  async getGroup(ctx: TenantContext, id: string): Promise<Group> {
    requirePermission(ctx.principal, 'users:read');
    return toGroupResponse(await this.find(ctx.tenantId, id));
  }

  /** @throws PERMISSION_DENIED; GROUP_NOT_FOUND; GROUP_CODE_TAKEN */
  async updateGroup(ctx: TenantContext, id: string, patch: PatchGroupInput): Promise<Group> {
    requirePermission(ctx.principal, 'groups:manage');
    const current = await this.find(ctx.tenantId, id);
    const changes = { ...patch, updatedAt: nowIso() };
    const next = toGroupResponse({ ...current, ...changes });
    await this.db.transaction().execute(async (trx) => {
      await groups.update(trx, ctx.tenantId, current.id, changes);
      await recordFor(trx, ctx, [{ type: 'group.updated', resourceType: 'group', resourceId: current.id, data: next }]);
    });
    return next;
  }

  /** Deleting a group removes its memberships. @throws PERMISSION_DENIED; GROUP_NOT_FOUND */
  async deleteGroup(ctx: TenantContext, id: string): Promise<void> {
    requirePermission(ctx.principal, 'groups:manage');
    const current = await this.find(ctx.tenantId, id);
    // Deleting a group takes every member out of it: the members' privilege guard applies.
    if (!holdsEveryPermission(ctx.principal)) {
      const members = (await groups.listMembers(this.db, ctx.tenantId, current.id)).map((m) => m.id);
      await assertCallerCoversUsers(this.db, ctx.principal, ctx.tenantId, members, 'Deleting a group with this member');
    }
    await this.db.transaction().execute(async (trx) => {
      await groups.remove(trx, ctx.tenantId, current.id);
      await recordFor(trx, ctx, [{ type: 'group.deleted', resourceType: 'group', resourceId: current.id, data: toGroupResponse(current) }]);
    });
  }

  /** @throws PERMISSION_DENIED; GROUP_NOT_FOUND */
  async listMembers(ctx: TenantContext, id: string) {
    requirePermission(ctx.principal, 'users:read');
    const group = await this.find(ctx.tenantId, id);
    return groups.listMembers(this.db, ctx.tenantId, group.id);
  }

  /**
   * Adds and removes members (`remove: 'all'` empties the group first), in one transaction with a
   * `group.updated` event naming the change. Every added id must be a live user of the tenant.
   * @throws PERMISSION_DENIED; GROUP_NOT_FOUND; VALIDATION_FAILED (USER_UNKNOWN at `/add/<i>`).
   */
  async changeMembers(ctx: TenantContext, id: string, change: { add?: string[]; remove?: string[] | 'all' }): Promise<void> {
    requirePermission(ctx.principal, 'groups:manage');
    const group = await this.find(ctx.tenantId, id);
    const add = [...new Set((change.add ?? []).map((u) => u.toLowerCase()))];
    const known = new Set((await findLiveUsers(this.db, ctx.tenantId, add.filter(isUuid))).map((u) => u.id));
    const errors = (change.add ?? []).flatMap((u, i) =>
      known.has(u.toLowerCase()) ? [] : [fieldError(`/add/${i}`, 'USER_UNKNOWN', `No user "${u}"`)],
    );
    throwIfFieldErrors(errors);
    const remove = change.remove === 'all' ? 'all' : (change.remove ?? []).map((u) => u.toLowerCase()).filter(isUuid);
    if (!holdsEveryPermission(ctx.principal)) await this.guardMembers(ctx, group.id, add, remove);
    await this.db.transaction().execute(async (trx) => {
      await groups.removeMembers(trx, ctx.tenantId, group.id, remove);
      await groups.addMembers(
        trx,
        ctx.tenantId,
        add.map((userId) => ({ userId, groupId: group.id })),
      );
      await groups.update(trx, ctx.tenantId, group.id, { updatedAt: nowIso() });
      await recordFor(trx, ctx, [
        {
          type: 'group.updated',
          resourceType: 'group',
          resourceId: group.id,
          data: { ...toGroupResponse(group), membersAdded: add, membersRemoved: remove },
        },
      ]);
    });
  }

  /**
   * The privilege guard on a membership change: every user who really joins or leaves the group (a
   * replacement that keeps a member changes nothing for it) must hold no permission the caller lacks.
   * @throws PERMISSION_DENIED
   */
  private async guardMembers(ctx: TenantContext, groupId: string, add: string[], remove: string[] | 'all'): Promise<void> {
    const current = new Set((await groups.listMembers(this.db, ctx.tenantId, groupId)).map((m) => m.id));
    const adding = new Set(add);
    const joining = add.filter((u) => !current.has(u));
    const leaving = (remove === 'all' ? [...current] : remove.filter((u) => current.has(u))).filter((u) => !adding.has(u));
    await assertCallerCoversUsers(
      this.db,
      ctx.principal,
      ctx.tenantId,
      [...new Set([...joining, ...leaving])],
      'Adding or removing this member',
    );
  }

  private async find(tenantId: string, id: string): Promise<GroupRow> {
    const row = isUuid(id) ? await groups.findById(this.db, tenantId, id.toLowerCase()) : undefined;
    if (!row) throw new AppError('GROUP_NOT_FOUND', { details: { id } });
    return row;
  }
}
