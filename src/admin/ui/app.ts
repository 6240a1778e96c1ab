import { api, ApiError, type Session } from './api.js';
import { forgetNames } from './audit-words.js';
import { h, mount, notice } from './dom.js';
import { importView } from './view-import.js';
import { settingsView } from './view-settings.js';
import { auditView } from './view-audit.js';
import { signInView } from './view-sign-in.js';
import { userCreateView } from './view-user-create.js';
import { userDetailView } from './view-user-detail.js';
import { usersView } from './view-users.js';

/**
 * The admin page: a hash-routed shell over the public API. Each view renders into `main` and is
 * given the route's parameters; the shell holds navigation, the tenant picker and sign-out.
 */
const root = document.getElementById('app') as HTMLElement;

type View = (main: HTMLElement, params: string[]) => Promise<void>;
const routes: Array<[RegExp, View, string]> = [
  [/^#\/users\/new$/, userCreateView, 'users'],
  [/^#\/users\/([^/]+)$/, (main, p) => userDetailView(main, p[0] as string), 'users'],
  [/^#\/users$/, usersView, 'users'],
  [/^#\/import$/, importView, 'import'],
  [/^#\/settings(?:\/([a-z-]+))?$/, (main, p) => settingsView(main, p[0] ?? 'policies'), 'settings'],
  [/^#\/audit(?:\?.*)?$/, (main) => auditView(main), 'audit'],
];

async function start(): Promise<void> {
  try {
    api.adopt(await api.request<Session>('GET', '/v1/browser-sessions/current'));
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return showSignIn();
    mount(root, notice(error instanceof Error ? error.message : 'The server could not be reached', 'error'));
    return;
  }
  await showShell();
}

function showSignIn(): void {
  forgetNames();
  document.title = 'Sign in · Roster';
  signInView(root, async (session) => {
    api.adopt(session);
    // Set without a hashchange: showShell routes once. Assigning location.hash here would route a
    // second time, and two users views would race for the page.
    if (!location.hash || location.hash === '#/') history.replaceState(null, '', '#/users');
    await showShell();
  });
}

async function tenantPicker(): Promise<HTMLElement | null> {
  if (api.session?.tenant) return h('span', { class: 'tenant' }, `Tenant: ${api.session.tenant.name}`);
  // Platform credentials act on any tenant: the admin picks one, sent as X-Roster-Tenant.
  const list = await api.request<{ data: Array<{ slug: string; name: string }> }>('GET', '/v1/tenants', { query: { limit: 200 } });
  if (!api.tenant || !list.data.some((t) => t.slug === api.tenant)) api.setTenant(list.data[0]?.slug ?? null);
  const select = h(
    'select',
    {
      id: 'tenant-picker',
      onchange: () => {
        api.setTenant(select.value);
        forgetNames();
        void route();
      },
    },
    list.data.map((t) => h('option', { value: t.slug, selected: t.slug === api.tenant }, `${t.name} (${t.slug})`)),
  );
  return h('span', { class: 'tenant' }, h('label', { for: 'tenant-picker' }, 'Tenant '), select);
}

async function showShell(): Promise<void> {
  const main = h('main', { id: 'main', tabindex: -1 });
  const who = api.session?.user ? (api.session.user.email ?? api.session.user.username ?? 'user') : `API key (${api.session?.role ?? ''})`;
  const signOut = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: async () => {
        await api.request('DELETE', '/v1/browser-sessions/current').catch(() => undefined);
        api.forget();
        location.hash = '';
        showSignIn();
      },
    },
    'Sign out',
  );
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h(
      'ul',
      {},
      h('li', {}, h('a', { href: '#/users', 'data-section': 'users' }, 'Users')),
      h('li', {}, h('a', { href: '#/import', 'data-section': 'import' }, 'Import')),
      h('li', {}, h('a', { href: '#/settings', 'data-section': 'settings' }, 'Settings')),
      api.can('events:read') ? h('li', {}, h('a', { href: '#/audit', 'data-section': 'audit' }, 'Audit log')) : null,
    ),
  );
  let picker: HTMLElement | null;
  try {
    picker = await tenantPicker();
  } catch (error) {
    picker = notice(error instanceof Error ? error.message : String(error), 'error');
  }
  mount(
    root,
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('header', {}, h('strong', { class: 'brand' }, 'Roster'), nav, h('div', { class: 'who' }, picker, h('span', {}, who), signOut)),
    main,
  );
  if (!location.hash || location.hash === '#/') location.hash = '#/users';
  else await route();
}

/** Counts navigations, so a view that answers after the admin moved on knows it is no longer shown. */
let navigation = 0;

async function route(): Promise<void> {
  const main = document.getElementById('main');
  if (!main) return;
  const hash = location.hash;
  const match = routes.find(([pattern]) => pattern.test(hash));
  for (const link of document.querySelectorAll('nav a'))
    link.toggleAttribute('aria-current', link.getAttribute('data-section') === match?.[2]);
  if (!match) {
    navigation += 1;
    mount(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/users' }, 'Back to users')));
    return;
  }
  const [pattern, view] = match;
  const params = (pattern.exec(hash) ?? []).slice(1).map((p) => decodeURIComponent(p ?? ''));
  // Each navigation renders into its own container. A slower view of an earlier navigation (the users
  // list still loading when the admin opened Settings) then finishes into a detached element instead
  // of replacing the page now shown.
  const current = ++navigation;
  const container = h('div', { class: 'view' });
  mount(main, container);
  mount(container, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    await view(container, params);
  } catch (error) {
    if (current !== navigation) return;
    if (error instanceof ApiError && error.problem.status === 401) {
      api.forget();
      return showSignIn();
    }
    mount(container, h('h1', {}, 'Something went wrong'), notice(error instanceof Error ? error.message : String(error), 'error'));
  }
  if (current !== navigation) return;
  const heading = container.querySelector('h1');
  if (heading) document.title = `${heading.textContent ?? ''} · Roster`;
}

window.addEventListener('hashchange', () => {
  if (api.session) void route();
});
void start();
