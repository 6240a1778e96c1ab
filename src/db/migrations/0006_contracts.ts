import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-sql.js';

/**
 * What the seed contracts (and SCIM) need from the core: a user type and a picture, integer
 * numbers for groups (Pulse shows a team as an integer), and long-lived personal access tokens
 * beside login sessions (Rocket.Chat).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('users').addColumn('user_type', 'text').execute();
  await db.schema.alterTable('users').addColumn('picture_url', 'text').execute();
  await db.schema.alterTable('groups').addColumn('seq', t.bigint).execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('login'))
    .execute();
  await db.schema.alterTable('sessions').addColumn('name', 'text').execute();
  // Not unique: a unique key must start with tenant_id (docs/scaling.md); the hash of a 286-bit secret does not collide.
  await db.schema.createIndex('sessions_token_hash_idx').on('sessions').column('token_hash').execute();

  // Groups made before this migration get numbers in creation order, and the counter continues after them.
  const groups = await db
    .selectFrom('groups')
    .select(['tenant_id', 'id'])
    .orderBy('tenant_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const next = new Map<string, number>();
  for (const g of groups as Array<{ tenant_id: string; id: string }>) {
    const seq = (next.get(g.tenant_id) ?? 0) + 1;
    next.set(g.tenant_id, seq);
    await db.updateTable('groups').set({ seq }).where('tenant_id', '=', g.tenant_id).where('id', '=', g.id).execute();
  }
  for (const [tenantId, value] of next) await db.insertInto('sequences').values({ scope: tenantId, name: 'groups', value }).execute();
}
