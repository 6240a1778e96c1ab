import type { CreateUserInput, PatchUserInput, User } from '../modules/users/user.schemas.js';
import { ENTERPRISE_ATTRIBUTES, URN } from './scim.constants.js';
import { scimError } from './scim-error.js';

export type ScimResource = Record<string, unknown>;

/** A user's SCIM version (ETag); Roster's own ETag is the strong `"<version>"`. */
export const userVersion = (user: Pick<User, 'version'>) => `W/"${user.version}"`;

/** `W/"3"` or `"3"` → Roster's `"3"`; `*` stays `*`. */
export function toRosterEtag(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  return trimmed === '*' ? '*' : trimmed.replace(/^W\//, '');
}

/** Roster user → SCIM User (core schema and the Enterprise extension). */
export function toScimUser(user: User, baseUrl: string): ScimResource {
  const stored = user.attributes as Record<string, unknown>;
  const enterprise = Object.fromEntries(ENTERPRISE_ATTRIBUTES.flatMap((key) => (stored[key] === undefined ? [] : [[key, stored[key]]])));
  const name = {
    ...(user.givenName !== null || user.familyName !== null
      ? { formatted: [user.givenName, user.familyName].filter(Boolean).join(' ') }
      : {}),
    ...(user.givenName !== null ? { givenName: user.givenName } : {}),
    ...(user.familyName !== null ? { familyName: user.familyName } : {}),
  };
  const a = user.address;
  return {
    schemas: Object.keys(enterprise).length > 0 ? [URN.user, URN.enterprise] : [URN.user],
    id: user.id,
    ...(user.externalId !== null ? { externalId: user.externalId } : {}),
    userName: user.username ?? user.email ?? '',
    ...(Object.keys(name).length > 0 ? { name } : {}),
    ...(user.displayName !== null ? { displayName: user.displayName } : {}),
    ...(user.nickname !== null ? { nickName: user.nickname } : {}),
    ...(user.position !== null ? { title: user.position } : {}),
    ...(user.userType !== null ? { userType: user.userType } : {}),
    preferredLanguage: user.locale,
    locale: user.locale,
    timezone: user.timezone,
    active: user.active,
    ...(user.email !== null ? { emails: [{ value: user.email, type: 'work', primary: true }] } : {}),
    ...(user.phone !== null ? { phoneNumbers: [{ value: user.phone, type: 'work', primary: true }] } : {}),
    ...(a !== null
      ? {
          addresses: [
            {
              type: a.type ?? 'work',
              primary: true,
              ...(a.street !== undefined ? { streetAddress: a.street } : {}),
              ...(a.city !== undefined ? { locality: a.city } : {}),
              ...(a.state !== undefined ? { region: a.state } : {}),
              ...(a.postalCode !== undefined ? { postalCode: a.postalCode } : {}),
              ...(a.country !== undefined ? { country: a.country } : {}),
            },
          ],
        }
      : {}),
    ...(user.pictureUrl !== null ? { photos: [{ value: user.pictureUrl, type: 'photo', primary: true }] } : {}),
    groups: user.groups.map((g) => ({ value: g.id, display: g.name, $ref: `${baseUrl}/Groups/${g.id}`, type: 'direct' })),
    roles: user.roles.map((r) => ({ value: r, display: r })),
    ...(Object.keys(enterprise).length > 0 ? { [URN.enterprise]: enterprise } : {}),
    meta: {
      resourceType: 'User',
      created: user.createdAt,
      lastModified: user.updatedAt,
      location: `${baseUrl}/Users/${user.id}`,
      version: userVersion(user),
    },
  };
}

type Multi = Array<Record<string, unknown>> | undefined;

/** The primary member of a multi-valued attribute, else the first. */
function primary(values: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(values)) return undefined;
  const items = ((values as Multi) ?? []).filter((v) => typeof v === 'object' && v !== null);
  return items.find((v) => v.primary === true) ?? items[0];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The Roster profile a SCIM User stands for; members absent from the resource are null. */
export function profileOf(resource: ScimResource, definedAttributes: ReadonlySet<string>): PatchUserInput & { email?: string | null } {
  const name = (resource.name ?? {}) as Record<string, unknown>;
  const email = str(primary(resource.emails)?.value);
  const userName = str(resource.userName);
  // Roster usernames hold no "@": a userName that is an email address is the user's email.
  const userNameIsEmail = userName !== undefined && userName.includes('@');
  const address = primary(resource.addresses);
  const enterprise = (resource[URN.enterprise] ?? {}) as Record<string, unknown>;
  const attributes = Object.fromEntries(
    ENTERPRISE_ATTRIBUTES.filter((k) => definedAttributes.has(k)).map((k) => [k, enterprise[k] === undefined ? null : enterprise[k]]),
  );
  const locale = str(resource.locale) ?? str(resource.preferredLanguage);
  return {
    email: email ?? (userNameIsEmail ? userName : null),
    username: userNameIsEmail ? null : (userName ?? null),
    givenName: str(name.givenName) ?? null,
    familyName: str(name.familyName) ?? null,
    displayName: str(resource.displayName) ?? null,
    nickname: str(resource.nickName) ?? null,
    position: str(resource.title) ?? null,
    userType: str(resource.userType) ?? null,
    locale: locale === undefined ? null : locale.replace('_', '-'),
    timezone: str(resource.timezone) ?? null,
    phone: str(primary(resource.phoneNumbers)?.value) ?? null,
    pictureUrl: str(primary(resource.photos)?.value) ?? null,
    externalId: str(resource.externalId) ?? null,
    address:
      address === undefined
        ? null
        : {
            type: str(address.type) ?? null,
            street: str(address.streetAddress) ?? null,
            city: str(address.locality) ?? null,
            state: str(address.region) ?? null,
            postalCode: str(address.postalCode) ?? null,
            country: str(address.country) ?? null,
          },
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
}

function rolesOf(resource: ScimResource): string[] | undefined {
  if (!Array.isArray(resource.roles)) return undefined;
  return ((resource.roles as Multi) ?? []).map((r) => str(r.value) ?? '').filter(Boolean);
}

/** @throws VALIDATION_FAILED (invalidValue) when `active` is not a boolean. */
function activeOf(resource: ScimResource): boolean | undefined {
  if (resource.active === undefined || resource.active === null) return undefined;
  if (typeof resource.active !== 'boolean') throw scimError('VALIDATION_FAILED', 'invalidValue', 'active must be a boolean');
  return resource.active;
}

/**
 * `userName` is required (RFC 7643 §4.1.1, and Roster's /Schemas say so): a User that comes without one,
 * or with a blank one, is refused rather than given a name Roster made up.
 * @throws VALIDATION_FAILED (invalidValue) naming `userName`.
 */
function requireUserName(resource: ScimResource): void {
  const userName = resource.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw scimError('VALIDATION_FAILED', 'invalidValue', 'userName is required: a User must have a non-empty userName (RFC 7643 §4.1.1)');
  }
}

/** A SCIM User to create: its profile without the nulls, its password, roles and active flag. */
export function toCreateInput(resource: ScimResource, definedAttributes: ReadonlySet<string>): CreateUserInput {
  requireUserName(resource);
  const profile = profileOf(resource, definedAttributes);
  const input: Record<string, unknown> = {};
  // eslint-disable-next-line no-restricted-syntax -- keys are profileOf's fixed member names, not input
  for (const [key, value] of Object.entries(profile)) if (value !== null) input[key] = value;
  if (profile.address) input.address = Object.fromEntries(Object.entries(profile.address).filter(([, v]) => v !== null));
  if (profile.attributes) input.attributes = Object.fromEntries(Object.entries(profile.attributes).filter(([, v]) => v !== null));
  return withAccess(input, resource) as CreateUserInput;
}

/** Adds what is not profile: the password, the active flag and the roles, when the resource gives them. */
function withAccess(target: Record<string, unknown>, resource: ScimResource): Record<string, unknown> {
  const active = activeOf(resource);
  const roles = rolesOf(resource);
  if (typeof resource.password === 'string') target.password = resource.password;
  if (active !== undefined) target.active = active;
  if (roles !== undefined && roles.length > 0) target.roles = roles;
  return target;
}

/** A SCIM User that replaces the stored one (PUT, or the result of a PATCH): a merge patch setting every mapped member. */
export function toReplacePatch(resource: ScimResource, definedAttributes: ReadonlySet<string>): PatchUserInput {
  requireUserName(resource);
  const patch: Record<string, unknown> = { ...profileOf(resource, definedAttributes) };
  // The tenant defaults apply when a replacement has no locale or time zone.
  if (patch.locale === null) delete patch.locale;
  if (patch.timezone === null) delete patch.timezone;
  return withAccess(patch, resource) as PatchUserInput;
}
