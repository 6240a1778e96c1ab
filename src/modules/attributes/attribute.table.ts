import type { Json, Timestamp } from '../../db/column-types.js';

export interface AttributeDefinitionTable {
  tenantId: string;
  key: string;
  /** The definition minus its key (type, bounds, flags), as JSON so new options need no migration. */
  definition: Json;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** One row per value of a unique attribute held by a live user; the primary key enforces uniqueness. */
export interface UserAttributeClaimTable {
  tenantId: string;
  key: string;
  value: string;
  userId: string;
}
