import { api, requestSchema } from './api.js';
import { h, mount } from './dom.js';
import { buildForm, submitHandler } from './schema-form.js';
import { tenantUserFormOptions } from './user-form.js';

/**
 * The create form shows every field POST /v1/users accepts (from the API's schema), the tenant's
 * attributes, roles and groups as choices, and places the API's field errors next to their fields.
 */
export async function userCreateView(main: HTMLElement): Promise<void> {
  const [schema, tenantOptions] = await Promise.all([requestSchema('/v1/users', 'post'), tenantUserFormOptions()]);
  const form = buildForm(schema, tenantOptions);
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Create user');
  const element: HTMLFormElement = h(
    'form',
    {
      id: 'create-user',
      novalidate: true,
      onsubmit: submitHandler(form, button, result, async () => {
        result.replaceChildren();
        const created = await api.request<{ id: string; email: string | null; username: string | null; generatedPassword?: string }>(
          'POST',
          '/v1/users',
          { body: form.read() },
        );
        const link = h('a', { href: `#/users/${encodeURIComponent(created.id)}` }, created.email ?? created.username ?? created.id);
        mount(
          result,
          h(
            'div',
            { class: 'notice ok', role: 'status', tabindex: -1 },
            'Created ',
            link,
            '.',
            created.generatedPassword
              ? h(
                  'p',
                  {},
                  'Generated password (shown once, copy it now): ',
                  h('code', { id: 'generated-password' }, created.generatedPassword),
                )
              : null,
          ),
        );
        element.reset();
        (result.firstElementChild as HTMLElement | null)?.focus();
      }),
    },
    form.element,
    h('div', { class: 'actions' }, button),
  );
  mount(main, h('p', {}, h('a', { href: '#/users' }, '← Users')), h('h1', {}, 'Create user'), result, element);
}
