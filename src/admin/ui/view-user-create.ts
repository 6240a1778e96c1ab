import { api, requestSchema, type JsonSchema } from './api.js';
import { h, mount } from './dom.js';
import { buildForm, submitHandler } from './schema-form.js';

interface AttributeDefinition { key: string; type: string; description?: string; required: boolean; enumValues?: string[] }

/** A tenant attribute definition as the JSON schema of its form field. */
function attributeSchema(d: AttributeDefinition): JsonSchema {
  const base: JsonSchema = { description: d.description ?? `${d.type} attribute` };
  switch (d.type) {
    case 'number': return { ...base, type: 'number' };
    case 'integer': return { ...base, type: 'integer' };
    case 'boolean': return { ...base, type: 'boolean' };
    case 'date': return { ...base, type: 'string', format: 'date' };
    case 'enum': return { ...base, type: 'string', enum: d.enumValues ?? [] };
    case 'string-list': return { ...base, type: 'array', items: { type: 'string' } };
    default: return { ...base, type: 'string' };
  }
}

const MAX_GROUP_CHOICES = 60;

/**
 * The create form shows every field POST /v1/users accepts (from the API's schema), the tenant's
 * attributes, roles and groups as choices, and places the API's field errors next to their fields.
 */
export async function userCreateView(main: HTMLElement): Promise<void> {
  const [schema, attributes, roles, groups] = await Promise.all([
    requestSchema('/v1/users', 'post'),
    api.request<{ data: AttributeDefinition[] }>('GET', '/v1/attributes'),
    api.request<{ data: Array<{ name: string }> }>('GET', '/v1/roles'),
    api.request<{ data: Array<{ type: string; code: string; name: string }> }>('GET', '/v1/groups'),
  ]);
  const replace: Record<string, JsonSchema> = {
    roles: { type: 'array', items: { enum: roles.data.map((r) => r.name) }, description: 'Roles to grant; `user` when none is picked' },
  };
  if (groups.data.length <= MAX_GROUP_CHOICES) {
    replace.groups = { type: 'array', items: { enum: groups.data.map((g) => `${g.type}:${g.code}`) }, description: 'Groups to join, as type:code' };
  }
  replace.attributes = attributes.data.length === 0
    ? { type: 'object', properties: {}, description: 'No attributes are defined for this tenant' }
    : { type: 'object', properties: Object.fromEntries(attributes.data.map((d) => [d.key, attributeSchema(d)])), required: attributes.data.filter((d) => d.required).map((d) => d.key) };
  const form = buildForm(schema, {
    replace,
    omit: attributes.data.length === 0 ? ['attributes'] : [],
    primary: ['email', 'username', 'givenName', 'familyName', 'displayName', 'password', 'generatePassword', 'roles', 'groups', 'attributes', 'active'],
  });
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Create user');
  const element: HTMLFormElement = h('form', { id: 'create-user', novalidate: true, onsubmit: submitHandler(form, button, result, async () => {
    result.replaceChildren();
    const created = await api.request<{ id: string; email: string | null; username: string | null; generatedPassword?: string }>('POST', '/v1/users', { body: form.read() });
    const link = h('a', { href: `#/users/${encodeURIComponent(created.id)}` }, created.email ?? created.username ?? created.id);
    mount(result, h('div', { class: 'notice ok', role: 'status', tabindex: -1 }, 'Created ', link, '.',
      created.generatedPassword ? h('p', {}, 'Generated password (shown once, copy it now): ', h('code', { id: 'generated-password' }, created.generatedPassword)) : null));
    element.reset();
    (result.firstElementChild as HTMLElement | null)?.focus();
  }) }, form.element, h('div', { class: 'actions' }, button));
  mount(main, h('p', {}, h('a', { href: '#/users' }, '← Users')), h('h1', {}, 'Create user'), result, element);
}
