import type { Insertable, Selectable } from 'kysely';
import type { Timestamp } from '../../db/column-types.js';

export interface TenantTable {
  id: string;
  seq: number;
  slug: string;
  name: string;
  defaultLocale: string;
  defaultTimezone: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export type TenantRow = Selectable<TenantTable>;
export type NewTenantRow = Insertable<TenantTable>;
