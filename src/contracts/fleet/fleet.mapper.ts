import type { AppError } from '../../errors/app-error.js';
import type { User } from '../../modules/users/user.schemas.js';
import type { CreateUserInput } from '../../modules/users/user.schemas.js';
import { phoneRegion } from '../../rules/phone.js';
import type { ContractError } from '../shared/contract-plugin.js';
import type { FleetCreateUserInput, FleetUser } from './fleet.schemas.js';

/** Fleet field ↔ Roster field; error paths are renamed back with it. */
const FIELDS: Array<[fleet: string, roster: string]> = [
  ['email', 'email'],
  ['first_name', 'givenName'],
  ['last_name', 'familyName'],
  ['phone', 'phone'],
  ['phone_country', 'phoneCountry'],
  ['password', 'password'],
  ['language', 'locale'],
  ['position', 'position'],
  ['arrival_date', 'arrivalDate'],
  ['departure_date', 'departureDate'],
  ['date_of_birth', 'dateOfBirth'],
  ['city_of_birth', 'cityOfBirth'],
  ['country_of_birth', 'countryOfBirth'],
  ['role', 'roles'],
];
const TO_FLEET = new Map(FIELDS.map(([fleet, roster]) => [roster, fleet]));

/** Fleet's two roles onto Roster's built-in ones. */
const ROLE_TO_ROSTER = { EMPLOYEE: 'user', ADMIN: 'admin' } as const;

/** Fields Fleet types as free strings: normalised when possible, kept as sent otherwise (user.rules.ts). */
export const FLEET_FREE_TEXT = ['phone', 'phoneCountry', 'countryOfBirth', 'locale'] as const;

export function toCreateInput(body: FleetCreateUserInput): CreateUserInput {
  const input: Record<string, unknown> = {};
  for (const [fleet, roster] of FIELDS) {
    const value = body[fleet as keyof FleetCreateUserInput];
    // eslint-disable-next-line no-restricted-syntax -- roster is a field name from the fixed FIELDS table
    if (value !== undefined && roster !== 'roles') input[roster] = value;
  }
  // Fleet promises that spaces are removed; the core's E.164 normalisation then does the rest (a number it
  // cannot read is kept as sent, spaces removed).
  if (body.phone !== undefined) input.phone = body.phone.replace(/\s+/g, '');
  input.roles = [ROLE_TO_ROSTER[body.role ?? 'EMPLOYEE']];
  return input as CreateUserInput;
}

/** `sentPhoneCountry` answers for a phone kept as sent (no region could be found to read it with). */
export function toFleetUser(user: User, companyId: number, sentPhoneCountry?: string): FleetUser {
  return {
    id: user.seq,
    company_id: companyId,
    email: user.email,
    first_name: user.givenName,
    last_name: user.familyName,
    phone: user.phone,
    phone_country: user.phone === null ? null : (phoneRegion(user.phone) ?? sentPhoneCountry ?? null),
    language: user.locale,
    position: user.position,
    role: user.roles.includes('admin') ? 'ADMIN' : 'EMPLOYEE',
    arrival_date: user.arrivalDate,
    departure_date: user.departureDate,
    date_of_birth: user.dateOfBirth,
    city_of_birth: user.cityOfBirth,
    country_of_birth: user.countryOfBirth,
  };
}

/** A Roster field path (`/givenName`, `/roles/0`) in Fleet's words (`first_name`, `role`). */
export function fleetField(path: string): string {
  const [, first = '', ...rest] = path.split('/');
  return [TO_FLEET.get(first) ?? first, ...(first === 'roles' ? [] : rest)].join('.');
}

export function toFleetError(error: AppError): ContractError {
  return {
    status: error.status,
    body: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.errors.length > 0
          ? { fields: error.errors.map((e) => ({ field: fleetField(e.path), code: e.code, message: e.message })) }
          : {}),
      },
    },
  };
}
