import { AppError } from '../errors/app-error.js';

/**
 * The exit codes of `roster`, documented in docs/cli.md and `roster --help`. Scripts branch on them,
 * so they never change meaning.
 */
export const EXIT = {
  ok: 0,
  /** Bad command line, missing file, local configuration error, or any error the CLI cannot classify. */
  usage: 1,
  /** The API (or the local store) refused the request: a 4xx problem such as VALIDATION_FAILED or USER_NOT_FOUND. */
  refused: 2,
  /** The server failed (5xx) or could not be reached (connection refused, timeout, not Roster). */
  server: 3,
  /** An import ran to the end but some rows failed, or its job stopped (`failed`). */
  partial: 4,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  usage error (bad option, missing file, incomplete --url/--key)
  2  refused by the API or the store (4xx problem: the code and message are printed)
  3  server error (5xx) or the server could not be reached
  4  an import finished with failed rows, or its job failed

Local or remote: with --url and --key (or ROSTER_URL/ROSTER_KEY, or a profile from
ROSTER_CONFIG / ~/.config/roster/profiles.json) the users, import, export, keys and webhooks
commands call that server's /v1 API; without them they act on the local store. See docs/cli.md.`;

/** A mistake on the command line: printed as `error: …`, exit 1. */
export class CliUsageError extends Error {}

/** A problem+json answer of a Roster server. The key is never part of it. */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: Array<{ path?: string; code?: string; message?: string }> = [],
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** The server could not be reached or did not answer like Roster (exit 3). */
export class NetworkError extends Error {}

/** Control characters, bidi overrides and zero-width characters from stored values must not rewrite the terminal. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function safeText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(UNSAFE, '?');
}

/** Columns aligned with two spaces; cells cut at `max` characters. */
export function table(headers: string[], rows: unknown[][], max = 40): string {
  const cells = rows.map((row) =>
    row.map((cell) => {
      const text = safeText(cell);
      return text.length > max ? `${text.slice(0, max - 1)}…` : text;
    }),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `--json`: the value alone on stdout (machine output); otherwise the human text. Messages go to stderr. */
export function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Prints an error as `error CODE: message` plus its field errors (never a stack trace) and answers the exit code. */
export function reportError(error: unknown): number {
  const fields = (list: Array<{ path?: string; code?: string; message?: string }>) => {
    for (const e of list) note(`  ${safeText(e.path ?? '')}: ${safeText(e.code ?? '')} ${safeText(e.message ?? '')}`);
  };
  if (error instanceof RemoteError) {
    note(`error ${safeText(error.code)}: ${safeText(error.message)}${error.requestId ? ` (request ${safeText(error.requestId)})` : ''}`);
    fields(error.errors);
    return error.status >= 500 ? EXIT.server : EXIT.refused;
  }
  if (error instanceof AppError) {
    note(`error ${error.code}: ${safeText(error.message)}`);
    fields(error.errors);
    return error.status >= 500 ? EXIT.server : EXIT.refused;
  }
  if (error instanceof NetworkError) {
    note(`error: ${safeText(error.message)}`);
    return EXIT.server;
  }
  note(`error: ${safeText(error instanceof Error ? error.message : String(error))}`);
  return EXIT.usage;
}
