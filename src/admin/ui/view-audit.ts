import { api, ApiError } from './api.js';
import { actorName, changesInWords, EVENT_WORDS, eventWords, shortId, type AuditEvent } from './audit-words.js';
import { h, mount, notice, table, uid, when } from './dom.js';

/**
 * The audit log (`GET /v1/events`), newest first: filters by event, by who did it, by the user it is
 * about and by time, kept in the address (`#/audit?type=…&actor=…&user=…&from=…&to=…`) so a filtered
 * view can be shared; pages of 50 with Newer/Older; each row opens to what changed and the raw event.
 */
const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Filters {
  type: string;
  actor: string;
  user: string;
  from: string;
  to: string;
}

function filtersFromHash(): Filters {
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const get = (k: string) => (query.get(k) ?? '').slice(0, 320);
  return { type: get('type'), actor: get('actor'), user: get('user'), from: get('from'), to: get('to') };
}

function hashOf(filters: Filters): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v.trim()) query.set(k, v.trim());
  const text = query.toString();
  return text ? `#/audit?${text}` : '#/audit';
}

class FilterProblem extends Error {}

/** An email, username or id of a user; an API key's name or id; → the id the events API filters on. */
async function actorId(text: string): Promise<string | undefined> {
  const value = text.trim();
  if (!value) return undefined;
  if (UUID.test(value)) return value.toLowerCase();
  if (api.session?.user && [api.session.user.email, api.session.user.username].includes(value)) return api.session.user.id;
  if (api.can('keys:manage')) {
    const keys = await api.request<{ data: Array<{ id: string; name: string }> }>('GET', '/v1/api-keys', { query: { limit: 200 } });
    const key = keys.data.find((k) => k.name.toLowerCase() === value.toLowerCase());
    if (key) return key.id;
  }
  const id = await userId(value);
  if (id) return id;
  throw new FilterProblem(`No user${api.can('keys:manage') ? ' or API key' : ''} is called “${value}”. Use an email, a username or an id.`);
}

async function userId(text: string): Promise<string | undefined> {
  const value = text.trim();
  if (!value) return undefined;
  if (UUID.test(value)) return value.toLowerCase();
  if (!api.can('users:read')) return undefined;
  const found = await api.request<{ data: Array<{ id: string }> }>('GET', '/v1/users', {
    query: { [value.includes('@') ? 'email' : 'username']: value, limit: 1 },
  });
  return found.data[0]?.id;
}

function instant(local: string, what: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) throw new FilterProblem(`${what} is not a date and time.`);
  return date.toISOString();
}

/** The audit-log screen. */
export async function auditView(main: HTMLElement): Promise<void> {
  if (!api.can('events:read')) {
    mount(main, h('h1', {}, 'Audit log'), h('p', { class: 'hint' }, 'Your role may not read the audit log (it needs events:read).'));
    return;
  }
  const filters = filtersFromHash();
  const field = (name: keyof Filters, text: string, control: HTMLInputElement | HTMLSelectElement, hint?: string) => {
    const hintId = hint ? uid('hint') : undefined;
    control.id = uid(`audit-${name}`);
    control.name = name;
    if (hintId) control.setAttribute('aria-describedby', hintId);
    return h(
      'div',
      { class: 'filter' },
      h('label', { for: control.id }, text),
      control,
      hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    );
  };
  const type = h(
    'select',
    {},
    h('option', { value: '' }, 'Any event'),
    Object.entries(EVENT_WORDS).map(([value, words]) => h('option', { value, selected: value === filters.type }, words)),
  );
  const actor = h('input', { type: 'text', value: filters.actor, autocomplete: 'off' });
  const user = h('input', { type: 'text', value: filters.user, autocomplete: 'off' });
  const from = h('input', { type: 'datetime-local', value: filters.from, step: 1 });
  const to = h('input', { type: 'datetime-local', value: filters.to, step: 1 });
  const status = h('div', { 'aria-live': 'polite' });
  const results = h('div', {});
  const form = h(
    'form',
    {
      class: 'filters inline',
      role: 'search',
      'aria-label': 'Filter events',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const next = hashOf({ type: type.value, actor: actor.value, user: user.value, from: from.value, to: to.value });
        if (next === location.hash) void show();
        else location.hash = next;
      },
    },
    field('type', 'Event', type),
    field('actor', 'Done by', actor, 'Email, username or API key name'),
    field('user', 'About user', user, 'Email, username or id'),
    field('from', 'From', from),
    field('to', 'Until', to),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Show events'),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            location.hash = '#/audit';
          },
        },
        'Clear filters',
      ),
    ),
  );
  mount(main, h('h1', {}, 'Audit log'), form, status, results);

  // Cursors of the pages before this one, so Newer goes back without the API paging backwards.
  const before: Array<string | undefined> = [];
  let query: Record<string, string | number | undefined>;
  const show = async (cursor?: string): Promise<void> => {
    status.replaceChildren();
    if (cursor === undefined) {
      before.length = 0;
      try {
        const since = instant(filters.from, 'From');
        const until = instant(filters.to, 'Until');
        if (since && until && since >= until) throw new FilterProblem('“Until” must be after “From”.');
        const about = await userId(filters.user);
        if (filters.user.trim() && !about)
          throw new FilterProblem(`No user is called “${filters.user.trim()}”. Use an email, a username or an id.`);
        query = { type: filters.type || undefined, actorId: await actorId(filters.actor), resourceId: about, since, until };
      } catch (e) {
        if (!(e instanceof FilterProblem)) throw e;
        mount(status, notice(e.message, 'error'));
        results.replaceChildren();
        return;
      }
    }
    let page: { data: AuditEvent[]; nextCursor: string | null };
    try {
      page = await api.request('GET', '/v1/events', { query: { ...query, order: 'desc', limit: PAGE, cursor } });
    } catch (e) {
      if (e instanceof ApiError && e.problem.status !== 401) {
        mount(status, notice(e.message, 'error'));
        return;
      }
      throw e;
    }
    const current = cursor;
    mount(results, await eventTable(page.data), pager(before.length > 0, page.nextCursor, current));
  };
  const pager = (hasNewer: boolean, older: string | null, current: string | undefined) =>
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of events' },
      h(
        'button',
        {
          type: 'button',
          disabled: !hasNewer,
          onclick: () => void show(before.pop()),
        },
        'Newer',
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: !older,
          onclick: () => {
            before.push(current);
            void show(older ?? undefined);
          },
        },
        'Older',
      ),
    );
  await show();
}

