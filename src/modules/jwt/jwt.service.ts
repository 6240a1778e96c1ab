import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Db } from '../../db/database.js';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors/app-error.js';
import type { Principal } from '../context.js';
import { permissionsOfRole } from '../roles/role.service.js';
import type { TenantService } from '../tenants/tenant.service.js';

const HMAC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies bearer JWTs issued by an identity provider the operator trusts (ROSTER_JWT_SECRET for
 * HMAC, ROSTER_JWT_JWKS_URL for public keys). A verified token acts in the tenant its caller names,
 * with the role in its `roster_role` claim or ROSTER_JWT_ROLE; a `tenant` claim, when present, must
 * name the same tenant.
 */
export class JwtService {
  readonly #secret: Uint8Array | undefined;
  readonly #jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly db: Db, private readonly tenants: TenantService, private readonly config: Config['jwt']) {
    this.#secret = config.secret === undefined ? undefined : new TextEncoder().encode(config.secret);
    this.#jwks = config.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  }

  get enabled(): boolean {
    return this.#secret !== undefined || this.#jwks !== undefined;
  }

  /** A compact JWS (three base64url parts), as opposed to an API key or session token. */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
  }

  private async verify(token: string): Promise<JWTPayload | undefined> {
    const options = { ...(this.config.issuer ? { issuer: this.config.issuer } : {}), ...(this.config.audience ? { audience: this.config.audience } : {}) };
    for (const [key, algorithms] of [[this.#secret, HMAC], [this.#jwks, ASYMMETRIC]] as const) {
      if (key === undefined) continue;
      try {
        const verifyOptions = { ...options, algorithms: [...algorithms] };
        // jose types a key and a key-set function as two overloads.
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
        return payload;
      } catch (error) {
        // A key-set that cannot be fetched is our outage, not the caller's bad token.
        if (error instanceof joseErrors.JWKSTimeout) throw new AppError('SERVICE_UNAVAILABLE', { detail: 'The JWT key set could not be fetched' });
      }
    }
    return undefined;
  }

  /**
   * @returns the principal of a valid token for the named tenant, or undefined when the token is not valid.
   * @throws TENANT_NOT_FOUND; TENANT_ACCESS_DENIED when the token's `tenant` claim names another tenant.
   */
  async authenticate(token: string, tenantRef: string | undefined): Promise<Principal | undefined> {
    if (!this.enabled || !JwtService.looksLikeJwt(token)) return undefined;
    const claims = await this.verify(token);
    if (!claims) return undefined;
    const named = tenantRef ?? (typeof claims.tenant === 'string' ? claims.tenant : undefined);
    if (named === undefined) throw new AppError('TENANT_REQUIRED');
    const tenant = await this.tenants.getTenant(named);
    if (typeof claims.tenant === 'string') {
      const claimed = await this.tenants.findTenant(claims.tenant);
      if (claimed?.id !== tenant.id) throw new AppError('TENANT_ACCESS_DENIED');
    }
    const role = typeof claims.roster_role === 'string' ? claims.roster_role : this.config.role;
    const permissions = (await permissionsOfRole(this.db, tenant.id, role)) ?? [];
    return { kind: 'jwt', id: String(claims.sub ?? 'anonymous').slice(0, 200), tenantId: tenant.id, role, permissions: new Set(permissions) };
  }
}
