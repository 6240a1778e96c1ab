import type { AppError, FieldError } from '../../errors/app-error.js';
import type { CreateUserInput, User } from '../../modules/users/user.schemas.js';
import type { ContractError } from '../shared/contract-plugin.js';
import type { RocketChatBool, RocketChatCreateUserInput, RocketChatUserBody } from './rocketchat.schemas.js';

/** A Rocket.Chat boolean (true/false or "true"/"false"), or undefined when not sent. */
export function bool(value: RocketChatBool | undefined): boolean | undefined {
  return value === undefined ? undefined : value === true || value === 'true';
}

export function toCreateInput(body: RocketChatCreateUserInput): CreateUserInput {
  const randomPassword = bool(body.setRandomPassword) === true;
  const active = bool(body.active);
  const requirePasswordChange = bool(body.requirePasswordChange);
  const sendWelcomeEmail = bool(body.sendWelcomeEmail);
  const verified = bool(body.verified);
  return {
    displayName: body.name,
    email: body.email,
    username: body.username,
    // The seed: "assigned a random password once they are created". Nobody is told it (it is not in the
    // answer): the user sets one through the welcome mail's link or a reset, and must change it.
    ...(randomPassword
      ? { generatePassword: true, requirePasswordChange: true }
      : body.password !== undefined
        ? { password: body.password }
        : {}),
    ...(active !== undefined ? { active } : {}),
    ...(body.nickname !== undefined ? { nickname: body.nickname } : {}),
    ...(body.bio !== undefined ? { bio: body.bio } : {}),
    // Without roles the tenant's users.defaultRoles apply (["user"] unless changed), as the seed's default `user`.
    ...(body.roles !== undefined ? { roles: body.roles } : {}),
    joinDefaultGroups: bool(body.joinDefaultChannels) ?? true,
    ...(requirePasswordChange !== undefined && !randomPassword ? { requirePasswordChange } : {}),
    ...(sendWelcomeEmail !== undefined ? { sendWelcomeEmail } : {}),
    ...(verified !== undefined ? { emailVerified: verified } : {}),
    ...(body.customFields !== undefined ? { attributes: body.customFields } : {}),
  };
}

export function toRocketChatUser(user: User): RocketChatUserBody {
  return {
    _id: user.id,
    createdAt: user.createdAt,
    username: user.username ?? user.email ?? '',
    emails: user.email === null ? [] : [{ address: user.email, verified: user.emailVerified }],
    type: 'user',
    // Roster has no presence; a user nobody has seen yet is offline.
    status: 'offline',
    active: user.active,
    roles: user.roles,
    _updatedAt: user.updatedAt,
    name: user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || (user.username ?? '')),
    ...(user.nickname !== null ? { nickname: user.nickname } : {}),
    ...(user.bio !== null ? { bio: user.bio } : {}),
    requirePasswordChange: user.requirePasswordChange,
    settings: {},
    ...(Object.keys(user.attributes).length > 0 ? { customFields: user.attributes } : {}),
  };
}

const METHOD = 'insertOrUpdateUser';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Input echoed in an error, HTML-escaped as Rocket.Chat does (lodash `escape`): its clients show these
 * sentences, and a username like `<img onerror=…>` must not become markup there.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Rocket.Chat's error type and sentence for the first field error of a create. */
function fieldErrorType(e: FieldError, body: Partial<RocketChatCreateUserInput>): { type: string; message: string; field?: string } {
  const field = e.path.split('/')[1] ?? '';
  const value = (name: 'email' | 'username' | 'name' | 'nickname') => escapeHtml(String(body[name] ?? ''));
  // Rocket.Chat's body validator (Ajv) refuses members its schema does not name.
  if (e.code === 'FIELD_UNKNOWN' && e.path.split('/').length === 2)
    return { type: 'invalid-params', message: 'must NOT have additional properties' };
  // Its saveUser refuses a blank name: "The field Name is required".
  if (e.code === 'FIELD_REQUIRED' && field === 'displayName')
    return { type: 'error-the-field-is-required', message: 'The field Name is required', field: 'Name' };
  if (e.code === 'NAME_INVALID' && (field === 'displayName' || field === 'nickname')) {
    const [member, label] = field === 'displayName' ? (['name', 'Name'] as const) : (['nickname', 'Nickname'] as const);
    return { type: 'error-input-is-not-a-valid-field', message: `${value(member)} is not a valid ${member}`, field: label };
  }
  if (e.code === 'EMAIL_TAKEN' || e.code === 'USERNAME_TAKEN') {
    const taken = field === 'email' ? value('email') : value('username');
    return { type: 'error-field-unavailable', message: `${taken} is already in use :(`, field: taken };
  }
  if (e.code === 'USERNAME_RESERVED')
    return { type: 'error-blocked-username', message: `${value('username')} is blocked and can't be used!`, field: value('username') };
  if (e.code === 'USERNAME_INVALID' || e.code === 'USERNAME_MUST_BE_EMAIL')
    return { type: 'error-input-is-not-a-valid-field', message: `${value('username')} is not a valid username`, field: 'Username' };
  if (field === 'email' && (e.code.startsWith('EMAIL_') || e.code === 'FIELD_INVALID'))
    return { type: 'error-invalid-email', message: `Invalid email ${value('email')}` };
  if (e.code.startsWith('PASSWORD_')) return { type: 'error-password-policy-not-met', message: e.message };
  if (field === 'attributes')
    return { type: 'error-user-registration-custom-field', message: escapeHtml(`${e.path.split('/')[2] ?? 'customFields'}: ${e.message}`) };
  if (e.code === 'ROLE_UNKNOWN') return { type: 'error-invalid-role', message: escapeHtml(e.message) };
  const name = { displayName: 'name', emailVerified: 'verified', attributes: 'customFields' }[field] ?? field;
  return {
    type: 'invalid-params',
    message: e.code === 'FIELD_REQUIRED' ? `must have required property '${name}'` : `${name}: ${e.message}`,
  };
}

/** Rocket.Chat's failure body: `{success: false, error: "<sentence> [<type>]", errorType, details}`. */
export function toRocketChatError(error: AppError, body: unknown): ContractError {
  if (error.code === 'UNAUTHENTICATED') return { status: 401, body: { status: 'error', message: 'You must be logged in to do this.' } };
  if (error.status >= 500) return { status: error.status, body: { success: false, error: 'Internal server error' } };
  const fail = (status: number, type: string, sentence: string, details?: Record<string, unknown>) => ({
    status,
    body: { success: false, error: `${sentence} [${type}]`, errorType: type, ...(details ? { details } : {}) },
  });
  if (error.code === 'PERMISSION_DENIED') {
    const activeStatus = error.details?.permission === 'users:set-active';
    return fail(400, 'error-action-not-allowed', activeStatus ? 'Edit user active status is not allowed' : 'Adding user is not allowed', {
      method: METHOD,
      action: activeStatus ? 'Edit_user_active_status' : 'Adding_user',
    });
  }
  const [first] = error.errors;
  if (first) {
    const mapped = fieldErrorType(first, (typeof body === 'object' && body !== null ? body : {}) as Partial<RocketChatCreateUserInput>);
    return fail(400, mapped.type, mapped.message, { method: METHOD, ...(mapped.field ? { field: mapped.field } : {}) });
  }
  return fail(error.status, 'error-invalid-request', error.message);
}
