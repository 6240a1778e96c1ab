import { Type, type Static } from 'typebox';

// Written from seed 004 (Fleet's OpenAPI `CreateUserBody` and `GetUserResponse`); the contract test
// checks real responses against the seed's own JSON, so a drift here shows up there.
const text = (maxLength: number, description: string, example?: string) =>
  Type.String({ maxLength, description, ...(example ? { example } : {}) });
const Role = Type.Union([Type.Literal('EMPLOYEE'), Type.Literal('ADMIN')], {
  description:
    'EMPLOYEE: standard company user. ADMIN: can manage company configuration and users in Fleet. On create, defaults to EMPLOYEE when omitted.',
});

export const FleetCreateUserBody = Type.Object(
  {
    email: Type.String({
      maxLength: 320,
      description: 'Work email; personal and disposable domains are refused; unique in the company',
      example: 'ada@example.com',
    }),
    first_name: Type.Optional(text(200, 'Given name', 'Ada')),
    last_name: Type.Optional(text(200, 'Family name', 'Lovelace')),
    phone: Type.Optional(
      text(64, 'Spaces are removed; stored as E.164 when it reads as a number, as sent (spaces removed) otherwise', '+33123456789'),
    ),
    phone_country: Type.Optional(
      text(
        100,
        'Country or dialing context of a phone number written without +country code: a code (FR, FRA), a name (France) or a dialing code (+33); other text is ignored',
        'FR',
      ),
    ),
    password: Type.Optional(
      text(1024, 'Optional initial password (the tenant password policy applies; the fleet preset states none)', 'hunter2'),
    ),
    language: Type.Optional(
      text(
        35,
        'UI language code (BCP 47; POSIX `fr_FR` is read as fr-FR, other text kept as sent); defaults to the company default when omitted or blank',
        'fr',
      ),
    ),
    position: Type.Optional(text(200, 'Job title', 'Software engineer')),
    arrival_date: Type.Optional(text(40, 'Start date (date or ISO 8601 date-time)', '2024-01-15')),
    departure_date: Type.Optional(text(40, 'End date (date or ISO 8601 date-time)', '2026-12-31')),
    date_of_birth: Type.Optional(text(40, 'Date of birth', '1990-05-21')),
    city_of_birth: Type.Optional(text(200, 'City of birth', 'Paris')),
    country_of_birth: Type.Optional(
      text(200, 'Country of birth: a code or name is stored as ISO 3166-1 alpha-2, other text as sent', 'FR'),
    ),
    role: Type.Optional(Role),
  },
  // Members Fleet does not document are ignored, not refused: clients of the real API may send more.
  { additionalProperties: true },
);
export type FleetCreateUserInput = Static<typeof FleetCreateUserBody>;

const nullableText = Type.Union([Type.String(), Type.Null()]);

export const FleetUserResponse = Type.Object(
  {
    data: Type.Object(
      {
        id: Type.Integer(),
        company_id: Type.Integer(),
        email: nullableText,
        first_name: nullableText,
        last_name: nullableText,
        phone: nullableText,
        phone_country: nullableText,
        language: nullableText,
        position: nullableText,
        role: Role,
        arrival_date: nullableText,
        departure_date: nullableText,
        date_of_birth: nullableText,
        city_of_birth: nullableText,
        country_of_birth: nullableText,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type FleetUser = Static<typeof FleetUserResponse>['data'];

/** Fleet documents no error body; Roster answers this one for every error of the contract. */
export const FleetErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Roster error code (docs/errors.md)' }),
    message: Type.String(),
    fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() }))),
  }),
});
