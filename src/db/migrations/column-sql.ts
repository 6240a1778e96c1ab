import type { ColumnDataType } from 'kysely';
import type { Dialect } from '../database.js';

/** The column types that differ between the two dialects. */
export function columnTypes(dialect: Dialect): Record<'bigint' | 'timestamp' | 'json' | 'boolean', ColumnDataType> {
  return dialect === 'postgres'
    ? { bigint: 'bigint', timestamp: 'timestamptz', json: 'jsonb', boolean: 'boolean' }
    : { bigint: 'integer', timestamp: 'text', json: 'text', boolean: 'integer' };
}
