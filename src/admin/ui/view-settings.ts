import { api, requestSchema } from './api.js';
import { h, mount, notice, table, when } from './dom.js';
import { resourcePage } from './resource-page.js';
import { buildForm, submitHandler } from './schema-form.js';

const SECTIONS: Array<[string, string]> = [
  ['policies', 'Policies'],
  ['attributes', 'Attributes'],
  ['roles', 'Roles'],
  ['groups', 'Groups'],
  ['api-keys', 'API keys'],
  ['webhooks', 'Webhooks'],
];

type Row = Record<string, unknown>;
const text = (v: unknown) => (v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(v));
const enc = encodeURIComponent;

/** The tenant's settings: policies, attribute definitions, roles, groups, API keys and webhooks. */
export async function settingsView(main: HTMLElement, section: string): Promise<void> {
  const body = h('div', { id: 'settings-body' });
  mount(
    main,
    h(
      'nav',
      { 'aria-label': 'Settings', class: 'tabs' },
      h(
        'ul',
        {},
        SECTIONS.map(([id, name]) =>
          h('li', {}, h('a', { href: `#/settings/${id}`, 'aria-current': id === section ? 'page' : undefined }, name)),
        ),
      ),
    ),
    body,
  );
  switch (section) {
    case 'policies':
      return policies(body);
    case 'attributes':
      return resourcePage<Row>(body, {
        title: 'Attributes',
        path: '/v1/attributes',
        columns: ['Key', 'Type', 'Required', 'Unique'],
        cells: (a) => [text(a.key), text(a.type), text(a.required), text(a.unique)],
        itemPath: (a) => `/v1/attributes/${enc(String(a.key))}`,
        primary: ['key', 'type', 'description', 'required', 'unique', 'enumValues'],
      });
    case 'roles':
      return resourcePage<Row>(body, {
        title: 'Roles',
        path: '/v1/roles',
        columns: ['Name', 'Permissions', 'Built in'],
        cells: (r) => [text(r.name), text(r.permissions), r.builtin ? 'Yes' : 'No'],
        itemPath: (r) => (r.builtin ? undefined : `/v1/roles/${enc(String(r.id))}`),
      });
    case 'groups':
      return resourcePage<Row>(body, {
        title: 'Groups',
        path: '/v1/groups',
        columns: ['Type', 'Code', 'Name', 'Default'],
        cells: (g) => [text(g.type), text(g.code), text(g.name), g.isDefault ? 'Yes' : 'No'],
        itemPath: (g) => `/v1/groups/${enc(String(g.id))}`,
      });
    case 'api-keys':
      return resourcePage<Row>(body, {
        title: 'API keys',
        path: '/v1/api-keys',
        columns: ['Name', 'Role', 'Starts with', 'Created', 'Revoked'],
        cells: (k) => [text(k.name), text(k.role), text(k.prefix), when(k.createdAt as string), when(k.revokedAt as string | null)],
        itemPath: (k) => (k.revokedAt ? undefined : `/v1/api-keys/${enc(String(k.id))}`),
        revealOnce: (k) => k.secret as string | undefined,
        omit: api.session?.tenant ? ['platform'] : [],
      });
    case 'webhooks':
      return resourcePage<Row>(body, {
        title: 'Webhooks',
        path: '/v1/webhooks',
        columns: ['URL', 'Events', 'Active'],
        cells: (w) => [
          text(w.url),
          w.eventTypes ? text(w.eventTypes) : 'all',
          w.active ? 'Yes' : `No${w.disabledReason ? ` (${text(w.disabledReason)})` : ''}`,
        ],
        itemPath: (w) => `/v1/webhooks/${enc(String(w.id))}`,
        revealOnce: (w) => w.secret as string | undefined,
        rowActions: (w, panel) => [
          h('button', { type: 'button', onclick: () => deliveries(panel, String(w.id), String(w.url)) }, 'Delivery log'),
        ],
      });
    default:
      mount(body, h('h1', {}, 'Not found'));
  }
}

/** Policies are the tenant settings object, edited as a form drawn from PATCH /v1/settings's schema. */
async function policies(body: HTMLElement): Promise<void> {
  const [schema, settings] = await Promise.all([requestSchema('/v1/settings', 'patch'), api.request<Row>('GET', '/v1/settings')]);
  const form = buildForm(schema, { values: settings });
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Save policies');
  mount(
    body,
    h('h1', {}, 'Policies'),
    status,
    h(
      'form',
      {
        id: 'policies',
        novalidate: true,
        onsubmit: submitHandler(form, button, status, async () => {
          await api.request('PATCH', '/v1/settings', { body: form.read() });
          mount(status, notice('Saved.'));
        }),
      },
      form.element,
      h('div', { class: 'actions' }, button),
    ),
  );
}

interface Delivery {
  id: string;
  eventId: string;
  status: string;
  attempts: Array<{ attempt: number; startedAt: string; statusCode: number | null; latencyMs: number; error: string | null }>;
  createdAt: string;
}

async function deliveries(panel: HTMLElement, id: string, url: string): Promise<void> {
  const log = await api.request<{ data: Delivery[] }>('GET', `/v1/webhooks/${enc(id)}/deliveries`);
  mount(
    panel,
    h('h2', { tabindex: -1, id: 'delivery-log' }, `Delivery log of ${url}`),
    table(
      'Deliveries',
      ['Created', 'Event', 'Status', 'Attempts', 'Last result'],
      log.data.map((d) => {
        const last = d.attempts.at(-1);
        return [
          when(d.createdAt),
          d.eventId,
          d.status,
          String(d.attempts.length),
          last ? `${last.statusCode ?? last.error ?? '—'} in ${last.latencyMs} ms` : '—',
        ];
      }),
    ),
  );
  (panel.querySelector('h2') as HTMLElement).focus();
}
