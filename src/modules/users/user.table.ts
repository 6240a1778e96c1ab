import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { Bool, Json, Timestamp } from '../../db/column-types.js';

export interface UserTable {
  tenantId: string;
  id: string;
  seq: number;
  /** As given, with the domain lower-cased. */
  email: string | null;
  /** Lookup form: wholly lower-cased. */
  emailNormalized: string | null;
  username: string | null;
  usernameNormalized: string | null;
  passwordHash: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  nickname: string | null;
  bio: string | null;
  phone: string | null;
  locale: string;
  timezone: string;
  address: Json | null;
  active: Bool;
  emailVerified: Bool;
  requirePasswordChange: Bool;
  position: string | null;
  arrivalDate: string | null;
  departureDate: string | null;
  dateOfBirth: string | null;
  cityOfBirth: string | null;
  countryOfBirth: string | null;
  externalId: string | null;
  /** Free-form kind of account (SCIM `userType`, Rollout `type`): employee, contractor, bot… */
  userType: string | null;
  /** http(s) URL of the user's picture. */
  pictureUrl: string | null;
  attributes: Json;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  createdBy: string;
  version: number;
  deletedAt: Timestamp | null;
}

/**
 * One row per identifier (normalised email or username) held by a live user. Its primary key
 * `(tenant_id, value, scope)` is what makes emails and usernames unique, and unique against each other,
 * under any concurrency; a soft delete removes the rows and so frees the identifiers.
 */
export interface UserIdentifierTable {
  tenantId: string;
  value: string;
  /**
   * `''` (TENANT_SCOPE): the value is this user's alone in the tenant. The user's own id: the value is kept
   * for its logins and searches but blocks nobody (a deactivated user where `users.uniqueAmong` is `active`).
   */
  scope: ColumnType<string, string | undefined, string>;
  userId: string;
}

/** The externalId a live user holds: the primary key (tenant, value) makes it unique per tenant (migration 0014). */
export interface UserExternalIdTable {
  tenantId: string;
  value: string;
  userId: string;
}

export type UserRow = Selectable<UserTable>;
export type NewUserRow = Insertable<UserTable>;
