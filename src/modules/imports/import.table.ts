import type { ColumnType } from 'kysely';
import type { Bool, Json, Timestamp } from '../../db/column-types.js';

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';
/** `create` only creates; `upsert` updates the users it matches and creates the rest; `sync` is upsert, then deactivates the users the file no longer holds. */
export type ImportMode = 'create' | 'upsert' | 'sync';

export interface ImportJobTable {
  tenantId: string;
  id: string;
  status: ImportStatus;
  format: string;
  /** Check every row, create nothing: `created` then counts the rows that would be created. */
  dryRun: Bool;
  columnMap: Json;
  /** The submitting principal (kind, id, role, permissions), so a resumed job acts with the same rights. */
  principal: Json;
  mode: ColumnType<ImportMode, ImportMode | undefined, ImportMode>;
  /** A sync's scope as JSON (`{"group":"dept:sales"}` or `{"externalIdPrefix":"hr-"}`); null: the whole tenant. */
  scope: string | null;
  /** `rows` while the file's rows are applied; `deactivate` while a sync deactivates the users the file no longer holds. */
  phase: ColumnType<'rows' | 'deactivate', 'rows' | 'deactivate' | undefined, 'rows' | 'deactivate'>;
  totalRows: number;
  processed: number;
  created: number;
  failed: number;
  updated: ColumnType<number, number | undefined, number>;
  unchanged: ColumnType<number, number | undefined, number>;
  deactivated: ColumnType<number, number | undefined, number>;
  conflicts: ColumnType<number, number | undefined, number>;
  /** Header problems found when the upload was read (JSON array), reported once for the job. */
  headerErrors: string | null;
  /** Every row up to this one is done: where a resumed job continues. */
  lastRow: number;
  error: string | null;
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  finishedAt: Timestamp | null;
}

export interface ImportRowTable {
  tenantId: string;
  jobId: string;
  row: number;
  /** The record as read from the upload: `{value}` or `{readError}`. */
  data: string;
}

export interface ImportErrorTable {
  tenantId: string;
  jobId: string;
  row: number;
  n: number;
  code: string;
  field: string | null;
  message: string;
  /** The value that failed, truncated; never a password. */
  value: ColumnType<string | null, string | null | undefined, string | null>;
  /** For an in-file duplicate: the row it repeats. */
  duplicateOf: ColumnType<number | null, number | null | undefined, number | null>;
}

/** The job's ledger (migration 0015): `u:<userId>` or `k:<kind>:<key>`, the row that did it and what it did. */
export interface ImportJobRefTable {
  tenantId: string;
  jobId: string;
  ref: string;
  row: number;
  outcome: string;
}