const RESOURCE_WORDS: Readonly<Record<string, string>> = {
  role: 'Role',
  group: 'Group',
  api_key: 'API key',
  webhook: 'Webhook',
  import: 'Import',
  attribute: 'Attribute',
};

/** Who or what an event is about, linked to the user page when it is a user. */
function about(event: AuditEvent): HTMLElement | string {
  const data = (event.data && typeof event.data === 'object' ? event.data : {}) as Record<string, unknown>;
  if (event.resource.type === 'user') {
    const name = String(data.displayName ?? data.email ?? data.username ?? `User ${shortId(event.resource.id)}`);
    return event.type === 'user.deleted' ? name : h('a', { href: `#/users/${encodeURIComponent(event.resource.id)}` }, name);
  }
  const name = data.name ?? data.code ?? data.key ?? data.url;
  const kind = RESOURCE_WORDS[event.resource.type] ?? event.resource.type;
  return `${kind} ${name ? `“${String(name)}”` : shortId(event.resource.id)}`;
}

/**
 * What one event changed, told when its details are first opened: the resource's events before it
 * (newest first from this one, `cursor` = its id) are laid over each other, since some carry only the
 * members they changed.
 */
async function changesOf(event: AuditEvent): Promise<string[]> {
  const earlier = await api
    .request<{ data: AuditEvent[] }>('GET', '/v1/events', {
      query: { resourceId: event.resource.id, order: 'desc', cursor: event.id, limit: 20 },
    })
    .then((page) => page.data.filter((e) => e.resource.type === event.resource.type).reverse())
    .catch(() => [] as AuditEvent[]);
  return changesInWords([...earlier, event]).get(event.id) ?? [];
}

async function eventTable(events: AuditEvent[]): Promise<HTMLElement> {
  const actors = await Promise.all(events.map((e) => actorName(e.actor)));
  return table(
    'Events, newest first',
    ['When', 'What', 'By', 'About', 'Details'],
    events.map((e, i) => {
      const changes = h('div', { 'aria-live': 'polite' });
      let told = false;
      return [
        when(e.occurredAt),
        eventWords(e.type),
        actors[i],
        about(e),
        h(
          'details',
          {
            ontoggle: async (event: Event) => {
              if (told || !(event.currentTarget as HTMLDetailsElement).open) return;
              told = true;
              const lines = await changesOf(e);
              mount(
                changes,
                lines.length === 0
                  ? null
                  : h(
                      'ul',
                      { class: 'changes', 'aria-label': 'Changes' },
                      lines.map((line) => h('li', {}, line)),
                    ),
              );
            },
          },
          h('summary', {}, 'Details'),
          changes,
          h(
            'dl',
            {},
            h('dt', {}, 'Event'),
            h('dd', {}, h('code', {}, e.type)),
            h('dt', {}, 'Event id'),
            h('dd', {}, h('code', {}, e.id)),
            h('dt', {}, 'Request id'),
            h('dd', {}, e.actor.requestId ? h('code', {}, e.actor.requestId) : '—'),
            h('dt', {}, 'Actor id'),
            h('dd', {}, e.actor.id ? h('code', {}, `${e.actor.type} ${e.actor.id}`) : e.actor.type),
          ),
          h('pre', { class: 'event-data', tabindex: 0, 'aria-label': 'Raw data' }, JSON.stringify(e.data, null, 2)),
        ),
      ];
    }),
  );
}
