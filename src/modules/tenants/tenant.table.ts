import type { Insertable, Selectable } from 'kysely';
import type { Json, Timestamp } from '../../db/column-types.js';

export interface TenantTable {
  id: string;
  seq: number;
  slug: string;
  name: string;
  defaultLocale: string;
  defaultTimezone: string;
  /** Only the policy members a tenant changed; defaults fill the rest when read. */
  settings: Json;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export type TenantRow = Selectable<TenantTable>;
export type NewTenantRow = Insertable<TenantTable>;
