import { IsObject, IsRecord, Type, type Static, type TObject, type TSchema, type TUnsafe } from 'typebox';

/** A JSON Merge Patch (RFC 7396) of T: every member optional, `null` removes it (so its default applies again). */
export type MergePatch<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: MergePatch<T[K]> | null } : T;

/** `schema` or null; its description is kept on the union, where OpenAPI readers look for it. */
function nullable(schema: TSchema): TSchema {
  const { description } = schema as { description?: string };
  return Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
}

/**
 * A member's schema inside a merge patch. Objects whose members are all optional (partial maps) and
 * records are patched member by member, as applyMergePatch merges them; an object with required
 * members (a mail template) is replaced whole, so a patch cannot leave half of one.
 */
function memberPatch(schema: TSchema): TSchema {
  if (IsRecord(schema)) {
    const {
      patternProperties,
      type: _type,
      ...options
    } = schema as unknown as { patternProperties: Record<string, TSchema>; type: string };
    const [value] = Object.values(patternProperties) as [TSchema];
    return Type.Record(Type.String(), nullable(memberPatch(value)), options);
  }
  if (IsObject(schema) && ((schema as { required?: string[] }).required ?? []).length === 0) return objectPatch(schema);
  return schema;
}

function objectPatch(schema: TObject): TSchema {
  const { properties, required: _required, type: _type, ...options } = schema;
  const members = Object.fromEntries(
    Object.entries(properties).map(([key, member]) => [key, Type.Optional(nullable(memberPatch(member)))]),
  );
  return Type.Object(members, options);
}

/**
 * The schema of a merge patch of an object schema, itself nullable: `null` for the whole object or for
 * any member resets it, at every depth the object merges at. What applyMergePatch (json-merge-patch.ts)
 * does with such a patch is what the schema lets through.
 */
export function mergePatchSchema<T extends TObject>(schema: T): TUnsafe<MergePatch<Static<T>> | null> {
  return Type.Unsafe<MergePatch<Static<T>> | null>(nullable(objectPatch(schema)));
}
