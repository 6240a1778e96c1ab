import type { AppError } from '../../errors/app-error.js';
import type { Tenant } from '../../modules/tenants/tenant.schemas.js';
import type { CreateUserInput, User } from '../../modules/users/user.schemas.js';
import { dotted, oneLine, type ContractError } from '../shared/contract-plugin.js';
import type { PulseCreateUserInput, PulseUser } from './pulse.schemas.js';

const TO_PULSE: Record<string, string> = { displayName: 'name', pictureUrl: 'imgSrc', groups: 'teamId' };

export function toCreateInput(body: PulseCreateUserInput): CreateUserInput {
  return {
    email: body.email,
    ...(body.name !== undefined ? { displayName: body.name } : {}),
    ...(body.phone !== undefined ? { phone: body.phone } : {}),
    ...(body.active !== undefined ? { active: body.active } : {}),
    ...(body.password !== undefined ? { password: body.password } : {}),
    ...(body.imgSrc !== undefined ? { pictureUrl: body.imgSrc } : {}),
    ...(body.roles !== undefined ? { roles: body.roles } : {}),
    // A team by its number: the core resolves `team#<n>` like any group reference.
    ...(body.teamId !== undefined ? { groups: [`team#${body.teamId}`] } : {}),
  };
}

/** The name Pulse shows: the display name, else the given and family names, else the login. */
function nameOf(user: User): string {
  return user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || (user.username ?? user.email ?? ''));
}

export function toPulseUser(user: User, tenant: Tenant, creatorEmail: string | undefined): PulseUser {
  const team = user.groups.find((g) => g.type === 'team' && g.seq !== null);
  return {
    id: user.seq,
    email: user.email ?? '',
    name: nameOf(user),
    active: user.active,
    ...(team?.seq != null ? { teamId: team.seq } : {}),
    ...(user.phone !== null ? { phone: user.phone } : {}),
    ...(user.pictureUrl !== null ? { imgSrc: user.pictureUrl } : {}),
    // Roster keeps no per-user notification rules; a new user has none.
    notificationPreferences: {},
    ...(creatorEmail !== undefined ? { createdBy: creatorEmail, updatedBy: creatorEmail } : {}),
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    accounts: [
      { accountId: String(tenant.seq), accountName: tenant.name, usersPrimaryAccount: true, accountAdmin: user.roles.includes('admin') },
    ],
    flatRolesList: user.roles,
    flatPermissionsList: user.permissions,
  };
}

const pulseField = (path: string) => {
  const name = dotted(path);
  const [first = '', ...rest] = name.split('.');
  return TO_PULSE[first] ? TO_PULSE[first] : [first, ...rest].join('.');
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Pulse's Error: `error` (short), `status`, `message` (the detail, naming Pulse's fields). */
export function toPulseError(error: AppError): ContractError {
  return {
    status: error.status,
    body: { error: REASONS[error.status] ?? 'Internal Server Error', status: error.status, message: oneLine(error, pulseField) },
  };
}
