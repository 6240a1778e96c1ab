import { LIMITS, URN } from './scim.constants.js';

type Attr = Record<string, unknown>;

/** An attribute definition (RFC 7643 §7) with the RFC's defaults, overridden where given. */
function attr(name: string, type: string, extra: Attr = {}): Attr {
  return {
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...extra,
  };
}
const sub = (names: string[], extra: Attr = {}) => names.map((n) => attr(n, n === 'primary' ? 'boolean' : 'string', extra));
const multi = (name: string, description: string, subNames: string[]) =>
  attr(name, 'complex', { multiValued: true, description, subAttributes: sub(subNames) });

/** Exactly what Roster reads and writes of the User schema; what it does not store is not listed. */
const userAttributes: Attr[] = [
  attr('userName', 'string', {
    required: true,
    uniqueness: 'server',
    description: 'A username, or the email address for users whose login is their email. Unique case-insensitively, also against emails.',
  }),
  attr('name', 'complex', {
    description: 'givenName and familyName are stored; formatted is derived',
    subAttributes: [attr('formatted', 'string', { mutability: 'readOnly' }), ...sub(['familyName', 'givenName'])],
  }),
  attr('displayName', 'string'),
  attr('nickName', 'string'),
  attr('title', 'string', { description: 'Job title (Roster position)' }),
  attr('userType', 'string'),
  attr('preferredLanguage', 'string', { description: 'Same value as locale' }),
  attr('locale', 'string', { description: 'BCP 47; defaults to the tenant locale' }),
  attr('timezone', 'string', { description: 'IANA zone; defaults to the tenant zone' }),
  attr('active', 'boolean', { description: 'Changing it needs users:set-active' }),
  attr('password', 'string', {
    mutability: 'writeOnly',
    returned: 'never',
    description: 'Checked against the tenant password policy; stored as an argon2id hash',
  }),
  multi('emails', 'One email is stored (the primary, else the first); answered with type work', ['value', 'type', 'primary']),
  multi('phoneNumbers', 'One number is stored (primary, else first), as E.164', ['value', 'type', 'primary']),
  multi('addresses', 'One address is stored (primary, else first); country is ISO 3166-1 alpha-2', [
    'type',
    'streetAddress',
    'locality',
    'region',
    'postalCode',
    'country',
    'primary',
  ]),
  multi('photos', 'One picture URL is stored', ['value', 'type', 'primary']),
  attr('groups', 'complex', {
    multiValued: true,
    mutability: 'readOnly',
    description: 'Groups the user belongs to; change them through /Groups',
    subAttributes: sub(['value', 'display', '$ref', 'type'], { mutability: 'readOnly' }),
  }),
  attr('roles', 'complex', {
    multiValued: true,
    description: 'Role names of the tenant; only roles whose permissions the caller holds',
    subAttributes: sub(['value', 'display']),
  }),
];

const enterpriseAttributes: Attr[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) =>
    attr(n, 'string', { description: `Stored when the tenant defines an attribute "${n}" (/v1/attributes); otherwise ignored` }),
  ),
];

const groupAttributes: Attr[] = [
  attr('displayName', 'string', { required: true, description: 'The Roster group name' }),
  attr('members', 'complex', {
    multiValued: true,
    description: 'Users of the group (value = user id)',
    subAttributes: [
      attr('value', 'string', { mutability: 'immutable', caseExact: true }),
      attr('display', 'string', { mutability: 'readOnly' }),
      attr('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User'] }),
      attr('type', 'string', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

const meta = (baseUrl: string, resourceType: string, id: string) => ({
  resourceType,
  location: `${baseUrl}/${resourceType === 'Schema' ? 'Schemas' : 'ResourceTypes'}/${id}`,
});

export function schemas(baseUrl: string) {
  return [
    {
      schemas: [URN.schema],
      id: URN.user,
      name: 'User',
      description: 'User Account',
      attributes: userAttributes,
      meta: meta(baseUrl, 'Schema', URN.user),
    },
    {
      schemas: [URN.schema],
      id: URN.enterprise,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: enterpriseAttributes,
      meta: meta(baseUrl, 'Schema', URN.enterprise),
    },
    {
      schemas: [URN.schema],
      id: URN.group,
      name: 'Group',
      description: 'Group',
      attributes: groupAttributes,
      meta: meta(baseUrl, 'Schema', URN.group),
    },
  ];
}

export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: [URN.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: URN.user,
      schemaExtensions: [{ schema: URN.enterprise, required: false }],
      meta: meta(baseUrl, 'ResourceType', 'User'),
    },
    {
      schemas: [URN.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: URN.group,
      meta: meta(baseUrl, 'ResourceType', 'Group'),
    },
  ];
}

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: 'https://github.com/roster/roster/blob/main/docs/scim.md',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: LIMITS.bulkMaxOperations, maxPayloadSize: LIMITS.bulkMaxPayloadSize },
    filter: { supported: true, maxResults: LIMITS.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A Roster API key (rst_…) or user token in Authorization: Bearer',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
