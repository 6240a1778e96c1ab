import type { Core } from '../app.js';
import { AppError } from '../errors/app-error.js';
import { compileBodyValidator } from '../lib/json-schema.js';
import { inputFieldError } from '../lib/safe-input.js';
import { CreateApiKeySchema, type ApiKey, type CreatedApiKey, type CreateApiKeyInput } from '../modules/api-keys/api-key.schemas.js';
import type { TenantContext } from '../modules/context.js';
import {
  CreateUserSchema,
  PatchUserSchema,
  type CreatedUser,
  type CreateUserInput,
  type ListUsersQuery,
  type PatchUserInput,
  type User,
  type UserList,
} from '../modules/users/user.schemas.js';
import type { Webhook } from '../modules/webhooks/webhook.schemas.js';
import { cliPrincipal, tenantContext } from './cli-context.js';
import { CliUsageError } from './cli-output.js';

export interface UserQuery {
  q?: string;
  active?: boolean;
  limit?: number;
  cursor?: string;
}

/**
 * What the users, keys and webhooks commands need, done either on the local store (the core
 * services, with the CLI's platform rights) or by a server's public /v1 API with the caller's key.
 * The commands are written once against it; every rule stays in the core.
 */
export interface Backend {
  listUsers(query: UserQuery): Promise<UserList>;
  getUser(id: string): Promise<User>;
  createUser(input: unknown): Promise<CreatedUser>;
  updateUser(id: string, patch: unknown, ifMatch?: string): Promise<User>;
  deleteUser(id: string): Promise<void>;
  createKey(input: CreateApiKeyInput): Promise<CreatedApiKey>;
  listKeys(): Promise<ApiKey[]>;
  revokeKey(id: string): Promise<void>;
  listWebhooks(): Promise<Webhook[]>;
  pingWebhook(id: string): Promise<{ eventId: string; deliveryId: string }>;
}

const validateCreate = compileBodyValidator(CreateUserSchema);
const validatePatch = compileBodyValidator(PatchUserSchema);
const validateKey = compileBodyValidator(CreateApiKeySchema);

/** The checks the HTTP layer makes before a service runs (hostile input, then the body schema), for bodies the CLI reads locally. */
function checked<T>(value: unknown, validate: (value: unknown) => ReturnType<typeof validateCreate>): T {
  const hostile = inputFieldError(value);
  if (hostile) throw new AppError('VALIDATION_FAILED', { errors: [hostile] });
  const errors = validate(value);
  if (errors) throw new AppError('VALIDATION_FAILED', { errors });
  return value as T;
}

export function localBackend(core: Core, tenant: string | undefined): Backend {
  let ctx: TenantContext | undefined;
  const tenantCtx = async () => {
    if (tenant === undefined) throw new CliUsageError('give --tenant <slug> (or --url and --key to use a server)');
    ctx ??= await tenantContext(core, tenant);
    return ctx;
  };
  // Keys: with --tenant the tenant's keys, without it the platform keys (as a platform key without X-Roster-Tenant).
  const keyScope = async () => (tenant === undefined ? null : (await tenantCtx()).tenantId);
  return {
    listUsers: async (query) => core.users.listUsers(await tenantCtx(), query as ListUsersQuery),
    getUser: async (id) => core.users.getUser(await tenantCtx(), id),
    createUser: async (input) => core.users.createUser(await tenantCtx(), checked<CreateUserInput>(input, validateCreate)),
    updateUser: async (id, patch, ifMatch) =>
      core.users.updateUser(await tenantCtx(), id, checked<PatchUserInput>(patch, validatePatch), ifMatch),
    deleteUser: async (id) => core.users.deleteUser(await tenantCtx(), id),
    createKey: async (input) => {
      const body = checked<CreateApiKeyInput>(input, validateKey);
      if (!body.platform && tenant === undefined) throw new CliUsageError('give --tenant <slug> or --platform');
      return core.apiKeys.createKey(cliPrincipal, body.platform ? null : await keyScope(), body);
    },
    listKeys: async () => core.apiKeys.listKeys(cliPrincipal, await keyScope()),
    revokeKey: async (id) => core.apiKeys.revokeKey(cliPrincipal, await keyScope(), id),
    listWebhooks: async () => core.webhooks.listWebhooks(await tenantCtx()),
    pingWebhook: async (id) => core.webhooks.ping(await tenantCtx(), id),
  };
}
