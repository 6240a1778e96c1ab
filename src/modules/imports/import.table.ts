import type { Bool, Json, Timestamp } from '../../db/column-types.js';

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';

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
  totalRows: number;
  processed: number;
  created: number;
  failed: number;
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
}
