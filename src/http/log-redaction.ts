import type { FastifyInstance, FastifyRequest } from 'fastify';

export const REDACTED = '[redacted]';

/** Query parameters whose value may be a secret (mail link tokens, keys, OAuth codes…): any name containing one of these. */
const SECRET_QUERY = /token|secret|passw|key|code|sig|auth|session|otp|jwt|credential|ticket|nonce/i;
/** Path parameters that carry a secret: `:token`, `:resetToken`, `:secret`… but not `:tokenId`, an id. */
const SECRET_PARAM = /(?:^|[a-z_-])(?:token|secret|password|passcode|otp|signature|code)$/i;

/** A route's path as segments; a parameter segment is `{ param, secret }`. */
type Segment = string | { param: string; secret: boolean };

/**
 * Keeps secrets out of logged URLs. Query values with secret-looking names become `[redacted]`, and so
 * do path segments in the position of a secret parameter of any registered route (`/v1/password-setups/:token`),
 * whether or not the request matched that route's method, so a GET to a POST-only token URL is redacted too.
 */
export class UrlRedactor {
  readonly #secretRoutes: Segment[][] = [];

  /** Learns every route with a secret path parameter as it is registered (call before routes are added). */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const segments = route.url
        .split('/')
        .map((part): Segment => (part.startsWith(':') ? { param: part.slice(1), secret: SECRET_PARAM.test(part.slice(1)) } : part));
      if (segments.some((s) => typeof s !== 'string' && s.secret)) this.#secretRoutes.push(segments);
    });
  }

  redact(url: string): string {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    return this.#redactPath(path) + (q < 0 ? '' : `?${redactQuery(url.slice(q + 1))}`);
  }

  #redactPath(path: string): string {
    const parts = path.split('/');
    // Empty segments (`//`, a trailing `/`) are skipped on both sides, and longer paths match by their prefix:
    // a token must not slip into the log through an odd spelling of its URL.
    const present = parts.flatMap((part, i) => (part === '' ? [] : [i]));
    const secret = new Set<number>();
    for (const route of this.#secretRoutes) {
      const segments = route.filter((s) => s !== '');
      if (present.length < segments.length) continue;
      const matches = segments.every(
        (s, i) => typeof s !== 'string' || s.toLowerCase() === decodeSafely(parts[present[i] as number] as string).toLowerCase(),
      );
      if (matches) segments.forEach((s, i) => typeof s !== 'string' && s.secret && secret.add(present[i] as number));
    }
    return secret.size === 0 ? path : parts.map((part, i) => (secret.has(i) ? REDACTED : part)).join('/');
  }
}

function decodeSafely(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The query string with the values of secret-looking parameters replaced (kept as text: no re-encoding of the rest). */
export function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeSafely((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
      return SECRET_QUERY.test(name) && eq >= 0 ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * The request as logged ("incoming request", errors): method, the matched route pattern, the URL with secrets
 * redacted, and the client address (the proxy-resolved one under ROSTER_TRUST_PROXY, and the socket peer).
 */
export function requestSerializer(redactor: UrlRedactor) {
  return (request: FastifyRequest) => ({
    method: request.method,
    route: request.routeOptions?.url,
    url: redactor.redact(request.url),
    remoteAddress: request.ip,
    peerAddress: request.socket?.remoteAddress,
  });
}
