import { api, ApiError, requestSchema } from './api.js';
import { actorName, changesInWords, eventWords, type AuditEvent } from './audit-words.js';
import { confirmAction, h, mount, notice, table, when, type Child } from './dom.js';
import { buildForm, label, submitHandler } from './schema-form.js';
import { tenantUserFormOptions } from './user-form.js';
import { changedMembers } from './user-patch.js';

type User = Record<string, unknown> & {
  id: string;
  active: boolean;
  roles: string[];
  groups: Array<{ id: string; type: string; code: string; name: string }>;
  attributes: Record<string, unknown>;
};
/** How many events of the user the page shows (newest first); the audit-log screen has the rest. */
const HISTORY = 30;

const HIDDEN = new Set(['id', 'roles', 'groups', 'attributes', 'address']);
/** Members of the patch schema the edit form does not offer: (de)activation has its own button, secrets their own flows. */
const NOT_EDITED_HERE = ['active', 'password', 'passwordHash', 'phoneCountry'];

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function definitionList(entries: Array<[string, unknown]>): HTMLElement {
  return h(
    'dl',
    {},
    entries.map(([k, v]) => [h('dt', {}, label(k)), h('dd', {}, show(v))]),
  );
}

function problemText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  if (e.problem.status === 403) return `Your role may not do this. ${e.problem.detail ?? e.problem.title}`;
  return e.message;
}

/**
 * One user: the profile, roles, groups and attributes edited in place (with If-Match, so an edit
 * never overwrites a change made meanwhile), (de)activation, deletion and recent events. Controls the
 * credential may not use are left out, with the reason.
 */
export async function userDetailView(main: HTMLElement, id: string, message?: HTMLElement): Promise<void> {
  const path = `/v1/users/${encodeURIComponent(id)}`;
  const [{ data: user, etag }, events] = await Promise.all([
    api.exchange<User>('GET', path),
    // More than shown: the events before the oldest shown one tell the state it changed.
    api.can('events:read')
      ? api.request<{ data: AuditEvent[]; nextCursor: string | null }>('GET', '/v1/events', {
          query: { resourceId: id, order: 'desc', limit: HISTORY + 20 },
        })
      : null,
  ]);
  const status = h('div', { id: 'user-status', 'aria-live': 'polite' }, message);
  const reload = () => userDetailView(main, id);
  const actions: Child[] = [];
  const limits: string[] = [];
  /** A button that asks first (when `question`), calls the API, and shows the page again saying what happened. */
  const act = (text: string, question: string | null, call: () => Promise<unknown>, done: (result: unknown) => string) =>
    h(
      'button',
      {
        type: 'button',
        onclick: async (event: Event) => {
          if (question && !confirmAction(question)) return;
          const button = event.currentTarget as HTMLButtonElement;
          button.disabled = true;
          let text: string;
          try {
            text = done(await call());
          } catch (e) {
            mount(status, notice(problemText(e), 'error'));
            button.disabled = false;
            return;
          }
          // Drawn again, so the history shows what was just done.
          await userDetailView(main, id, notice(text));
        },
      },
      text,
    );
  if (api.can('users:set-active')) {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            if (!confirmAction(user.active ? 'Deactivate this user? They can no longer sign in.' : 'Reactivate this user?')) return;
            try {
              await api.request('PATCH', path, { body: { active: !user.active }, contentType: 'application/merge-patch+json' });
              await userDetailView(main, id, notice(user.active ? 'Deactivated.' : 'Reactivated.'));
            } catch (e) {
              mount(status, notice(problemText(e), 'error'));
            }
          },
        },
        user.active ? 'Deactivate' : 'Reactivate',
      ),
    );
  } else limits.push('deactivate or reactivate users');
  if (api.can('users:delete')) {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: async () => {
            if (!confirmAction('Delete this user? This cannot be undone.')) return;
            try {
              await api.request('DELETE', path);
              location.hash = '#/users';
            } catch (e) {
              mount(status, notice(problemText(e), 'error'));
            }
          },
        },
        'Delete',
      ),
    );
  } else limits.push('delete users');
  const email = typeof user.email === 'string' ? user.email : null;
  if (api.can('users:update')) {
    if (email && user.emailVerified !== true)
      actions.push(
        act(
          'Send verification mail',
          null,
          () => api.request('POST', `${path}/email-verification`),
          () => `A verification mail is on its way to ${email}.`,
        ),
      );
    if (email)
      actions.push(
        act(
          'Send password-reset mail',
          `Mail ${email} a link to choose a new password?`,
          () => api.request('POST', `${path}/password-reset`),
          () => `A password-reset mail is on its way to ${email}.`,
        ),
      );
    actions.push(
      act(
        'End all sessions',
        'Sign this user out everywhere? Their personal access tokens keep working.',
        () => api.request<{ ended: number }>('DELETE', `${path}/sessions`),
        (r) => {
          const n = (r as { ended: number }).ended;
          return n === 0 ? 'The user had no open session.' : n === 1 ? '1 session ended.' : `${n} sessions ended.`;
        },
      ),
    );
  }
  if (!api.can('users:update')) limits.push('edit users, send them mails or end their sessions');
  const noMail = api.can('users:update') && !email ? 'This user has no email address, so no mail can be sent.' : null;

  const title = show(user.displayName ?? user.email ?? user.username ?? user.id);
  const editor = api.can('users:update')
    ? await editSection(user, path, etag, status, reload, (text) => userDetailView(main, id, notice(text)))
    : null;
  const profile = Object.entries(user).filter(([k]) => !HIDDEN.has(k));
  mount(
    main,
    h('p', {}, h('a', { href: '#/users' }, '← Users')),
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, title),
      h('span', { class: user.active ? 'badge ok' : 'badge off' }, user.active ? 'Active' : 'Inactive'),
    ),
    h('div', { class: 'actions' }, actions),
    limits.length > 0 ? h('p', { class: 'hint', id: 'user-limits' }, `Your role may not ${limits.join(', ')}.`) : null,
    noMail ? h('p', { class: 'hint' }, noMail) : null,
    status,
    editor ?? [
      h(
        'section',
        { 'aria-labelledby': 'profile-h' },
        h('h2', { id: 'profile-h' }, 'Profile'),
        definitionList(profile),
        user.address ? [h('h3', {}, 'Address'), definitionList(Object.entries(user.address as object))] : null,
      ),
      h('section', { 'aria-labelledby': 'roles-h' }, h('h2', { id: 'roles-h' }, 'Roles'), h('p', {}, user.roles.join(', ') || '—')),
      h(
        'section',
        { 'aria-labelledby': 'attrs-h' },
        h('h2', { id: 'attrs-h' }, 'Attributes'),
        definitionList(Object.entries(user.attributes)),
      ),
    ],
    h(
      'section',
      { 'aria-labelledby': 'groups-h' },
      h('h2', { id: 'groups-h' }, 'Groups'),
      table(
        'Groups',
        ['Type', 'Code', 'Name'],
        user.groups.map((g) => [g.type, g.code, g.name]),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'record-h' },
      h('h2', { id: 'record-h' }, 'Record'),
      definitionList([
        ['createdAt', when(user.createdAt as string)],
        ['updatedAt', when(user.updatedAt as string)],
        ['createdBy', user.createdBy],
        ['version', user.version],
      ]),
    ),
    await historySection(id, events),
  );
}

