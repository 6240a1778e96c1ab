import { Type, type Static } from 'typebox';

export const ImportJobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    format: Type.String(),
    dryRun: Type.Boolean({
      description: 'A dry run checks every row and creates nothing; `created` counts the rows that would be created',
    }),
    totalRows: Type.Integer(),
    processed: Type.Integer(),
    created: Type.Integer(),
    failed: Type.Integer(),
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
      Type.Boolean({ description: 'Check every row (rules and uniqueness against existing users) without creating anything' }),
    ),
  },
  { additionalProperties: false },
);

export const ImportErrorsSchema = Type.Object({
  data: Type.Array(
    Type.Object({ row: Type.Integer(), code: Type.String(), field: Type.Union([Type.String(), Type.Null()]), message: Type.String() }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page' }),
});
