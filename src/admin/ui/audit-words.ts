import { api } from './api.js';
import { label } from './schema-form.js';

/**
 * The audit log in words: what an event type means, who an actor is, and what a user event changed.
 * Shared by the user page's history and the audit-log screen. Only the public API is read, with the
 * signed-in credential's permissions: a name the credential may not look up is shown as a short id.
 */
export interface AuditEvent {
  id: string;
  type: string;
  occurredAt: string;
  actor: { type: string; id: string | null; requestId: string | null };
  resource: { type: string; id: string };
  data: unknown;
}

export const EVENT_WORDS: Readonly<Record<string, string>> = {
  'user.created': 'User created',
  'user.updated': 'User changed',
  'user.deleted': 'User deleted',
  'user.activated': 'User reactivated',
  'user.deactivated': 'User deactivated',
  'user.password_changed': 'Password changed',
  'user.roles_updated': 'Roles changed',
  'user.groups_updated': 'Groups changed',
  'user.sessions_ended': 'Signed out everywhere',
  'role.created': 'Role created',
  'role.updated': 'Role changed',
  'role.deleted': 'Role deleted',
  'group.created': 'Group created',
  'group.updated': 'Group changed',
  'group.deleted': 'Group deleted',
  'api_key.created': 'API key created',
  'api_key.updated': 'API key changed',
  'api_key.deleted': 'API key revoked',
  'webhook.created': 'Webhook created',
  'webhook.updated': 'Webhook changed',
  'webhook.deleted': 'Webhook deleted',
  'webhook.disabled': 'Webhook disabled',
  'webhook.ping': 'Webhook pinged',
  'import.completed': 'Import finished',
  user_created: 'User created (Pulse)',
};

export const eventWords = (type: string): string => EVENT_WORDS[type] ?? type;

/** Short form of an id a person can compare at a glance (the end of a time-ordered id differs most). */
export const shortId = (id: string): string => `…${id.slice(-6)}`;

function userName(u: { displayName?: unknown; email?: unknown; username?: unknown; id: string }): string {
  return String(u.displayName ?? u.email ?? u.username ?? shortId(u.id));
}

const names = new Map<string, Promise<string>>();
let keyNames: Promise<Map<string, string>> | undefined;

/** "Ada Admin", "API key “Provisioning”", "Roster (command line)", … — a name for whoever caused an event. */
export function actorName(actor: AuditEvent['actor']): Promise<string> {
  if (actor.type === 'cli') return Promise.resolve('Command line or Roster itself');
  if (!actor.id) return Promise.resolve(actor.type);
  const id = actor.id;
  const cacheKey = `${actor.type}:${id}`;
  let found = names.get(cacheKey);
  if (!found) {
    found = lookUp(actor.type, id);
    names.set(cacheKey, found);
  }
  return found;
}

async function lookUp(type: string, id: string): Promise<string> {
  if (type === 'user') {
    if (api.session?.user?.id === id) return `${userName(api.session.user)} (you)`;
    if (!api.can('users:read')) return `User ${shortId(id)}`;
    return api
      .request<{ id: string }>('GET', `/v1/users/${encodeURIComponent(id)}`)
      .then((u) => userName(u))
      .catch(() => `Deleted user ${shortId(id)}`);
  }
  if (type === 'jwt') return `Signed token (${shortId(id)})`;
  if (type === 'api_key') {
    if (!api.can('keys:manage')) return `API key ${shortId(id)}`;
    keyNames ??= api
      .request<{ data: Array<{ id: string; name: string }> }>('GET', '/v1/api-keys', { query: { limit: 200 } })
      .then((list) => new Map(list.data.map((k) => [k.id, k.name])))
      .catch(() => new Map<string, string>());
    const name = (await keyNames).get(id);
    return name ? `API key “${name}”` : `API key ${shortId(id)}`;
  }
  return `${type} ${shortId(id)}`;
}

/** Forgets looked-up names (a new sign-in or tenant). */
export function forgetNames(): void {
  names.clear();
  keyNames = undefined;
}

/** Members that change on every write and say nothing a reader needs. */
const NOISE = new Set(['id', 'version', 'updatedAt', 'createdAt', 'createdBy', 'tenantId', 'seq']);

const blank = (v: unknown) => v === undefined || v === null || v === '';

function same(a: unknown, b: unknown): boolean {
  return (blank(a) && blank(b)) || JSON.stringify(a) === JSON.stringify(b);
}

function valueWords(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'empty';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value
      .map((v) => (v && typeof v === 'object' ? String((v as { name?: unknown; code?: unknown }).name ?? JSON.stringify(v)) : String(v)))
      .join(', ');
  }
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : `“${text}”`;
}

/**
 * What each event of one resource changed, in words, from the snapshots the events carry: events are
 * read oldest first and each one's data is laid over what was known before (some events carry only the
 * members they changed). The first event of a page has no predecessor: only a creation says something then.
 * @returns event id → sentences such as `Given name: “Ada” → “Eve”`.
 */
export function changesInWords(oldestFirst: AuditEvent[], base?: AuditEvent): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let known: Record<string, unknown> | undefined = base && isRecord(base.data) ? { ...base.data } : undefined;
  for (const event of oldestFirst) {
    const data = isRecord(event.data) ? event.data : {};
    const lines: string[] = [];
    if (event.type === 'user.created') lines.push('Created');
    else if (event.type === 'user.deleted') lines.push('Deleted');
    else if (event.type === 'user.password_changed') lines.push('A new password was set');
    else if (event.type === 'user.sessions_ended') {
      const n = Number(data.sessionsEnded ?? 0);
      lines.push(n === 1 ? '1 session ended' : `${n} sessions ended`);
    } else if (known) {
      for (const [key, value] of Object.entries(data)) {
        if (NOISE.has(key) || same(known[key], value)) continue;
        if (isRecord(value) && isRecord(known[key])) {
          const before = known[key] as Record<string, unknown>;
          for (const [sub, v] of Object.entries(value))
            if (!same(before[sub], v)) lines.push(`${label(sub)}: ${valueWords(before[sub])} → ${valueWords(v)}`);
          for (const sub of Object.keys(before)) if (!(sub in value)) lines.push(`${label(sub)}: ${valueWords(before[sub])} → empty`);
        } else lines.push(`${label(key)}: ${valueWords(known[key])} → ${valueWords(value)}`);
      }
    } else {
      const keys = Object.keys(data).filter((k) => !NOISE.has(k));
      if (event.type !== 'user.updated' || keys.length <= 3) for (const k of keys) lines.push(`${label(k)}: ${valueWords(data[k])}`);
      else lines.push('Changed (the earlier state is older than this page)');
    }
    out.set(event.id, lines);
    known = { ...(known ?? {}), ...data };
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
