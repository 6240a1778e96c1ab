import { api, type JsonSchema } from './api.js';
import { USER_HINTS, usernameHint } from './hints.js';
import type { FormOptions } from './schema-form.js';

/** The pieces of a user form that come from the tenant, shared by the create and the edit form. */
interface AttributeDefinition {
  key: string;
  type: string;
  description?: string;
  required: boolean;
  enumValues?: string[];
}

/** A tenant attribute definition as the JSON schema of its form field. */
function attributeSchema(d: AttributeDefinition): JsonSchema {
  const base: JsonSchema = { description: d.description ?? (d.type === 'string-list' ? 'One value per line' : undefined) };
  switch (d.type) {
    case 'number':
      return { ...base, type: 'number' };
    case 'integer':
      return { ...base, type: 'integer' };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'date':
      return { ...base, type: 'string', format: 'date' };
    case 'enum':
      return { ...base, type: 'string', enum: d.enumValues ?? [] };
    case 'string-list':
      return { ...base, type: 'array', items: { type: 'string' } };
    default:
      return { ...base, type: 'string' };
  }
}

const MAX_GROUP_CHOICES = 60;

export const USER_PRIMARY = [
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'phone',
  'locale',
  'timezone',
  'password',
  'generatePassword',
  'roles',
  'groups',
  'attributes',
  'active',
];

/**
 * Roles and groups as choices among the tenant's, attributes as the tenant defines them, and hints
 * for people (the username hint from the tenant's own rule).
 */
export async function tenantUserFormOptions(): Promise<Pick<FormOptions, 'replace' | 'omit' | 'hints' | 'primary'>> {
  const [attributes, roles, groups, username] = await Promise.all([
    api.request<{ data: AttributeDefinition[] }>('GET', '/v1/attributes'),
    api.request<{ data: Array<{ name: string }> }>('GET', '/v1/roles'),
    api.request<{ data: Array<{ type: string; code: string; name: string }> }>('GET', '/v1/groups'),
    usernameHint(),
  ]);
  const replace: Record<string, JsonSchema> = {
    roles: { type: 'array', items: { enum: roles.data.map((r) => r.name) } },
  };
  const omit: string[] = [];
  if (groups.data.length === 0) omit.push('groups');
  else if (groups.data.length <= MAX_GROUP_CHOICES)
    replace.groups = { type: 'array', items: { enum: groups.data.map((g) => `${g.type}:${g.code}`) } };
  if (attributes.data.length === 0) omit.push('attributes');
  else
    replace.attributes = {
      type: 'object',
      properties: Object.fromEntries(attributes.data.map((d) => [d.key, attributeSchema(d)])),
      required: attributes.data.filter((d) => d.required).map((d) => d.key),
    };
  return { replace, omit, hints: { ...USER_HINTS, username }, primary: USER_PRIMARY };
}
