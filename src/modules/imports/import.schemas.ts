import { Type, type Static } from 'typebox';

export const ImportJobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    format: Type.String(),
    mode: Type.Union([Type.Literal('create'), Type.Literal('upsert'), Type.Literal('sync')], {
      description:
        'create: only creates; upsert: updates the users rows match, creates the rest; sync: upsert, then deactivates the users in scope the file no longer holds',
    }),
    scope: Type.Union(
      [
        Type.Object(
          { group: Type.Optional(Type.String()), externalIdPrefix: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'A sync deactivates only the users of this scope; null: every user of the tenant' },
    ),
    phase: Type.Union([Type.Literal('rows'), Type.Literal('deactivate')], {
      description: '`deactivate` while a sync deactivates the users the file no longer holds (after every row)',
    }),
    dryRun: Type.Boolean({
      description:
        'A dry run checks every row and changes nothing; `created`, `updated`, `unchanged`, `deactivated`, `conflicts` and `failed` count what the real run would do',
    }),
    totalRows: Type.Integer(),
    processed: Type.Integer(),
    created: Type.Integer(),
    updated: Type.Integer({ description: 'Existing users the rows changed (upsert, sync)' }),
    unchanged: Type.Integer({ description: 'Rows that matched a user already as the row says' }),
    deactivated: Type.Integer({ description: 'Users a sync deactivated because the file no longer holds them' }),
    conflicts: Type.Integer({
      description: 'Users changed after the job started, left as they were (row errors with code USER_CHANGED)',
    }),
    failed: Type.Integer(),
    headerErrors: Type.Union(
      [
        Type.Array(
          Type.Object({
            column: Type.String(),
            code: Type.Union([Type.Literal('COLUMN_UNKNOWN'), Type.Literal('COLUMN_MISSING')]),
            suggestion: Type.Union([Type.String(), Type.Null()], { description: 'The closest user field' }),
            message: Type.String(),
          }),
        ),
        Type.Null(),
      ],
      { description: 'Problems of the header, reported once for the file (the job failed and imported nothing)' },
    ),
    error: Type.Union([Type.String(), Type.Null()]),
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ImportJob = Static<typeof ImportJobSchema>;

export const ImportQuerySchema = Type.Object(
  {
    map: Type.Optional(
      Type.String({ maxLength: 4000, description: 'Column renames, as for `roster import --map`: "E-mail=email,First name=givenName"' }),
    ),
    dryRun: Type.Optional(
      Type.Boolean({
        description:
          'Check every row (every rule of the real run, updates included) and report the counts the real run would have, changing nothing',
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('create'), Type.Literal('upsert'), Type.Literal('sync')], {
        description:
          'create (default); upsert: match each row on externalId, else email, else username, update the fields it carries, create the rest (needs users:update); sync: upsert, then deactivate the users of the scope the file no longer holds (needs users:update and users:set-active)',
      }),
    ),
    scopeGroup: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'sync only: deactivate only members of this group (id or `type:code`)' }),
    ),
    scopeExternalIdPrefix: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'sync only: deactivate only users whose externalId starts with this' }),
    ),
  },
  { additionalProperties: false },
);

export const ImportErrorsSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      row: Type.Integer({ description: 'Data row of the file (1 = the first after a CSV header); 0: a user a sync could not deactivate' }),
      code: Type.String(),
      field: Type.Union([Type.String(), Type.Null()]),
      message: Type.String(),
      value: Type.Union([Type.String(), Type.Null()], {
        description: 'The value that failed, cut at 100 characters; never a password or password hash',
      }),
      duplicateOf: Type.Union([Type.Integer(), Type.Null()], {
        description: 'For an in-file duplicate (ROW_DUPLICATE), the row it repeats',
      }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page' }),
});
