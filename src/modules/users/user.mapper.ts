import { readBool, readJson } from '../../db/column-types.js';
import { toIso } from '../../lib/time.js';
import type { GroupRef } from '../groups/group.schemas.js';
import type { Address, User } from './user.schemas.js';
import type { UserRow } from './user.table.js';

/** What a user resource shows besides its row: resolved roles and groups, visible attributes. */
export interface UserRelations {
  roles: Array<{ name: string; permissions: string[] }>;
  groups: GroupRef[];
  attributes: Record<string, unknown>;
}

/** Row → API resource. The password hash and normalised lookup columns never leave this function. */
export function toUserResponse(row: UserRow, relations: UserRelations): User {
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
    position: row.position,
    arrivalDate: row.arrivalDate,
    departureDate: row.departureDate,
    dateOfBirth: row.dateOfBirth,
    cityOfBirth: row.cityOfBirth,
    countryOfBirth: row.countryOfBirth,
    active: readBool(row.active),
    emailVerified: readBool(row.emailVerified),
    requirePasswordChange: readBool(row.requirePasswordChange),
    hasPassword: row.passwordHash !== null,
    roles: relations.roles.map((r) => r.name),
    groups: relations.groups,
    permissions: [...new Set(relations.roles.flatMap((r) => r.permissions))].sort(),
    externalId: row.externalId,
    userType: row.userType ?? null,
    pictureUrl: row.pictureUrl ?? null,
    attributes: relations.attributes,
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
