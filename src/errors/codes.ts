/**
 * The one catalog of error codes. A code's HTTP status is bound here and nowhere else, so a throw
 * site names only the code (STYLE.md B4). `docs/errors.md` documents every code; a test keeps the
 * two in step.
 */
export const errorCodes = {
  VALIDATION_FAILED: { status: 400, title: 'The request has invalid fields' },
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  TENANT_REQUIRED: { status: 400, title: 'A platform key must name a tenant in the X-Roster-Tenant header' },
  UNAUTHENTICATED: { status: 401, title: 'Missing or invalid credentials' },
  PERMISSION_DENIED: { status: 403, title: 'The credentials lack a permission this action needs' },
  TENANT_ACCESS_DENIED: { status: 403, title: 'The credentials belong to another tenant' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  TENANT_NOT_FOUND: { status: 404, title: 'Tenant not found' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  TENANT_SLUG_TAKEN: { status: 409, title: 'A tenant with this slug already exists' },
  USER_EMAIL_TAKEN: { status: 409, title: 'Email already in use in this tenant' },
  USER_USERNAME_TAKEN: { status: 409, title: 'Username already in use in this tenant' },
  USER_VERSION_MISMATCH: { status: 412, title: 'The user was changed since the given ETag' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is larger than the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is not ready' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * Codes that name which rule a single field broke. They appear in `errors[].code` of a problem
 * document; the document's own code says what kind of failure it is (usually VALIDATION_FAILED).
 */
export const fieldErrorCodes = {
  FIELD_REQUIRED: 'A required field is missing',
  FIELD_UNKNOWN: 'The field is not part of this resource',
  FIELD_TYPE: 'The field has the wrong type',
  FIELD_TOO_LONG: 'The value is longer than allowed',
  FIELD_TOO_SHORT: 'The value is shorter than allowed',
  FIELD_OUT_OF_RANGE: 'The value is outside the allowed range',
  FIELD_INVALID: 'The value does not have the expected form',
  FIELD_READ_ONLY: 'The field is set by the server and cannot be sent',
  IDENTIFIER_REQUIRED: 'A user needs an email or a username',
  EMAIL_INVALID: 'Not a valid email address',
  USERNAME_INVALID: 'Usernames are 1-64 letters, digits and . _ - @ +',
  PASSWORD_TOO_SHORT: 'The password is shorter than the minimum length',
  PASSWORD_TOO_LONG: 'The password is longer than the maximum length',
  PHONE_INVALID: 'Not a valid phone number (use +<country code><number>)',
  LOCALE_INVALID: 'Not a BCP 47 language tag',
  TIMEZONE_INVALID: 'Not an IANA time zone',
  COUNTRY_INVALID: 'Not an ISO 3166-1 alpha-2 country code',
  ROLE_UNKNOWN: 'No role with this name exists in the tenant',
  SLUG_INVALID: 'Slugs are 2-63 lowercase letters, digits and dashes',
  EMAIL_TAKEN: 'Another user has this email or username',
  USERNAME_TAKEN: 'Another user has this username or email',
} as const satisfies Record<string, string>;

export type FieldErrorCode = keyof typeof fieldErrorCodes;
