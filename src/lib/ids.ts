import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids (UUIDv7): primary keys sort by creation, which keeps cursor pagination and B-tree inserts cheap. */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
