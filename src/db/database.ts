import type { Kysely, Transaction } from 'kysely';
import type { AttributeDefinitionTable, UserAttributeClaimTable } from '../modules/attributes/attribute.table.js';
import type { IdempotencyKeyTable } from '../modules/idempotency/idempotency.table.js';
import type { ImportErrorTable, ImportJobRefTable, ImportJobTable, ImportRowTable } from '../modules/imports/import.table.js';
import type { EventTable, ResourceSequenceTable } from '../modules/events/event.table.js';
import type { MailMessageTable, UserTokenTable } from '../modules/mail/mail.table.js';
import type { WebhookAttemptTable, WebhookDeliveryTable, WebhookTable } from '../modules/webhooks/webhook.table.js';
import type { GroupTable, UserGroupTable } from '../modules/groups/group.table.js';
import type { SessionTable } from '../modules/sessions/session.table.js';
import type { ApiKeyTable } from '../modules/api-keys/api-key.table.js';
import type { RoleTable, UserRoleTable } from '../modules/roles/role.table.js';
import type { TenantTable } from '../modules/tenants/tenant.table.js';
import type { UserExternalIdTable, UserIdentifierTable, UserTable } from '../modules/users/user.table.js';
import type { SequenceTable } from './sequence.table.js';

/** Every table, camelCase on this side; CamelCasePlugin maps to the snake_case names in SQL. */
export interface DB {
  tenants: TenantTable;
  apiKeys: ApiKeyTable;
  roles: RoleTable;
  userRoles: UserRoleTable;
  users: UserTable;
  userIdentifiers: UserIdentifierTable;
  userExternalIds: UserExternalIdTable;
  sequences: SequenceTable;
  groups: GroupTable;
  userGroups: UserGroupTable;
  attributeDefinitions: AttributeDefinitionTable;
  userAttributeClaims: UserAttributeClaimTable;
  sessions: SessionTable;
  idempotencyKeys: IdempotencyKeyTable;
  importJobs: ImportJobTable;
  importRows: ImportRowTable;
  importErrors: ImportErrorTable;
  importJobRefs: ImportJobRefTable;
  events: EventTable;
  resourceSequences: ResourceSequenceTable;
  webhooks: WebhookTable;
  webhookDeliveries: WebhookDeliveryTable;
  webhookAttempts: WebhookAttemptTable;
  userTokens: UserTokenTable;
  mailMessages: MailMessageTable;
}

export type Db = Kysely<DB>;
/** Repositories take either, so the caller decides whether a call runs inside a transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;
export type Dialect = 'sqlite' | 'postgres';
