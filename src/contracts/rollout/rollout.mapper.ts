import type { AppError } from '../../errors/app-error.js';
import { isUuid } from '../../lib/ids.js';
import type { CreateUserInput, User } from '../../modules/users/user.schemas.js';
import { dotted, oneLine, type ContractError } from '../shared/contract-plugin.js';
import type { RolloutCreateUserInput, RolloutUserBody } from './rollout.schemas.js';

// Rollout types `status` as a free string: the words that mean "cannot sign in" deactivate, anything
// else (active, enabled, pending, invited, a CRM's own word) creates an active user, Roster's default.
const INACTIVE = new Set([
  'inactive',
  'disabled',
  'suspended',
  'deactivated',
  'blocked',
  'locked',
  'archived',
  'terminated',
  'deleted',
  'false',
  '0',
]);

/** Fields Rollout types as free strings: normalised when possible, kept as sent otherwise (user.rules.ts). */
export const ROLLOUT_FREE_TEXT = ['phone', 'timezone', 'addressCountry'] as const;

/** `role`: the tenant role it names (rules/role-name.ts), or undefined for the default role. */
export function toCreateInput(body: RolloutCreateUserInput, role: string | undefined): CreateUserInput {
  const status = body.status.trim().toLowerCase();
  const { code, county, ...address } = body.address;
  return {
    email: body.email,
    givenName: body.firstName,
    familyName: body.lastName,
    phone: body.phone,
    ...(role !== undefined ? { roles: [role] } : {}),
    active: !INACTIVE.has(status),
    ...(typeof body.timezone === 'string' ? { timezone: body.timezone } : {}),
    username: body.username,
    userType: body.type,
    address: {
      type: address.type,
      street: address.street,
      city: address.city,
      state: address.state,
      postalCode: code,
      country: address.country,
      ...(county !== undefined ? { county } : {}),
    },
    ...(body.participatingOfficeIds ? { groups: body.participatingOfficeIds.map((id) => (isUuid(id) ? id : `office:${id}`)) } : {}),
    ...(body.password !== undefined ? { password: body.password } : {}),
  };
}

/**
 * The unified user: Roster's resource is the `original`, keyed by the provider name `roster`. `sent`
 * gives back the client's own words for the members Roster stores in its vocabulary (status; a role
 * no tenant role matched).
 */
export function toRolloutUser(user: User, sent?: { status: string; role?: string | undefined }): RolloutUserBody {
  const a = user.address;
  return {
    id: user.id,
    firstName: user.givenName ?? '',
    lastName: user.familyName ?? '',
    email: user.email ?? '',
    phone: user.phone ?? '',
    role: sent?.role ?? user.roles[0] ?? '',
    status: sent?.status ?? (user.active ? 'active' : 'inactive'),
    timezone: user.timezone,
    created: user.createdAt,
    updated: user.updatedAt,
    rolloutUpdated: user.updatedAt,
    originalIds: { roster: user.id },
    original: { roster: user as unknown as Record<string, unknown> },
    address:
      a === null
        ? null
        : {
            type: a.type ?? '',
            street: a.street ?? '',
            city: a.city ?? '',
            state: a.state ?? '',
            code: a.postalCode ?? '',
            ...(a.county !== undefined ? { county: a.county } : {}),
            country: a.country ?? '',
          },
    username: user.username ?? '',
    type: user.userType ?? '',
    offices: user.groups.filter((g) => g.type === 'office').map((g) => ({ id: g.code })),
  };
}

const TO_ROLLOUT: Record<string, string> = {
  givenName: 'firstName',
  familyName: 'lastName',
  roles: 'role',
  active: 'status',
  userType: 'type',
  groups: 'participatingOfficeIds',
};

function rolloutField(path: string): string {
  const [first = '', ...rest] = dotted(path).split('.');
  if (first === 'roles') return 'role';
  if (first === 'address' && rest[0] === 'postalCode') return 'address.code';
  return [TO_ROLLOUT[first] ?? first, ...rest].join('.');
}

/** Rollout documents `{errorMessage}` for 400 and 409; every other status uses the same body. */
export function toRolloutError(error: AppError): ContractError {
  return { status: error.status, body: { errorMessage: oneLine(error, rolloutField) } };
}
