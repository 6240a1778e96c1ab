import { api, ApiError } from './api.js';
import { confirmAction, h, mount, notice, table, when, type Child } from './dom.js';
import { label } from './schema-form.js';

type User = Record<string, unknown> & { id: string; active: boolean; roles: string[]; groups: Array<{ id: string; type: string; code: string; name: string }>; attributes: Record<string, unknown> };
interface Event { id: string; type: string; occurredAt: string; actor: { type: string; id: string | null } }

const HIDDEN = new Set(['id', 'roles', 'groups', 'attributes', 'address']);

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function definitionList(entries: Array<[string, unknown]>): HTMLElement {
  return h('dl', {}, entries.map(([k, v]) => [h('dt', {}, label(k)), h('dd', {}, show(v))]));
}

/** One user: profile, roles, groups, attributes and recent events, with (de)activation and deletion. */
export async function userDetailView(main: HTMLElement, id: string): Promise<void> {
  const [user, events] = await Promise.all([
    api.request<User>('GET', `/v1/users/${encodeURIComponent(id)}`),
    api.request<{ data: Event[] }>('GET', '/v1/events', { query: { resourceId: id, limit: 20 } }).catch(() => ({ data: [] as Event[] })),
  ]);
  const status = h('div', { 'aria-live': 'polite' });
  const actions: Child[] = [];
  if (api.can('users:set-active')) {
    actions.push(h('button', { type: 'button', onclick: async () => {
      if (!confirmAction(user.active ? 'Deactivate this user? They can no longer sign in.' : 'Reactivate this user?')) return;
      try {
        await api.request('PATCH', `/v1/users/${encodeURIComponent(id)}`, { body: { active: !user.active }, contentType: 'application/merge-patch+json' });
        await userDetailView(main, id);
      } catch (e) {
        mount(status, notice(e instanceof ApiError ? e.message : String(e), 'error'));
      }
    } }, user.active ? 'Deactivate' : 'Reactivate'));
  }
  if (api.can('users:delete')) {
    actions.push(h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirmAction('Delete this user? This cannot be undone.')) return;
      try {
        await api.request('DELETE', `/v1/users/${encodeURIComponent(id)}`);
        location.hash = '#/users';
      } catch (e) {
        mount(status, notice(e instanceof ApiError ? e.message : String(e), 'error'));
      }
    } }, 'Delete'));
  }
  const profile = Object.entries(user).filter(([k]) => !HIDDEN.has(k));
  const title = show(user.displayName ?? user.email ?? user.username ?? user.id);
  mount(main,
    h('p', {}, h('a', { href: '#/users' }, '← Users')),
    h('div', { class: 'title-row' }, h('h1', {}, title), h('span', { class: user.active ? 'badge ok' : 'badge off' }, user.active ? 'Active' : 'Inactive')),
    h('div', { class: 'actions' }, actions), status,
    h('section', { 'aria-labelledby': 'profile-h' }, h('h2', { id: 'profile-h' }, 'Profile'), definitionList(profile), user.address ? [h('h3', {}, 'Address'), definitionList(Object.entries(user.address as object))] : null),
    h('section', { 'aria-labelledby': 'roles-h' }, h('h2', { id: 'roles-h' }, 'Roles'), h('p', {}, user.roles.join(', ') || '—')),
    h('section', { 'aria-labelledby': 'groups-h' }, h('h2', { id: 'groups-h' }, 'Groups'), table('Groups', ['Type', 'Code', 'Name'], user.groups.map((g) => [g.type, g.code, g.name]))),
    h('section', { 'aria-labelledby': 'attrs-h' }, h('h2', { id: 'attrs-h' }, 'Attributes'), definitionList(Object.entries(user.attributes))),
    h('section', { 'aria-labelledby': 'events-h' }, h('h2', { id: 'events-h' }, 'Recent events'),
      table('Recent events', ['When', 'Event', 'By'], events.data.map((e) => [when(e.occurredAt), e.type, `${e.actor.type}${e.actor.id ? `:${e.actor.id}` : ''}`]))),
  );
}
