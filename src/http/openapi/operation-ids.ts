/**
 * The operationId of every documented route, made in one place from its method and path so generated
 * clients (openapi-typescript, openapi-generator, orval) get stable, readable names:
 * `GET /v1/users` → listUsers, `POST /v1/users` → createUser, `GET /v1/users/{id}` → getUser,
 * `PATCH` → update…, `PUT` → replace…, `DELETE` → delete…, nested paths read outside in
 * (`GET /v1/webhooks/{id}/deliveries` → listWebhookDeliveries). SCIM operations carry `Scim`, adapter
 * contracts their product (`POST /compat/fleet/users` → createFleetUser). A route whose schema names its
 * own operationId keeps it. Renaming one breaks generated clients: add, do not rename.
 */

/** Where the rule above reads poorly, by `METHOD /path` as the document spells it. */
const OVERRIDES: Readonly<Record<string, string>> = {
  'GET /healthz': 'checkLiveness',
  'GET /readyz': 'checkReadiness',
  'GET /metrics': 'getMetrics',
  'DELETE /v1/api-keys/{id}': 'revokeApiKey',
  'POST /v1/users/batch': 'createUsersBatch',
  'GET /v1/settings': 'getSettings',
  'PATCH /v1/settings': 'updateSettings',
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': 'redeliverWebhookDelivery',
  'POST /v1/webhooks/{id}/ping': 'pingWebhook',
  'DELETE /v1/users/{id}/tokens/{tokenId}': 'revokeUserToken',
  'POST /v1/imports': 'startImport',
  'POST /v1/sessions': 'login',
  'POST /v1/sessions/current/password': 'changeOwnPassword',
  'POST /v1/browser-sessions': 'signInBrowser',
  'GET /v1/browser-sessions/current': 'getCurrentBrowserSession',
  'DELETE /v1/browser-sessions/current': 'signOutBrowser',
  'POST /v1/email-verifications/{token}': 'confirmEmail',
  'POST /v1/password-setups/{token}': 'completePasswordSetup',
  'POST /v1/password-resets': 'requestPasswordReset',
  'POST /v1/users/{id}/password-reset': 'sendUserPasswordReset',
  'POST /v1/users/{id}/email-verification': 'sendUserEmailVerification',
  'DELETE /v1/users/{id}/sessions': 'endUserSessions',
  'POST /compat/rocketchat/api/v1/login': 'rocketChatLogin',
  'POST /compat/rocketchat/api/v1/users.create': 'createRocketChatUser',
  'POST /compat/certification/users': 'createCertificationUsers',
  'GET /scim/v2/ServiceProviderConfig': 'getScimServiceProviderConfig',
  'PATCH /scim/v2/Users/{id}': 'patchScimUser',
  'PATCH /scim/v2/Groups/{id}': 'patchScimGroup',
  'POST /scim/v2/Bulk': 'runScimBulk',
};

const VERBS: Readonly<Record<string, { item: string; collection: string }>> = {
  GET: { item: 'get', collection: 'list' },
  POST: { item: 'create', collection: 'create' },
  PUT: { item: 'replace', collection: 'replace' },
  PATCH: { item: 'update', collection: 'update' },
  DELETE: { item: 'delete', collection: 'delete' },
};

const CONTRACT_NAMES: Readonly<Record<string, string>> = { rocketchat: 'RocketChat' };

/** `api-keys` → `ApiKeys`, `ResourceTypes` stays. */
function pascal(segment: string): string {
  return segment
    .split(/[-_.]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** `/v1/users/:id` (Fastify) and `/v1/users/{id}` (OpenAPI) both give `/v1/users/{id}`. */
export function documentPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The operationId of one route. */
export function operationIdOf(method: string, url: string): string {
  const path = documentPath(url);
  const verb = method.toUpperCase();
  const override = OVERRIDES[`${verb} ${path}`];
  if (override) return override;

  let segments = path.split('/').filter(Boolean);
  let qualifier = '';
  if (segments[0] === 'v1') segments = segments.slice(1);
  else if (segments[0] === 'scim' && segments[1] === 'v2') [qualifier, segments] = ['Scim', segments.slice(2)];
  else if (segments[0] === 'compat' && segments[1])
    [qualifier, segments] = [CONTRACT_NAMES[segments[1]] ?? pascal(segments[1]), segments.slice(2)];

  const isItem = segments.at(-1)?.startsWith('{') ?? false;
  const nouns = segments.filter((segment) => !segment.startsWith('{'));
  const verbs = VERBS[verb] ?? { item: verb.toLowerCase(), collection: verb.toLowerCase() };
  // A list keeps its last noun plural (listWebhookDeliveries); every other name is about one thing.
  const listing = verb === 'GET' && !isItem;
  const words = nouns.map((noun, index) => pascal(listing && index === nouns.length - 1 ? noun : singular(noun)));
  if (qualifier) words.unshift(qualifier);
  return `${isItem ? verbs.item : verbs.collection}${words.join('')}`;
}
