import type { Insertable, Selectable } from 'kysely';
import type { Bool, Json, Timestamp } from '../../db/column-types.js';

export interface RoleTable {
  tenantId: string;
  id: string;
  name: string;
  /** The role as a product's clients name it (`Sales Agent`); unique per tenant without case (migration 0013). */
  displayName: string | null;
  description: string;
  /** JSON array of permission names. */
  permissions: Json;
  builtin: Bool;
  createdAt: Timestamp;
}

export interface UserRoleTable {
  tenantId: string;
  userId: string;
  roleId: string;
}

export type RoleRow = Selectable<RoleTable>;
export type NewRoleRow = Insertable<RoleTable>;
