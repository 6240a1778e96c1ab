import { api, ApiError } from './api.js';

/**
 * Bulk actions on selected users, each through the endpoint a single change uses (PATCH, DELETE,
 * password-reset), so every rule holds per user as it does one at a time: permissions, the privilege
 * guard, If-Match, events and webhooks. A few requests run at once; every refusal is reported by user.
 */
export interface BulkUser {
  id: string;
  email: string | null;
  username: string | null;
  version: number;
  groups: Array<{ id: string }>;
}

export type BulkAction = 'deactivate' | 'reactivate' | 'delete' | 'add-group' | 'remove-group' | 'password-reset';

/** How many requests the page keeps in flight: quick for 200 users, gentle on the server and its rate limit. */
const CONCURRENCY = 4;

export interface BulkOutcome {
  done: number;
  failures: Array<{ user: BulkUser; reason: string }>;
}

/** Past tense of each action, for "48 deactivated, 2 refused". */
export const DONE_WORDS: Record<BulkAction, string> = {
  deactivate: 'deactivated',
  reactivate: 'reactivated',
  delete: 'deleted',
  'add-group': 'added to the group',
  'remove-group': 'removed from the group',
  'password-reset': 'password-reset mails sent',
};

/** A refusal in words for people; the API code only as a detail. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof ApiError)) return String(error);
  const p = error.problem;
  if (p.status === 403) return `your role may not do this (${p.code})`;
  if (p.status === 404) return `the user no longer exists (${p.code})`;
  if (p.status === 412) return `someone else changed the user meanwhile (${p.code})`;
  if (p.status === 0) return 'the server could not be reached';
  return `${p.detail ?? p.title} (${p.code})`;
}

const mergePatch = 'application/merge-patch+json';

/** Sends the group list with If-Match; a user changed meanwhile is read again and tried once more. */
async function changeGroups(user: BulkUser, groupId: string, add: boolean): Promise<void> {
  const path = `/v1/users/${encodeURIComponent(user.id)}`;
  let current = { ids: user.groups.map((g) => g.id), etag: `"${user.version}"` };
  for (let attempt = 0; ; attempt++) {
    const ids = add ? [...new Set([...current.ids, groupId])] : current.ids.filter((id) => id !== groupId);
    if (ids.length === current.ids.length && ids.every((id, i) => id === current.ids[i])) return; // already so
    try {
      await api.request('PATCH', path, { body: { groups: ids }, contentType: mergePatch, ifMatch: current.etag });
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.problem.status !== 412 || attempt > 0) throw e;
      const fresh = await api.exchange<{ groups: Array<{ id: string }> }>('GET', path);
      current = { ids: fresh.data.groups.map((g) => g.id), etag: fresh.etag ?? '' };
    }
  }
}

function perform(action: BulkAction, user: BulkUser, groupId: string | undefined): Promise<unknown> {
  const path = `/v1/users/${encodeURIComponent(user.id)}`;
  switch (action) {
    case 'deactivate':
    case 'reactivate':
      return api.request('PATCH', path, { body: { active: action === 'reactivate' }, contentType: mergePatch });
    case 'delete':
      return api.request('DELETE', path);
    case 'password-reset':
      return api.request('POST', `${path}/password-reset`);
    case 'add-group':
    case 'remove-group':
      return changeGroups(user, groupId as string, action === 'add-group');
  }
}

/** Runs `action` on every user, CONCURRENCY at a time; `progress` hears how many are finished. */
export async function runBulk(
  action: BulkAction,
  users: BulkUser[],
  groupId: string | undefined,
  progress: (finished: number) => void,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { done: 0, failures: [] };
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++] as BulkUser;
      try {
        await perform(action, user, groupId);
        outcome.done++;
      } catch (e) {
        outcome.failures.push({ user, reason: reasonOf(e) });
      }
      progress(++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, users.length) }, worker));
  return outcome;
}

/** "48 deactivated, 2 refused: a@x.com (reason); …" */
export function describeOutcome(action: BulkAction, outcome: BulkOutcome): string {
  const head = `${outcome.done} ${DONE_WORDS[action]}`;
  if (outcome.failures.length === 0) return `${head}.`;
  const named = outcome.failures
    .slice(0, 10)
    .map((f) => `${f.user.email ?? f.user.username ?? f.user.id}: ${f.reason}`)
    .join('; ');
  const more = outcome.failures.length > 10 ? `; and ${outcome.failures.length - 10} more` : '';
  return `${head}, ${outcome.failures.length} refused: ${named}${more}.`;
}
