import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Db } from '../../db/database.js';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors/app-error.js';
import type { Principal } from '../context.js';
import { loadRoles } from '../roles/role.service.js';
import type { TenantService } from '../tenants/tenant.service.js';

const HMAC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A claim's value when it is a non-empty string; other types count as absent. */
function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Verifies bearer JWTs issued by an identity provider the operator trusts (ROSTER_JWT_SECRET for
 * HMAC, ROSTER_JWT_JWKS_URL for public keys). A token is bound: it must carry `exp` (no further ahead
 * than ROSTER_JWT_MAX_LIFETIME_SECONDS), `iss`/`aud` when configured, and name its tenant in the
 * tenant claim; a caller's tenant header must name the same tenant. It acts as a role of that tenant
 * named in the role claim, else ROSTER_JWT_ROLE; there is no default role.
 */
export class JwtService {
  readonly #secret: Uint8Array | undefined;
  readonly #jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly db: Db,
    private readonly tenants: TenantService,
    private readonly config: Config['jwt'],
  ) {
    this.#secret = config.secret === undefined ? undefined : new TextEncoder().encode(config.secret);
    this.#jwks =
      config.jwksUrl === undefined
        ? undefined
        : createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  }

  get enabled(): boolean {
    return this.#secret !== undefined || this.#jwks !== undefined;
  }

  /** A compact JWS (three base64url parts), as opposed to an API key or session token. */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
  }

  private verifyOptions(algorithms: readonly string[]): JWTVerifyOptions {
    const { issuer, audience } = this.config;
    return {
      algorithms: [...algorithms],
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
      requiredClaims: ['exp', ...(issuer ? ['iss'] : []), ...(audience ? ['aud'] : [])],
    };
  }

  private async verify(token: string): Promise<JWTPayload | undefined> {
    for (const [key, algorithms] of [
      [this.#secret, HMAC],
      [this.#jwks, ASYMMETRIC],
    ] as const) {
      if (key === undefined) continue;
      try {
        const options = this.verifyOptions(algorithms);
        // jose types a key and a key-set function as two overloads.
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        return payload;
      } catch (error) {
        // A key-set that cannot be fetched is our outage, not the caller's bad token.
        if (error instanceof joseErrors.JWKSTimeout)
          throw new AppError('SERVICE_UNAVAILABLE', { detail: 'The JWT key set could not be fetched' });
      }
    }
    return undefined;
  }

  /**
   * @returns the principal of a valid token for the named tenant, or undefined when the token is not a valid JWT.
   * @throws UNAUTHENTICATED for a verified token that is not bound (no tenant claim, too long a lifetime);
   *   TENANT_ACCESS_DENIED when the tenant claim names another tenant than `tenantRef`;
   *   PERMISSION_DENIED when the token names no role, or one the tenant does not have.
   */
  async authenticate(token: string, tenantRef: string | undefined): Promise<Principal | undefined> {
    if (!this.enabled || !JwtService.looksLikeJwt(token)) return undefined;
    const claims = await this.verify(token);
    if (!claims) return undefined;
    const { tenantClaim, roleClaim, maxLifetimeSeconds } = this.config;
    // `exp` is required by verify(); a token valid for longer than the maximum is a standing credential.
    const lifetime =
      (claims.exp as number) - (typeof claims.iat === 'number' ? Math.min(claims.iat, Date.now() / 1000) : Date.now() / 1000);
    if (lifetime > maxLifetimeSeconds)
      throw new AppError('UNAUTHENTICATED', { detail: `Unauthorized: the JWT is valid for more than ${maxLifetimeSeconds} seconds` });
    const claimed = stringClaim(claims, tenantClaim);
    if (claimed === undefined)
      throw new AppError('UNAUTHENTICATED', { detail: `Unauthorized: the JWT names no tenant in its "${tenantClaim}" claim` });
    const tenant = await this.tenants.findTenant(claimed);
    const named = tenantRef?.trim() ? await this.tenants.findTenant(tenantRef.trim()) : tenant;
    // Another tenant than the token's, whether or not it exists, is refused alike.
    if (tenant === undefined || named?.id !== tenant.id) throw new AppError('TENANT_ACCESS_DENIED');
    const roleName = stringClaim(claims, roleClaim) ?? this.config.role;
    if (roleName === undefined) {
      throw new AppError('PERMISSION_DENIED', {
        detail: `The JWT names no role: put a role of the tenant in its "${roleClaim}" claim, or set ROSTER_JWT_ROLE`,
      });
    }
    const role = (await loadRoles(this.db, tenant.id, [roleName])).get(roleName);
    if (role === undefined)
      throw new AppError('PERMISSION_DENIED', { detail: `The JWT's role "${roleName}" is not a role of this tenant` });
    return {
      kind: 'jwt',
      id: String(claims.sub ?? 'anonymous').slice(0, 200),
      tenantId: tenant.id,
      role: role.name,
      permissions: new Set(role.permissions),
    };
  }
}
