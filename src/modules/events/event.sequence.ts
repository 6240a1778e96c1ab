import type { Executor } from '../../db/database.js';

/** Resource keys per upsert statement. */
const CHUNK = 500;

/**
 * The next sequence numbers for a list of events, in the caller's transaction: per tenant and
 * resource 1, 2, 3 … in the order the changes commit. Each resource's last number is one row of
 * `resource_sequences`, raised by an upsert: a second transaction writing the same resource waits on
 * that row until the first commits, so numbers follow commit order. Rows are upserted in a fixed
 * order (type, id) so two transactions touching the same resources cannot deadlock.
 * @returns one number per event, in the order given.
 */
export async function nextSequences(
  trx: Executor,
  tenantId: string,
  list: ReadonlyArray<{ resourceType: string; resourceId: string }>,
): Promise<number[]> {
  const keyOf = (e: { resourceType: string; resourceId: string }) => `${e.resourceType}\u0000${e.resourceId}`;
  const counts = new Map<string, { resourceType: string; resourceId: string; n: number }>();
  for (const e of list) {
    const entry = counts.get(keyOf(e));
    if (entry) entry.n += 1;
    else counts.set(keyOf(e), { resourceType: e.resourceType, resourceId: e.resourceId, n: 1 });
  }
  const keys = [...counts.values()].sort((a, b) =>
    a.resourceType === b.resourceType ? (a.resourceId < b.resourceId ? -1 : 1) : a.resourceType < b.resourceType ? -1 : 1,
  );
  /** The first number of each resource's run in this list. */
  const next = new Map<string, number>();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const rows = await trx
      .insertInto('resourceSequences')
      .values(
        keys.slice(i, i + CHUNK).map((k) => ({ tenantId, resourceType: k.resourceType, resourceId: k.resourceId, lastSequence: k.n })),
      )
      .onConflict((oc) =>
        oc
          .columns(['tenantId', 'resourceType', 'resourceId'])
          .doUpdateSet((eb) => ({ lastSequence: eb('resourceSequences.lastSequence', '+', eb.ref('excluded.lastSequence')) })),
      )
      .returning(['resourceType', 'resourceId', 'lastSequence'])
      .execute();
    for (const row of rows) {
      const key = keyOf(row);
      next.set(key, Number(row.lastSequence) - (counts.get(key)?.n ?? 1) + 1);
    }
  }
  return list.map((e) => {
    const key = keyOf(e);
    const n = next.get(key) ?? 1;
    next.set(key, n + 1);
    return n;
  });
}
