import { api } from './api.js';
import { h, mount, table, when } from './dom.js';

interface UserRow {
  id: string;
  email: string | null;
  username: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  roles: string[];
  createdAt: string;
}

const PAGE_SIZES = [10, 25, 50, 100, 200];

/**
 * The searchable, filterable, paged user list; the search and cursor stack live in the view only.
 * GET /v1/users gives no total, so the page says how many it shows and whether more follow.
 */
export async function usersView(main: HTMLElement): Promise<void> {
  const cursors: Array<string | undefined> = [undefined];
  let q = '';
  let name = '';
  const results = h('div', { id: 'user-results', 'aria-live': 'polite' });
  // Two searches, as the API has them: identifiers are indexed, names are read through.
  const search = h('input', { id: 'user-search', type: 'search', name: 'q', placeholder: 'ada@ or ada.l' });
  const byName = h('input', { id: 'user-name', type: 'search', name: 'name', placeholder: 'Lovelace' });
  // The filters GET /v1/users has: the status (active) and the page size; a change applies at once.
  const statusFilter = h(
    'select',
    { id: 'user-status-filter', name: 'active', onchange: () => restart() },
    h('option', { value: '' }, 'Any'),
    h('option', { value: 'true' }, 'Active'),
    h('option', { value: 'false' }, 'Inactive'),
  );
  const pageSize = h(
    'select',
    { id: 'user-page-size', name: 'limit', onchange: () => restart() },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === 25 }, String(n))),
  );
  const restart = () => {
    q = search.value.trim();
    name = byName.value.trim();
    cursors.length = 1;
    void load();
  };
  const form = h(
    'form',
    {
      role: 'search',
      class: 'inline filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        restart();
      },
    },
    h('span', { class: 'filter' }, h('label', { for: 'user-search' }, 'Email or username starts with '), search),
    h('span', { class: 'filter' }, h('label', { for: 'user-name' }, 'Name starts with '), byName),
    h('span', { class: 'filter' }, h('label', { for: 'user-status-filter' }, 'Status '), statusFilter),
    h('span', { class: 'filter' }, h('label', { for: 'user-page-size' }, 'Per page '), pageSize),
    h('button', { type: 'submit' }, 'Search'),
  );

  const load = async () => {
    const page = await api.request<{ data: UserRow[]; nextCursor: string | null }>('GET', '/v1/users', {
      query: {
        limit: Number(pageSize.value),
        q: q || undefined,
        name: name || undefined,
        active: statusFilter.value || undefined,
        cursor: cursors.at(-1),
      },
    });
    const fullName = (u: UserRow) => u.displayName ?? ([u.givenName, u.familyName].filter(Boolean).join(' ') || '—');
    const rows = page.data.map((u) => [
      h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.email ?? u.username ?? u.id),
      u.username ?? '—',
      fullName(u),
      u.active ? 'Active' : 'Inactive',
      u.roles.join(', '),
      when(u.createdAt),
    ]);
    const previous = h(
      'button',
      {
        type: 'button',
        disabled: cursors.length === 1,
        onclick: () => {
          cursors.pop();
          void load();
        },
      },
      'Previous page',
    );
    const next = h(
      'button',
      {
        type: 'button',
        disabled: page.nextCursor === null,
        onclick: () => {
          cursors.push(page.nextCursor ?? undefined);
          void load();
        },
      },
      'Next page',
    );
    const first = (cursors.length - 1) * Number(pageSize.value);
    const count =
      page.data.length === 0
        ? 'No users shown.'
        : `Users ${first + 1}–${first + page.data.length} shown${page.nextCursor === null ? ' (the last page)' : '; more on the next page'}.`;
    mount(
      results,
      h('p', { id: 'user-count' }, count),
      table(
        q || name ? `Users matching “${[q, name].filter(Boolean).join('”, “')}”` : 'Users',
        ['Email', 'Username', 'Name', 'Status', 'Roles', 'Created'],
        rows,
      ),
      h('div', { class: 'pager' }, previous, ` Page ${cursors.length} `, next),
    );
  };

  mount(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Users'),
      api.can('users:create') ? h('a', { href: '#/users/new', class: 'button' }, 'Create user') : null,
    ),
    form,
    results,
  );
  await load();
}