/** The user's events, newest first: what happened, when, who did it and what changed, in words. */
async function historySection(id: string, events: { data: AuditEvent[]; nextCursor: string | null } | null): Promise<HTMLElement> {
  const heading = h('h2', { id: 'history-h' }, 'History');
  if (!events)
    return h('section', { 'aria-labelledby': 'history-h' }, heading, h('p', { class: 'hint' }, 'Your role may not read the audit log.'));
  const shown = events.data.slice(0, HISTORY);
  // Events before the shown ones tell the state the oldest shown one changed (some carry only what they changed).
  const changes = changesInWords([...events.data].reverse());
  const actors = await Promise.all(shown.map((e) => actorName(e.actor)));
  return h(
    'section',
    { 'aria-labelledby': 'history-h' },
    heading,
    table(
      'History',
      ['When', 'What', 'By', 'Changes'],
      shown.map((e, i) => {
        const lines = changes.get(e.id) ?? [];
        return [
          when(e.occurredAt),
          eventWords(e.type),
          actors[i],
          lines.length === 0
            ? '—'
            : h(
                'ul',
                { class: 'changes' },
                lines.map((line) => h('li', {}, line)),
              ),
        ];
      }),
    ),
    h('p', {}, h('a', { href: `#/audit?user=${encodeURIComponent(id)}` }, 'All events of this user in the audit log')),
  );
}

/** The edit form: the PATCH schema's fields filled with the user's values; only changed members are sent. */
async function editSection(
  user: User,
  path: string,
  etag: string | null,
  status: HTMLElement,
  reload: () => Promise<void>,
  saved: (text: string) => Promise<void>,
): Promise<HTMLElement> {
  const [schema, tenantOptions] = await Promise.all([requestSchema('/v1/users/{id}', 'patch'), tenantUserFormOptions()]);
  const values: Record<string, unknown> = { ...user, groups: user.groups.map((g) => `${g.type}:${g.code}`) };
  const form = buildForm(schema, { ...tenantOptions, values, omit: [...(tenantOptions.omit ?? []), ...NOT_EDITED_HERE] });
  const button = h('button', { type: 'submit' }, 'Save changes');
  return h(
    'section',
    { 'aria-labelledby': 'edit-h' },
    h('h2', { id: 'edit-h' }, 'Profile'),
    h(
      'form',
      {
        id: 'edit-user',
        novalidate: true,
        onsubmit: submitHandler(form, button, status, async () => {
          status.replaceChildren();
          const changes = changedMembers(form.read(), values);
          if (Object.keys(changes).length === 0) {
            mount(status, notice('Nothing to save: no field was changed.'));
            return;
          }
          try {
            await api.request('PATCH', path, { body: changes, contentType: 'application/merge-patch+json', ifMatch: etag ?? undefined });
          } catch (e) {
            // The privilege guard (e.g. granting a role with permissions the signed-in role lacks): a message, the form kept.
            if (e instanceof ApiError && e.problem.status === 403) {
              mount(status, notice(problemText(e), 'error'));
              return;
            }
            if (e instanceof ApiError && e.problem.code === 'USER_VERSION_MISMATCH') {
              mount(
                status,
                h(
                  'div',
                  { class: 'notice error', role: 'alert' },
                  h(
                    'p',
                    {},
                    'Someone else changed this user after you opened this page, so your changes were not saved. Reload to see the current version, then make your changes again.',
                  ),
                  h('button', { type: 'button', onclick: () => void reload() }, 'Reload'),
                ),
              );
              return;
            }
            throw e;
          }
          await saved('Saved.');
        }),
      },
      form.element,
      h('div', { class: 'actions' }, button),
    ),
  );
}
