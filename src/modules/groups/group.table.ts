import type { Insertable, Selectable } from 'kysely';
import type { Bool, Timestamp } from '../../db/column-types.js';

export interface GroupTable {
  tenantId: string;
  id: string;
  /** Per-tenant number, for contracts that show groups with integer ids (Pulse `teamId`). */
  seq: number | null;
  /** team, office, department, location, channel, or any tenant-defined type. */
  type: string;
  /** Unique per tenant and type; lets clients name a group as `type:code`. */
  code: string;
  name: string;
  description: string | null;
  isDefault: Bool;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface UserGroupTable {
  tenantId: string;
  userId: string;
  groupId: string;
}

export type GroupRow = Selectable<GroupTable>;
export type NewGroupRow = Insertable<GroupTable>;
