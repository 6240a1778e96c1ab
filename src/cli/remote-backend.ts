import type { ApiKey, CreatedApiKey } from '../modules/api-keys/api-key.schemas.js';
import type { CreatedUser, User, UserList } from '../modules/users/user.schemas.js';
import type { Webhook } from '../modules/webhooks/webhook.schemas.js';
import type { Backend } from './cli-backend.js';
import type { RemoteClient } from './remote-client.js';

/** The commands' Backend over a server's public /v1 API, with the caller's key and tenant. */
export function remoteBackend(client: RemoteClient): Backend {
  const id = (value: string) => encodeURIComponent(value);
  return {
    listUsers: async (query) => (await client.request<UserList>('GET', '/users', { query: { ...query } })).body,
    getUser: async (userId) => (await client.request<User>('GET', `/users/${id(userId)}`)).body,
    createUser: async (input) => (await client.request<CreatedUser>('POST', '/users', { body: input })).body,
    updateUser: async (userId, patch, ifMatch) =>
      (
        await client.request<User>('PATCH', `/users/${id(userId)}`, {
          body: patch,
          contentType: 'application/merge-patch+json',
          ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
        })
      ).body,
    deleteUser: async (userId) => {
      await client.request('DELETE', `/users/${id(userId)}`);
    },
    createKey: async (input) => (await client.request<CreatedApiKey>('POST', '/api-keys', { body: input })).body,
    listKeys: async () => (await client.request<{ data: ApiKey[] }>('GET', '/api-keys')).body.data,
    revokeKey: async (keyId) => {
      await client.request('DELETE', `/api-keys/${id(keyId)}`);
    },
    listWebhooks: async () => (await client.request<{ data: Webhook[] }>('GET', '/webhooks')).body.data,
    pingWebhook: async (webhookId) =>
      (await client.request<{ eventId: string; deliveryId: string }>('POST', `/webhooks/${id(webhookId)}/ping`)).body,
  };
}
