import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** How many duplicated externalIds the refusal names; the rest are counted. */
const NAMED = 20;

/**
 * `externalId` is unique per tenant among live users: the link to the user in another system (an
 * IdP's SCIM client, an HR feed) must name one user. As for emails and usernames, a key table decides
 * it: its primary key holds under concurrency on SQLite and PostgreSQL alike, and a claim that loses
 * is skipped (`ON CONFLICT DO NOTHING`) without aborting the transaction, so a batch reports it per item.
 *
 * Existing duplicates make the migration refuse, naming them, and change nothing: which of the users
 * the other system means only the operator can tell. Keeping the oldest would silently unlink the
 * person the IdP may actually manage, and its next sync would create a third user or deactivate the
 * wrong one. The previous release still runs on the untouched database to clear the extra ones
 * (`PATCH /v1/users/{id}` with `{"externalId": null}`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  const duplicates = await sql<{ slug: string; externalId: string; holders: number | string }>`
    select t.slug as slug, u.external_id as "externalId", count(*) as holders
    from users u join tenants t on t.id = u.tenant_id
    where u.deleted_at is null and u.external_id is not null
    group by t.slug, u.external_id having count(*) > 1
    order by t.slug, u.external_id`.execute(db);
  if (duplicates.rows.length > 0) {
    const named = duplicates.rows
      .slice(0, NAMED)
      .map((d) => `tenant "${d.slug}": externalId ${JSON.stringify(d.externalId)} (${Number(d.holders)} users)`);
    const more = duplicates.rows.length > NAMED ? `, and ${duplicates.rows.length - NAMED} more` : '';
    throw new Error(
      `Migration 0014 makes externalId unique per tenant, but ${duplicates.rows.length} externalId(s) are held by several live users: ${named.join('; ')}${more}. ` +
        "Nothing was changed. With the previous Roster release, keep one user per externalId (set the others' externalId to null, or delete them) and start again.",
    );
  }

  await db.schema
    .createTable('user_external_ids')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_external_ids_pkey', ['tenant_id', 'value'])
    .addForeignKeyConstraint('user_external_ids_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  // Secondary indexes of child tables lead with their own key (as user_identifiers_user_idx).
  await db.schema.createIndex('user_external_ids_user_idx').on('user_external_ids').columns(['user_id', 'tenant_id']).execute();
  await sql`insert into user_external_ids (tenant_id, value, user_id)
    select tenant_id, external_id, id from users where deleted_at is null and external_id is not null`.execute(db);
}
