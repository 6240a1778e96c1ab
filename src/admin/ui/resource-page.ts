import { api, ApiError, requestSchema } from './api.js';
import { confirmAction, h, mount, notice, table, type Child } from './dom.js';
import { buildForm, submitHandler } from './schema-form.js';

export interface ResourcePage<T> {
  title: string;
  /** Collection path: GET lists (`{data: [...]}`), POST creates with the schema the API documents. */
  path: string;
  columns: string[];
  cells(item: T): Child[];
  /** Path of one item, for deletion; no delete button without it. */
  itemPath?(item: T): string | undefined;
  /** Something the admin must see once after creating (a secret), if the answer carries it. */
  revealOnce?(created: Record<string, unknown>): string | undefined;
  /** Extra per-row buttons. */
  rowActions?(item: T, panel: HTMLElement): Child[];
  primary?: string[];
  omit?: string[];
}

/**
 * A settings section over one collection: its table, a create form drawn from the API's request
 * schema (with its field errors in place), a delete button per item, and a secret shown once.
 */
export async function resourcePage<T>(main: HTMLElement, page: ResourcePage<T>): Promise<void> {
  const list = await api.request<{ data: T[] }>('GET', page.path);
  const schema = await requestSchema(page.path, 'post');
  const status = h('div', { 'aria-live': 'polite' });
  const panel = h('div', { class: 'panel' });
  const rerender = async (message?: HTMLElement) => {
    await resourcePage(main, page);
    if (message) main.querySelector('.status-slot')?.append(message);
  };
  const rows = list.data.map((item) => {
    const actions: Child[] = page.rowActions?.(item, panel) ?? [];
    const itemPath = page.itemPath?.(item);
    if (itemPath) {
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            onclick: async () => {
              if (!confirmAction(`Delete this ${page.title.toLowerCase().replace(/s$/, '')}?`)) return;
              try {
                await api.request('DELETE', itemPath);
                await rerender(notice('Deleted.'));
              } catch (e) {
                mount(status, notice(e instanceof ApiError ? e.message : String(e), 'error'));
              }
            },
          },
          'Delete',
        ),
      );
    }
    return [...page.cells(item), h('span', { class: 'row-actions' }, actions)];
  });
  const form = buildForm(schema, { ...(page.primary ? { primary: page.primary } : {}), ...(page.omit ? { omit: page.omit } : {}) });
  const button = h('button', { type: 'submit' }, 'Create');
  const create = h(
    'form',
    {
      class: 'create',
      novalidate: true,
      onsubmit: submitHandler(form, button, status, async () => {
        const created = await api.request<Record<string, unknown>>('POST', page.path, { body: form.read() });
        const secret = page.revealOnce?.(created);
        await rerender(
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
    h('h2', {}, `New ${page.title.toLowerCase().replace(/s$/, '')}`),
    form.element,
    h('div', { class: 'actions' }, button),
  );
  mount(
    main,
    h('h1', {}, page.title),
    h('div', { class: 'status-slot' }),
    status,
    table(page.title, [...page.columns, 'Actions'], rows),
    panel,
    create,
  );
}
