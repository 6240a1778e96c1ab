import type { AppError } from '../../errors/app-error.js';
import type { CreateUserInput } from '../../modules/users/user.schemas.js';
import { dotted, type ContractError } from '../shared/contract-plugin.js';
import type { CertificationResultBody, CertificationUser } from './certification.schemas.js';

const FIELD_NAMES: Record<string, string> = {
  username: 'userName',
  givenName: 'name.firstName',
  familyName: 'name.lastName',
  displayName: 'name.displayName',
  phone: 'phoneNumber',
  active: 'lockedOut',
  email: 'email',
  password: 'password',
};

/** One item mapped in, with what is needed to name its error fields in the certification's words. */
export interface MappedItem {
  input: CreateUserInput;
  /** Roster path → certification field, for the paths this item's mapping created. */
  fieldOf(path: string): string;
}

export function toCreateInput(item: CertificationUser): MappedItem {
  const given = (item.roles ?? []).map((r) => r.roleId ?? r.name ?? '');
  const programAdmin = item.userAccess?.programAdminRoleId;
  // No roles named: the tenant's users.defaultRoles apply (the core decides them), unless a program-admin
  // role is added, which the seed puts beside the base role.
  const roles = given.length > 0 || programAdmin !== undefined ? [...(given.length > 0 ? given : ['user'])] : undefined;
  if (programAdmin !== undefined) roles?.push(programAdmin);
  // The configured codes: departments and locations are groups of those types.
  const groups: Array<[ref: string, field: string]> = [];
  if (item.userAccess?.departmentId !== undefined) groups.push([`department:${item.userAccess.departmentId}`, 'userAccess.departmentId']);
  if (item.userAccess?.locationId !== undefined) groups.push([`location:${item.userAccess.locationId}`, 'userAccess.locationId']);

  const input: CreateUserInput = {
    ...(item.userName !== undefined ? { username: item.userName } : {}),
    ...(item.password !== undefined ? { password: item.password } : {}),
    ...(item.email !== undefined ? { email: item.email } : {}),
    ...(item.phoneNumber !== undefined ? { phone: item.phoneNumber } : {}),
    ...(item.name?.firstName !== undefined ? { givenName: item.name.firstName } : {}),
    ...(item.name?.lastName !== undefined ? { familyName: item.name.lastName } : {}),
    ...(item.name?.displayName !== undefined ? { displayName: item.name.displayName } : {}),
    ...(item.lockedOut !== undefined ? { active: !item.lockedOut } : {}),
    ...(roles ? { roles } : {}),
    ...(groups.length > 0 ? { groups: groups.map(([ref]) => ref) } : {}),
  };
  return {
    input,
    fieldOf(path) {
      const [, first = '', index] = path.split('/');
      if (first === 'roles') return Number(index) < given.length ? `roles.${index}` : 'userAccess.programAdminRoleId';
      if (first === 'groups') return groups[Number(index)]?.[1] ?? 'userAccess';
      return FIELD_NAMES[first] ?? dotted(path);
    },
  };
}

export function failedResult(
  index: number | null,
  item: Partial<CertificationUser> | undefined,
  error: AppError,
  fieldOf: (path: string) => string,
): CertificationResultBody['failedResults'][number] {
  return {
    index,
    userName: typeof item?.userName === 'string' ? item.userName : null,
    email: typeof item?.email === 'string' ? item.email : null,
    errorCode: error.code,
    errorMessage: error.message,
    errors: error.errors.map((e) => ({ field: fieldOf(e.path), code: e.code, message: e.message })),
  };
}

const AUTH_MESSAGES: Record<number, string> = {
  401: 'Authentication Error. Invalid credentials.',
  403: 'Authorization Error. Invalid role for request.',
};

/**
 * Errors of the whole request. 401 and 403 use the documented `{code, message, description}`; a
 * request that cannot be read at all is a 400 in the documented result shape, with nothing processed.
 */
export function toCertificationError(error: AppError): ContractError {
  if (error.status === 400) {
    return {
      status: 400,
      body: {
        totalProcessed: 0,
        successCount: 0,
        failureCount: 1,
        successResults: [],
        failedResults: [failedResult(null, undefined, error, dotted)],
      },
    };
  }
  return {
    status: error.status,
    body: { code: error.code, message: AUTH_MESSAGES[error.status] ?? error.message, description: error.message },
  };
}
