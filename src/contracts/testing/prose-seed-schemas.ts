/**
 * Seeds 001 (Pulse) and 003 (Certification) are prose, not machine-readable OpenAPI. Their schemas
 * are written here once, from the text, member for member (types, formats and required lists
 * exactly as the pages state them), and used only by the contract tests.
 */

/** Seed 001, `#/components/schemas/User`: no required list; `id`/`teamId` integers, `email` and dates formatted. */
export const pulseUserSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    email: { type: 'string', format: 'email' },
    name: { type: 'string' },
    active: { type: 'boolean' },
    teamId: { type: 'integer' },
    phone: { type: 'string' },
    imgSrc: { type: 'string' },
    notificationPreferences: { type: 'object' },
    createdBy: { type: 'string' },
    updatedBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    accounts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          accountId: { type: 'string' },
          accountName: { type: 'string' },
          usersPrimaryAccount: { type: 'boolean' },
          accountAdmin: { type: 'boolean' },
        },
      },
    },
    flatRolesList: { type: 'array', items: { type: 'string' } },
    flatPermissionsList: { type: 'array', items: { type: 'string' } },
    token: { type: 'string' },
  },
} as const;

/** Seed 001, `#/components/schemas/Error`: `error` required. */
export const pulseErrorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, status: { type: 'integer' }, message: { type: 'string' } },
  required: ['error'],
} as const;

/** Seed 001, the request example `{ "email": "string" }`. */
export const pulseRequestSchema = { type: 'object', properties: { email: { type: 'string' } } } as const;

/** Seed 003, the body of one user (also sent as an array of up to 1000). */
export const certificationUserSchema = {
  type: 'object',
  properties: {
    userName: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'object' },
    email: { type: 'string' },
    phoneNumber: { type: 'string' },
    roles: { type: 'array', items: { type: 'object' } },
    userAccess: {
      type: 'object',
      properties: { departmentId: { type: 'string' }, locationId: { type: 'string' }, programAdminRoleId: { type: 'string' } },
    },
    lockedOut: { type: 'boolean' },
  },
} as const;

/** Seed 003, the 200 and 400 bodies (the same shape). */
export const certificationResultSchema = {
  type: 'object',
  properties: {
    totalProcessed: { type: 'integer' },
    successCount: { type: 'integer' },
    failureCount: { type: 'integer' },
    successResults: { type: 'array', items: { type: 'object' } },
    failedResults: { type: 'array', items: { type: 'object' } },
  },
} as const;

/** Seed 003, the 401 body (and, by the same page, the 403's). */
export const certificationAuthErrorSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, description: { type: 'string' } },
} as const;
