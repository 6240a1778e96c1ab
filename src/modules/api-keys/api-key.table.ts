import type { Insertable, Selectable } from 'kysely';
import type { Timestamp } from '../../db/column-types.js';

/**
 * API keys are looked up before the tenant is known, so this is a platform table: `tenant_id` is
 * null for platform keys and the lookup goes by the globally unique `prefix`.
 */
export interface ApiKeyTable {
  id: string;
  tenantId: string | null;
  name: string;
  /** Role name inside the tenant as given at creation; `platform-admin` for platform keys. A label: the key acts through `roleId`. */
  role: string;
  /**
   * The role the key acts as (null for platform keys). Bound by id, so renaming a role, or a later role
   * taking the name of a deleted one, changes nothing about what the key holds; a key whose role is gone is refused.
   */
  roleId: string | null;
  /** The first 20 characters of the key: shown in listings and used to find the row. */
  prefix: string;
  /** SHA-256 of the whole key. Keys are 286 bits of randomness, so a slow hash adds nothing. */
  secretHash: string;
  createdAt: Timestamp;
  createdBy: string;
  revokedAt: Timestamp | null;
}

export type ApiKeyRow = Selectable<ApiKeyTable>;
export type NewApiKeyRow = Insertable<ApiKeyTable>;
