import { readBool, readJson } from '../../db/column-types.js';
import { toIso } from '../../lib/time.js';
import type { Address, User } from './user.schemas.js';
import type { UserRow } from './user.table.js';

/** Row → API resource. The password hash and normalised lookup columns never leave this function. */
export function toUserResponse(row: UserRow, roles: string[]): User {
  return {
    id: row.id,
    tenantId: row.tenantId,
    seq: Number(row.seq),
    email: row.email,
    username: row.username,
    givenName: row.givenName,
    familyName: row.familyName,
    displayName: row.displayName,
    nickname: row.nickname,
    bio: row.bio,
    phone: row.phone,
    locale: row.locale,
    timezone: row.timezone,
    address: row.address === null ? null : readJson<Address>(row.address),
    active: readBool(row.active),
    emailVerified: readBool(row.emailVerified),
    requirePasswordChange: readBool(row.requirePasswordChange),
    hasPassword: row.passwordHash !== null,
    roles,
    externalId: row.externalId,
    attributes: readJson<Record<string, unknown>>(row.attributes),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    createdBy: row.createdBy,
    version: row.version,
  };
}

/** Strong ETag of a user representation. */
export function etagOf(user: { version: number }): string {
  return `"${user.version}"`;
}
