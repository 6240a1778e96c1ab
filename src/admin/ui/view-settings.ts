import { api, ApiError, requestSchema } from './api.js';
import { h, mount, notice, table, when, type Child } from './dom.js';
import { resourcePage } from './resource-page.js';
import { API_KEY_HINTS, ATTRIBUTE_HINTS, GROUP_HINTS, POLICY_HINTS, ROLE_HINTS, WEBHOOK_HINTS } from './hints.js';
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
        noun: 'attribute',
        path: '/v1/attributes',
        manage: 'attributes:manage',
        columns: ['Key', 'Type', 'Required', 'Unique', 'Description'],
        cells: (a) => [text(a.key), text(a.type), yes(a.required), yes(a.unique), text(a.description)],
        name: (a) => String(a.key),
        itemPath: (a) => `/v1/attributes/${enc(String(a.key))}`,
        patchSchemaPath: '/v1/attributes/{key}',
        primary: ['key', 'type', 'description', 'required', 'unique', 'enumValues'],
        form: { hints: ATTRIBUTE_HINTS },
      });
    case 'roles':
      return resourcePage<Row>(body, {
        title: 'Roles',
        noun: 'role',
        path: '/v1/roles',
        manage: 'roles:manage',
        columns: ['Name', 'Description', 'Permissions', 'Built in'],
        // A display name, where the API gives one, is what people call the role; the name is its key.
        cells: (r) => [
          r.displayName ? `${text(r.displayName)} (${text(r.name)})` : text(r.name),
          text(r.description),
          text(r.permissions),
          yes(r.builtin),
        ],
        name: (r) => String(r.name),
        itemPath: (r) => `/v1/roles/${enc(String(r.id))}`,
        locked: (r) => (r.builtin ? 'Built-in roles cannot be changed.' : undefined),
        patchSchemaPath: '/v1/roles/{id}',
        form: { hints: ROLE_HINTS },
      });
    case 'groups':
      return resourcePage<Row>(body, {
        title: 'Groups',
        noun: 'group',
        path: '/v1/groups',
        manage: 'groups:manage',
        columns: ['Type', 'Code', 'Name', 'Default'],
        cells: (g) => [text(g.type), text(g.code), text(g.name), yes(g.isDefault)],
        name: (g) => `${text(g.type)} ${text(g.code)}`,
        itemPath: (g) => `/v1/groups/${enc(String(g.id))}`,
        patchSchemaPath: '/v1/groups/{id}',
        form: { hints: GROUP_HINTS },
      });
    case 'api-keys': {
      const roles = await roleChoices();
      return resourcePage<Row>(body, {
        title: 'API keys',
        noun: 'API key',
        path: '/v1/api-keys',
        manage: 'keys:manage',
        columns: ['Name', 'Role', 'Starts with', 'Created', 'Revoked'],
        cells: (k) => [text(k.name), text(k.role), text(k.prefix), when(k.createdAt as string), when(k.revokedAt as string | null)],
        name: (k) => String(k.name),
        itemPath: (k) => (k.revokedAt ? undefined : `/v1/api-keys/${enc(String(k.id))}`),
        patchSchemaPath: '/v1/api-keys/{id}',
        deleteLabel: 'Revoke',
        revealOnce: (k) => k.secret as string | undefined,
        omit: api.session?.tenant ? ['platform'] : [],
        form: {
          hints: API_KEY_HINTS,
          ...(roles ? { replace: { role: { type: 'string', enum: roles, description: API_KEY_HINTS.role } } } : {}),
        },
      });
    }
    case 'webhooks':
      return resourcePage<Row>(body, {
        title: 'Webhooks',
        noun: 'webhook',
        path: '/v1/webhooks',
        manage: 'webhooks:manage',
        columns: ['URL', 'Events', 'Active'],
        cells: (w) => [
          text(w.url),
          w.eventTypes ? text(w.eventTypes) : 'all',
          w.active ? 'Yes' : `No${w.disabledReason ? ` (${text(w.disabledReason)})` : ''}`,
        ],
        name: (w) => String(w.url),
        itemPath: (w) => `/v1/webhooks/${enc(String(w.id))}`,
        patchSchemaPath: '/v1/webhooks/{id}',
        // "All events" is null in the API and no box ticked in the form.
        editValues: (w) => ({ ...w, eventTypes: w.eventTypes ?? [] }),
        toPatch: (changes) =>
          Array.isArray(changes.eventTypes) && changes.eventTypes.length === 0 ? { ...changes, eventTypes: null } : changes,
        revealOnce: (w) => w.secret as string | undefined,
        form: { hints: WEBHOOK_HINTS },
        rowActions: (w, panel) => [
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Delivery log of ${text(w.url)}`,
              onclick: () => deliveries(panel, String(w.id), String(w.url)),
            },
            'Delivery log',
          ),
        ],
      });
    default:
      mount(body, h('h1', {}, 'Not found'));
  }
}

const yes = (v: unknown) => (v ? 'Yes' : 'No');

/** The tenant's role names, for the API key forms' role choice (undefined when the credential may not list roles). */
async function roleChoices(): Promise<string[] | undefined> {
  try {
    const roles = await api.request<{ data: Array<{ name: string }> }>('GET', '/v1/roles');
    return roles.data.map((r) => r.name);
  } catch {
    return undefined;
  }
}

/** Policies are the tenant settings object, edited as a form drawn from PATCH /v1/settings's schema. */
async function policies(body: HTMLElement): Promise<void> {
  if (!api.can('settings:manage')) {
    mount(body, h('h1', {}, 'Policies'), h('p', { class: 'hint', id: 'settings-limits' }, 'Your role may not see or change the policies.'));
    return;
  }
  const [schema, settings] = await Promise.all([requestSchema('/v1/settings', 'patch'), api.request<Row>('GET', '/v1/settings')]);
  const form = buildForm(schema, { values: settings, hints: POLICY_HINTS });
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
        'aria-label': 'Policies',
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
  /** Added to the API in issue 22; an older server (or a purged event) leaves it out or null. */
  eventType?: string | null;
  status: string;
  attempts: Array<{ attempt: number; startedAt: string; statusCode: number | null; latencyMs: number; error: string | null }>;
  createdAt: string;
}

const STATUS_WORDS: Record<string, string> = { pending: 'Waiting', delivered: 'Delivered', failed: 'Failed' };
/** How long the log keeps re-reading itself while a delivery is waiting (1 s apart). */
const REFRESHES = 30;

/**
 * A webhook's delivery log: each delivery's event type, status and attempts, a Redeliver button per
 * delivery and a Ping button. While a delivery is waiting the log re-reads itself, so a redelivery or
 * ping shows its outcome without a reload.
 */
async function deliveries(
  panel: HTMLElement,
  id: string,
  url: string,
  message?: HTMLElement,
  refreshes = REFRESHES,
  auto = false,
): Promise<void> {
  const base = `/v1/webhooks/${enc(id)}`;
  const reload = (text?: string) => deliveries(panel, id, url, text ? notice(text) : undefined);
  const status = h('div', { id: 'delivery-status', 'aria-live': 'polite' }, message);
  const fail = (e: unknown) => mount(status, notice(e instanceof ApiError ? e.message : String(e), 'error'));
  const log = await api.request<{ data: Delivery[] }>('GET', `${base}/deliveries`);
  const rows = log.data.map((d): Child[] => {
    const last = d.attempts.at(-1);
    const type = d.eventType ?? `event ${d.eventId}`;
    return [
      when(d.createdAt),
      type,
      STATUS_WORDS[d.status] ?? d.status,
      String(d.attempts.length),
      last ? `${last.statusCode ?? last.error ?? '—'} in ${last.latencyMs} ms` : '—',
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Redeliver ${type} of ${when(d.createdAt)}`,
          onclick: async () => {
            try {
              await api.request('POST', `${base}/deliveries/${enc(d.id)}/redeliver`);
              await reload(`Sending ${type} again.`);
            } catch (e) {
              fail(e);
            }
          },
        },
        'Redeliver',
      ),
    ];
  });
  const ping = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await api.request('POST', `${base}/ping`);
          await reload('Test event sent; its delivery shows below.');
        } catch (e) {
          fail(e);
        }
      },
    },
    'Ping',
  );
  const refresh = h('button', { type: 'button', class: 'link', onclick: () => reload() }, 'Refresh');
  const focused = panel.contains(document.activeElement) ? document.activeElement : null;
  mount(
    panel,
    h('h2', { tabindex: -1, id: 'delivery-log' }, `Delivery log of ${url}`),
    h('div', { class: 'actions' }, ping, refresh),
    h('p', { class: 'hint' }, 'Ping sends a test event to this webhook only.'),
    status,
    table('Deliveries', ['Created', 'Event', 'Status', 'Attempts', 'Last result', 'Actions'], rows),
  );
  // Opening the log or a button's reload moves focus to its heading; a re-read on its own only when focus was inside the log.
  if (!auto || (focused && !panel.contains(focused))) (panel.querySelector('h2') as HTMLElement).focus();
  if (refreshes > 0 && log.data.some((d) => d.status === 'pending')) {
    const heading = panel.querySelector('h2');
    setTimeout(() => {
      // Only while this log is still the one shown.
      if (heading && panel.contains(heading)) void deliveries(panel, id, url, message, refreshes - 1, true).catch(() => undefined);
    }, 1000);
  }
}
