import { api, ApiError, requestSchema, type JsonSchema } from './api.js';
import { confirmAction, h, mount, notice, table, type Child } from './dom.js';
import { buildForm, submitHandler, type FormOptions } from './schema-form.js';
import { changedMembers } from './user-patch.js';

export interface ResourcePage<T> {
  title: string;
  /** One item in words ("role", "API key"), for headings, buttons and questions. */
  noun: string;
  /** Collection path: GET lists (`{data: [...]}`), POST creates with the schema the API documents. */
  path: string;
  /** The permission that creates, edits and deletes items; without it the page only lists them. */
  manage: string;
  columns: string[];
  cells(item: T): Child[];
  /** What names an item for a person (a screen reader hears "Edit hr-manager"). */
  name(item: T): string;
  /** Path of one item (PATCH and DELETE); no edit or delete button without it. */
  itemPath?(item: T): string | undefined;
  /** Why an item cannot be changed, shown instead of its buttons (e.g. built-in roles). */
  locked?(item: T): string | undefined;
  /** The item path as the OpenAPI document spells it (`/v1/roles/{id}`): the edit form is drawn from its PATCH schema. */
  patchSchemaPath?: string;
  /** The value the edit form starts from (default: the item as listed). */
  editValues?(item: T): Record<string, unknown>;
  /** Adjusts the changed members before they are sent (e.g. no event picked means every event). */
  toPatch?(changes: Record<string, unknown>): Record<string, unknown>;
  /** Word on the delete button ("Revoke" for keys). */
  deleteLabel?: string;
  /** Something the admin must see once after creating (a secret), if the answer carries it. */
  revealOnce?(created: Record<string, unknown>): string | undefined;
  /** Extra per-row buttons (shown to credentials holding `manage`). */
  rowActions?(item: T, panel: HTMLElement): Child[];
  /** Form options for both forms (hints, members replaced by choices). */
  form?: Pick<FormOptions, 'hints' | 'replace'>;
  primary?: string[];
  omit?: string[];
  /** Members of the PATCH schema the edit form leaves out. */
  editOmit?: string[];
}

function problemText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  if (e.problem.status === 403) return `Your role may not do this. ${e.problem.detail ?? e.problem.title}`;
  return e.message;
}

/**
 * A settings section over one collection: its table, an edit form per item and a create form, both
 * drawn from the API's request schemas (with the API's field errors in place), a delete button per
 * item, and a secret shown once. A credential without the page's permission sees the list only, and why.
 */
export async function resourcePage<T>(main: HTMLElement, page: ResourcePage<T>, message?: HTMLElement): Promise<void> {
  let list: { data: T[] };
  try {
    list = await api.request<{ data: T[] }>('GET', page.path);
  } catch (e) {
    if (!(e instanceof ApiError) || e.problem.status !== 403) throw e;
    mount(main, h('h1', {}, page.title), h('p', { class: 'hint', id: 'settings-limits' }, `Your role may not see ${page.noun}s.`));
    return;
  }
  const manage = api.can(page.manage);
  const status = h('div', { class: 'status-slot', 'aria-live': 'polite' }, message);
  const panel = h('div', { class: 'panel' });
  const rerender = (text: string) => resourcePage(main, page, notice(text));

  const edit = async (item: T, itemPath: string) => {
    const schema = await requestSchema(page.patchSchemaPath as string, 'patch');
    const values = page.editValues?.(item) ?? (item as Record<string, unknown>);
    const form = buildForm(schema, { ...page.form, values, ...(page.editOmit ? { omit: page.editOmit } : {}) });
    const save = h('button', { type: 'submit' }, 'Save changes');
    const cancel = h('button', { type: 'button', class: 'link', onclick: () => mount(panel) }, 'Cancel');
    mount(
      panel,
      h(
        'form',
        {
          class: 'edit',
          'aria-label': `Edit ${page.noun} ${page.name(item)}`,
          novalidate: true,
          onsubmit: submitHandler(form, save, status, async () => {
            // An empty text field reads as null (clear it); one that was empty or unset already is no change.
            const changes = changedMembers(form.read(), values);
            for (const [k, v] of Object.entries(changes)) if (v === null && (values[k] ?? '') === '') delete changes[k];
            const patch = page.toPatch ? page.toPatch(changes) : changes;
            if (Object.keys(patch).length === 0) {
              mount(status, notice('Nothing changed.'));
              return;
            }
            await api.request('PATCH', itemPath, { body: patch });
            await rerender(`Saved ${page.noun} ${page.name(item)}.`);
          }),
        },
        h('h2', { tabindex: -1 }, `Edit ${page.noun} ${page.name(item)}`),
        form.element,
        h('div', { class: 'actions' }, save, cancel),
      ),
    );
    (panel.querySelector('h2') as HTMLElement).focus();
  };

  const rows = list.data.map((item) => {
    const actions: Child[] = [];
    const itemPath = page.itemPath?.(item);
    const locked = page.locked?.(item);
    if (manage && locked) actions.push(h('span', { class: 'hint' }, locked));
    if (manage) actions.push(page.rowActions?.(item, panel) ?? []);
    if (manage && itemPath && !locked) {
      if (page.patchSchemaPath) {
        actions.push(
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Edit ${page.name(item)}`,
              onclick: () => edit(item, itemPath).catch((e) => mount(status, notice(problemText(e), 'error'))),
            },
            'Edit',
          ),
        );
      }
      const verb = page.deleteLabel ?? 'Delete';
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `${verb} ${page.name(item)}`,
            onclick: async () => {
              if (!confirmAction(`${verb} ${page.noun} ${page.name(item)}?`)) return;
              try {
                await api.request('DELETE', itemPath);
                await rerender(verb === 'Delete' ? 'Deleted.' : `${verb}d.`);
              } catch (e) {
                mount(status, notice(problemText(e), 'error'));
              }
            },
          },
          verb,
        ),
      );
    }
    return [...page.cells(item), h('span', { class: 'row-actions' }, actions)];
  });

  let create: HTMLElement | null = null;
  if (manage) {
    const schema: JsonSchema = await requestSchema(page.path, 'post');
    const form = buildForm(schema, {
      ...page.form,
      ...(page.primary ? { primary: page.primary } : {}),
      ...(page.omit ? { omit: page.omit } : {}),
    });
    const button = h('button', { type: 'submit' }, 'Create');
    create = h(
      'form',
      {
        class: 'create',
        'aria-label': `New ${page.noun}`,
        novalidate: true,
        onsubmit: submitHandler(form, button, status, async () => {
          const created = await api.request<Record<string, unknown>>('POST', page.path, { body: form.read() });
          const secret = page.revealOnce?.(created);
          await resourcePage(
            main,
            page,
            secret === undefined
              ? notice('Created.')
              : h(
                  'div',
                  { class: 'notice ok', role: 'status' },
                  'Created. Copy the secret now; it is shown only once: ',
                  h('code', { class: 'secret' }, secret),
                ),
          );
        }),
      },
      h('h2', {}, `New ${page.noun}`),
      form.element,
      h('div', { class: 'actions' }, button),
    );
  }
  mount(
    main,
    h('h1', {}, page.title),
    manage ? null : h('p', { class: 'hint', id: 'settings-limits' }, `Your role may not change ${page.noun}s.`),
    status,
    table(page.title, manage ? [...page.columns, 'Actions'] : page.columns, manage ? rows : rows.map((r) => r.slice(0, -1))),
    panel,
    create,
  );
}
