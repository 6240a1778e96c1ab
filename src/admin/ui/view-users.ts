import { api } from './api.js';
import { h, mount, table, when } from './dom.js';

interface UserRow { id: string; email: string | null; username: string | null; displayName: string | null; givenName: string | null; familyName: string | null; active: boolean; roles: string[]; createdAt: string }

const PAGE = 25;

/** The searchable, paged user list; the search and cursor stack live in the view only. */
export async function usersView(main: HTMLElement): Promise<void> {
  const cursors: Array<string | undefined> = [undefined];
  let q = '';
  let name = '';
  const results = h('div', { id: 'user-results', 'aria-live': 'polite' });
  // Two searches, as the API has them: identifiers are indexed, names are read through.
  const search = h('input', { id: 'user-search', type: 'search', name: 'q', placeholder: 'ada@ or ada.l' });
  const byName = h('input', { id: 'user-name', type: 'search', name: 'name', placeholder: 'Lovelace' });
  const form = h('form', { role: 'search', class: 'inline', onsubmit: (e: Event) => { e.preventDefault(); q = search.value.trim(); name = byName.value.trim(); cursors.length = 1; void load(); } },
    h('label', { for: 'user-search' }, 'Email or username starts with '), search,
    h('label', { for: 'user-name' }, 'Name starts with '), byName, h('button', { type: 'submit' }, 'Search'));

  const load = async () => {
    const page = await api.request<{ data: UserRow[]; nextCursor: string | null }>('GET', '/v1/users', { query: { limit: PAGE, q: q || undefined, name: name || undefined, cursor: cursors.at(-1) } });
    const fullName = (u: UserRow) => u.displayName ?? ([u.givenName, u.familyName].filter(Boolean).join(' ') || '—');
    const rows = page.data.map((u) => [
      h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.email ?? u.username ?? u.id), u.username ?? '—', fullName(u),
      u.active ? 'Active' : 'Inactive', u.roles.join(', '), when(u.createdAt),
    ]);
    const previous = h('button', { type: 'button', disabled: cursors.length === 1, onclick: () => { cursors.pop(); void load(); } }, 'Previous page');
    const next = h('button', { type: 'button', disabled: page.nextCursor === null, onclick: () => { cursors.push(page.nextCursor ?? undefined); void load(); } }, 'Next page');
    mount(results, table(q || name ? `Users matching “${[q, name].filter(Boolean).join('”, “')}”` : 'Users', ['Email', 'Username', 'Name', 'Status', 'Roles', 'Created'], rows), h('div', { class: 'pager' }, previous, ` Page ${cursors.length} `, next));
  };

  mount(main, h('div', { class: 'title-row' }, h('h1', {}, 'Users'), api.can('users:create') ? h('a', { href: '#/users/new', class: 'button' }, 'Create user') : null), form, results);
  await load();
}
