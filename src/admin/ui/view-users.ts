import { api, ApiError } from './api.js';
import { confirmAction, h, mount, notice, when, type Child } from './dom.js';
import { describeOutcome, runBulk, type BulkAction, type BulkUser } from './users-bulk.js';
import { download, exportUsersCsv } from './users-export.js';

interface UserRow extends BulkUser {
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  emailVerified: boolean;
  roles: string[];
  createdAt: string;
}
interface UserPage {
  data: UserRow[];
  nextCursor: string | null;
  total?: number;
}
interface Group {
  id: string;
  type: string;
  code: string;
  name: string;
}

const PAGE_SIZES = [10, 25, 50, 100, 200];
/** Sortable columns: header text → the API's sort key. */
const SORTABLE: Record<string, string> = { Email: 'email', Username: 'username', Name: 'familyName', Created: 'createdAt' };
const SORT_CHOICES: Array<[string, string]> = [
  ['', 'Creation order'],
  ['-createdAt', 'Newest first'],
  ['createdAt', 'Oldest first'],
  ['email', 'Email A–Z'],
  ['-email', 'Email Z–A'],
  ['username', 'Username A–Z'],
  ['-username', 'Username Z–A'],
  ['familyName', 'Family name A–Z'],
  ['-familyName', 'Family name Z–A'],
];
const numbers = new Intl.NumberFormat();

function problemText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  const fields = (e.problem.errors ?? []).map((f) => f.message).join(' ');
  return `${fields || e.message} (${e.problem.code})`;
}

/** A labelled control in the filter bar. */
function filter(id: string, text: string, control: HTMLElement): HTMLElement {
  return h('span', { class: 'filter' }, h('label', { for: id }, text), control);
}

function choice(id: string, name: string, options: Array<[string, string]>, onchange: () => void): HTMLSelectElement {
  return h(
    'select',
    { id, name, onchange },
    options.map(([value, text]) => h('option', { value }, text)),
  );
}

