/** Per-scope counters behind the integer `seq` columns (scope = tenant id, or `platform`). */
export interface SequenceTable {
  scope: string;
  name: string;
  value: number;
}
