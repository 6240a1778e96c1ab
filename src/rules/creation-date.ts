import type { FieldErrorCode } from '../errors/codes.js';

/** An ISO 8601 date-time with a zone (`Z` or an offset), or a date alone (midnight UTC). */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

const EPOCH = Date.UTC(1970, 0, 1);

/**
 * A creation date carried over from another system (migrations from Keycloak, Auth0, a CRM): an ISO
 * 8601 date-time with a zone, or a date, that is a real instant, not before 1970 and not after `now`.
 * A date-time without a zone is refused: which instant it names depends on a server's clock settings.
 * @returns the instant in canonical form (`toISOString`), or the field error code.
 */
export function carriedCreationDate(text: string, now = Date.now()): { value: string } | { code: FieldErrorCode } {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (!match) return { code: 'DATE_INVALID' };
  const [, y, mo, d, h, mi] = match;
  if (h !== undefined && match[8] === undefined) return { code: 'DATE_INVALID' };
  const date = new Date(h === undefined ? `${y}-${mo}-${d}T00:00:00Z` : text.trim());
  // Date accepts 2024-02-30 by rolling over: the written day must be the parsed one (before any offset).
  const written = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(date.getTime()) ||
    written.getUTCMonth() !== Number(mo) - 1 ||
    written.getUTCDate() !== Number(d) ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59
  ) {
    return { code: 'DATE_INVALID' };
  }
  if (date.getTime() > now) return { code: 'DATE_IN_FUTURE' };
  if (date.getTime() < EPOCH) return { code: 'FIELD_OUT_OF_RANGE' };
  return { value: date.toISOString() };
}