/** A local calendar day (from a date field) as an instant; `nextDay` gives the end of that day. */
function dayStart(value: string, nextDay = false): string | undefined {
  if (!value) return undefined;
  const date = new Date(`${value}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (nextDay) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

/**
 * The users list: search, filters, sortable columns, page size and a total, all from GET /v1/users;
 * selection with bulk actions and a CSV export of the filtered set for credentials that may use them.
 */
export async function usersView(main: HTMLElement): Promise<void> {
  const [roles, groups] = await Promise.all([
    api.request<{ data: Array<{ name: string }> }>('GET', '/v1/roles').then(
      (r) => r.data,
      () => [],
    ),
    api.request<{ data: Group[] }>('GET', '/v1/groups').then(
      (r) => r.data,
      () => [] as Group[],
    ),
  ]);
  const cursors: Array<string | undefined> = [undefined];
  let total: number | undefined;
  let rows: UserRow[] = [];
  const selected = new Set<string>();
  let applied: Record<string, string | undefined> = {};

  const results = h('div', { id: 'user-results', 'aria-live': 'polite' });
  const status = h('div', { id: 'bulk-status', 'aria-live': 'polite' });
  const restart = () => {
    applied = currentQuery();
    cursors.length = 1;
    total = undefined;
    void load();
  };
  // Two searches, as the API has them: identifiers are indexed, names are read through.
  const search = h('input', { id: 'user-search', type: 'search', name: 'q', placeholder: 'ada@ or ada.l' });
  const byName = h('input', { id: 'user-name', type: 'search', name: 'name', placeholder: 'Lovelace' });
  const statusFilter = choice(
    'user-status-filter',
    'active',
    [
      ['', 'Any'],
      ['true', 'Active'],
      ['false', 'Inactive'],
    ],
    restart,
  );
  const verifiedFilter = choice(
    'user-verified-filter',
    'emailVerified',
    [
      ['', 'Any'],
      ['true', 'Verified'],
      ['false', 'Not verified'],
    ],
    restart,
  );
  const roleFilter = choice('user-role-filter', 'role', [['', 'Any'], ...roles.map((r): [string, string] => [r.name, r.name])], restart);
  const groupName = (g: Group) => `${g.name} (${g.type})`;
  const groupFilter = choice(
    'user-group-filter',
    'group',
    [['', 'Any'], ...groups.map((g): [string, string] => [g.id, groupName(g)])],
    restart,
  );
  const createdFrom = h('input', { id: 'user-created-from', type: 'date', name: 'createdAfter', onchange: restart });
  const createdUntil = h('input', { id: 'user-created-until', type: 'date', name: 'createdBefore', onchange: restart });
  const sortChoice = choice('user-sort', 'sort', SORT_CHOICES, restart);
  const pageSize = h(
    'select',
    { id: 'user-page-size', name: 'limit', onchange: restart },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === 25 }, String(n))),
  );

  function currentQuery(): Record<string, string | undefined> {
    const set = (v: string) => v || undefined;
    return {
      q: set(search.value.trim()),
      name: set(byName.value.trim()),
      active: set(statusFilter.value),
      emailVerified: set(verifiedFilter.value),
      role: set(roleFilter.value),
      group: set(groupFilter.value),
      createdAfter: dayStart(createdFrom.value),
      createdBefore: dayStart(createdUntil.value, true),
      sort: set(sortChoice.value),
    };
  }

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
    filter('user-search', 'Email or username starts with ', search),
    filter('user-name', 'Name starts with ', byName),
    filter('user-status-filter', 'Status ', statusFilter),
    filter('user-verified-filter', 'Email verified ', verifiedFilter),
    filter('user-role-filter', 'Role ', roleFilter),
    filter('user-group-filter', 'Group ', groupFilter),
    filter('user-created-from', 'Created from ', createdFrom),
    filter('user-created-until', 'Created until ', createdUntil),
    filter('user-sort', 'Sort by ', sortChoice),
    filter('user-page-size', 'Per page ', pageSize),
    h('button', { type: 'submit' }, 'Search'),
  );

  // Bulk actions the credential may use; the others are left out and named.
  const actions: Array<[BulkAction, string, boolean]> = [
    ['deactivate', 'Deactivate', api.can('users:set-active')],
    ['reactivate', 'Reactivate', api.can('users:set-active')],
    ['add-group', 'Add to group', api.can('users:update') && groups.length > 0],
    ['remove-group', 'Remove from group', api.can('users:update') && groups.length > 0],
    ['password-reset', 'Send password-reset mail', api.can('users:update')],
    ['delete', 'Delete', api.can('users:delete')],
  ];
  const allowed = actions.filter(([, , ok]) => ok);
  const limits: string[] = [];
  if (!api.can('users:set-active')) limits.push('deactivate or reactivate users');
  if (!api.can('users:update')) limits.push('change groups or send password-reset mails');
  if (!api.can('users:delete')) limits.push('delete users');
  const selectAll = h('input', {
    id: 'select-page',
    type: 'checkbox',
    onchange: () => {
      for (const row of rows)
        if (selectAll.checked) selected.add(row.id);
        else selected.delete(row.id);
      for (const box of results.querySelectorAll<HTMLInputElement>('input[data-user]')) box.checked = selectAll.checked;
      updateBar();
    },
  });
  const selectedCount = h('span', { id: 'selected-count' });
  const bulkGroup = choice(
    'bulk-group',
    'bulkGroup',
    groups.map((g): [string, string] => [g.id, groupName(g)]),
    () => undefined,
  );
  const bulkButtons = allowed.map(([action, text]) =>
    h(
      'button',
      { type: 'button', class: action === 'delete' ? 'danger' : '', disabled: true, onclick: () => void bulk(action, text) },
      text,
    ),
  );
  const bar: HTMLElement | null =
    allowed.length === 0
      ? null
      : h(
          'div',
          { class: 'bulk-bar', role: 'group', 'aria-label': 'Bulk actions' },
          h('span', { class: 'choice' }, selectAll, h('label', { for: 'select-page' }, 'Select all on this page')),
          selectedCount,
          groups.length > 0 && api.can('users:update') ? filter('bulk-group', 'Group for bulk changes ', bulkGroup) : null,
          h('span', { class: 'actions' }, bulkButtons),
        );
  function updateBar(): void {
    const n = selected.size;
    selectedCount.textContent = n === 0 ? 'No users selected.' : `${numbers.format(n)} selected.`;
    for (const button of bulkButtons) button.disabled = n === 0;
    selectAll.checked = rows.length > 0 && rows.every((r) => selected.has(r.id));
  }

  async function bulk(action: BulkAction, text: string): Promise<void> {
    const chosen = rows.filter((r) => selected.has(r.id));
    if (chosen.length === 0) return;
    const group = groups.find((g) => g.id === bulkGroup.value);
    const target = action === 'add-group' ? ` to ${group?.name}` : action === 'remove-group' ? ` from ${group?.name}` : '';
    const question =
      action === 'delete'
        ? `Delete ${chosen.length} users? They can no longer sign in, and their records are kept only for the audit trail.`
        : `${text}${target}: ${chosen.length} users?`;
    if (!confirmAction(question)) return;
    for (const button of bulkButtons) button.disabled = true;
    const progress = h('progress', { max: chosen.length, value: 0, 'aria-label': 'Bulk action progress' });
    mount(status, progress);
    const outcome = await runBulk(action, chosen, group?.id, (n) => {
      progress.value = n;
    });
    mount(status, notice(describeOutcome(action, outcome), outcome.failures.length > 0 ? 'error' : 'ok'));
    selected.clear();
    for (const f of outcome.failures) selected.add(f.user.id);
    total = undefined;
    await load();
  }

  const exportButton = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        exportButton.disabled = true;
        const line = h('span', { role: 'status' }, 'Exporting…');
        mount(status, line);
        try {
          const csv = await exportUsersCsv(applied, (n) => {
            line.textContent = `Exporting… ${numbers.format(n)} users so far.`;
          });
          download(csv, `users-${new Date().toISOString().slice(0, 10)}.csv`);
          mount(status, notice(`Exported ${numbers.format(csv.split('\r\n').length - 2)} users.`));
        } catch (e) {
          mount(status, notice(`The export stopped: ${problemText(e)}`, 'error'));
        } finally {
          exportButton.disabled = false;
        }
      },
    },
    'Export CSV',
  );

  function sortHeader(text: string): HTMLElement {
    const key = SORTABLE[text];
    if (!key) return h('th', { scope: 'col' }, text);
    const current = applied.sort ?? '';
    const state = current === key ? 'ascending' : current === `-${key}` ? 'descending' : 'none';
    return h(
      'th',
      { scope: 'col', 'aria-sort': state },
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            sortChoice.value = state === 'ascending' ? `-${key}` : key;
            restart();
          },
        },
        text,
        state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : '',
      ),
    );
  }

  // Filters change at once, so answers can arrive out of order: only the latest request's is shown.
  let latest = 0;
  async function load(): Promise<void> {
    const ticket = ++latest;
    let page: UserPage;
    try {
      page = await api.request<UserPage>('GET', '/v1/users', {
        query: { ...applied, limit: Number(pageSize.value), cursor: cursors.at(-1), count: total === undefined ? true : undefined },
      });
    } catch (e) {
      if (ticket === latest) mount(results, notice(`The list could not be shown: ${problemText(e)}`, 'error'));
      return;
    }
    if (ticket !== latest) return;
    rows = page.data;
    if (page.total !== undefined) total = page.total;
    for (const id of [...selected]) if (!rows.some((r) => r.id === id)) selected.delete(id);
    const fullName = (u: UserRow) => u.displayName ?? ([u.givenName, u.familyName].filter(Boolean).join(' ') || '—');
    const headers = ['Email', 'Username', 'Name', 'Status', 'Roles', 'Created'];
    const label = (u: UserRow) => u.email ?? u.username ?? u.id;
    const body: Child = rows.map((u) =>
      h(
        'tr',
        {},
        bar
          ? h(
              'td',
              { class: 'select' },
              h('input', {
                type: 'checkbox',
                'data-user': u.id,
                'aria-label': `Select ${label(u)}`,
                checked: selected.has(u.id),
                onchange: (e: Event) => {
                  if ((e.target as HTMLInputElement).checked) selected.add(u.id);
                  else selected.delete(u.id);
                  updateBar();
                },
              }),
            )
          : null,
        [
          h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, label(u)),
          u.username ?? '—',
          fullName(u),
          u.active ? 'Active' : 'Inactive',
          u.roles.join(', '),
          when(u.createdAt),
        ].map((cell, i) => h('td', { 'data-label': headers[i] }, cell)),
      ),
    );
    const first = (cursors.length - 1) * Number(pageSize.value);
    const of = total === undefined ? '' : ` of ${numbers.format(total)}`;
    const count = rows.length === 0 ? 'No users match.' : `${numbers.format(first + 1)}–${numbers.format(first + rows.length)}${of}`;
    const q = [applied.q, applied.name].filter(Boolean);
    mount(
      results,
      h('p', { id: 'user-count' }, count),
      h(
        'table',
        { class: 'users' },
        h('caption', {}, q.length > 0 ? `Users matching “${q.join('”, “')}”` : 'Users'),
        h(
          'thead',
          {},
          h('tr', {}, bar ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Selected')) : null, headers.map(sortHeader)),
        ),
        h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length + (bar ? 1 : 0) }, 'No users.')) : body),
      ),
      h(
        'div',
        { class: 'pager' },
        h(
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
        ),
        ` Page ${cursors.length} `,
        h(
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
        ),
      ),
    );
    updateBar();
  }

  mount(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Users'),
      h(
        'span',
        { class: 'actions' },
        exportButton,
        api.can('users:create') ? h('a', { href: '#/users/new', class: 'button' }, 'Create user') : null,
      ),
    ),
    form,
    bar,
    limits.length > 0 ? h('p', { id: 'list-limits', class: 'hint' }, `Your role may not ${limits.join(', ')}.`) : null,
    status,
    results,
  );
  applied = currentQuery();
  await load();
}
