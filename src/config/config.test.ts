import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('should apply the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      logLevel: 'info',
      argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
    });
    expect(config.dataDir).toMatch(/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /PORT must be a whole number/],
    ['PORT', '70000', /PORT must be between/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must start with postgres/],
    ['DATABASE_URL', 'postgres://u@h1:5432,h2:5433/roster?target_session_attrs=standby', /target_session_attrs=standby is not supported/],
    ['DATABASE_URL', 'postgres://u@h1:5432,h2:port/roster', /unreadable host "h2:port"/],
    ['ROSTER_ADMIN_KEY', 'short', /ROSTER_ADMIN_KEY must be "rst_"/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['ROSTER_ARGON2_MEMORY_KIB', '10', /ROSTER_ARGON2_MEMORY_KIB must be between/],
  ])('should refuse %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('should cap import records and cells far below the upload, and keep the cell cap within the record cap', () => {
    expect(loadConfig({})).toMatchObject({ importMaxBytes: 268_435_456, importMaxRecordBytes: 65_536, importMaxFieldBytes: 32_768 });
    expect(loadConfig({ ROSTER_IMPORT_MAX_RECORD_BYTES: '4096' })).toMatchObject({ importMaxRecordBytes: 4096, importMaxFieldBytes: 4096 });
    expect(() => loadConfig({ ROSTER_IMPORT_MAX_RECORD_BYTES: '4096', ROSTER_IMPORT_MAX_FIELD_BYTES: '8192' })).toThrow(
      /ROSTER_IMPORT_MAX_FIELD_BYTES .* must not be larger than ROSTER_IMPORT_MAX_RECORD_BYTES/,
    );
    expect(() => loadConfig({ ROSTER_IMPORT_MAX_RECORD_BYTES: '1073741824' })).toThrow(/ROSTER_IMPORT_MAX_RECORD_BYTES must be between/);
  });

  it('should read the tenant of Rocket.Chat logins that name none', () => {
    expect(loadConfig({}).rocketChatTenant).toBeUndefined();
    expect(loadConfig({ ROSTER_ROCKETCHAT_TENANT: 'acme' }).rocketChatTenant).toBe('acme');
  });

  it('should accept an admin key made with openssl rand -hex 32', () => {
    const key = `rst_${'ab'.repeat(32)}`;
    expect(loadConfig({ ROSTER_ADMIN_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/roster' })).toMatchObject({
      adminKey: key,
      databaseUrl: 'postgres://127.0.0.1/roster',
    });
  });

  it('should bind JWTs by default: tenant and role claims, a lifetime cap, no default role, and JWKS only with an audience', () => {
    expect(loadConfig({}).jwt).toMatchObject({
      role: undefined,
      tenantClaim: 'tenant',
      roleClaim: 'roster_role',
      maxLifetimeSeconds: 86_400,
    });
    expect(
      loadConfig({ ROSTER_JWT_TENANT_CLAIM: 'org_id', ROSTER_JWT_ROLE_CLAIM: 'https://roster/role', ROSTER_JWT_ROLE: 'viewer' }).jwt,
    ).toMatchObject({ tenantClaim: 'org_id', roleClaim: 'https://roster/role', role: 'viewer' });
    expect(() => loadConfig({ ROSTER_JWT_JWKS_URL: 'https://idp.example/jwks.json' })).toThrow(
      /ROSTER_JWT_JWKS_URL needs ROSTER_JWT_AUDIENCE/,
    );
    expect(loadConfig({ ROSTER_JWT_JWKS_URL: 'https://idp.example/jwks.json', ROSTER_JWT_AUDIENCE: 'roster' }).jwt.audience).toBe('roster');
    expect(() => loadConfig({ ROSTER_JWT_TENANT_CLAIM: '__proto__' })).toThrow(ConfigError);
  });

  it('should trust no proxy by default, and take true, a hop count or proxy addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ ROSTER_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ ROSTER_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ROSTER_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ROSTER_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['proxy.example', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/2'])
      expect(() => loadConfig({ ROSTER_TRUST_PROXY: bad })).toThrow(/ROSTER_TRUST_PROXY must be/);
  });
});

describe('loadConfig: links and start-up', () => {
  it('should make mailed links follow HOST and PORT unless ROSTER_PUBLIC_URL says otherwise', () => {
    expect(loadConfig({}).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ PORT: '18300' }).publicUrl).toBe('http://127.0.0.1:18300');
    expect(loadConfig({ HOST: 'roster.internal', PORT: '9000' }).publicUrl).toBe('http://roster.internal:9000');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({ HOST: '::', PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
    expect(loadConfig({ PORT: '9000', ROSTER_PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
  });

  it('should wait 30 s for an unreachable database by default, and take 0 (no retry) to an hour', () => {
    expect(loadConfig({}).dbConnectTimeoutSeconds).toBe(30);
    expect(loadConfig({ ROSTER_DB_CONNECT_TIMEOUT: '0' }).dbConnectTimeoutSeconds).toBe(0);
    expect(() => loadConfig({ ROSTER_DB_CONNECT_TIMEOUT: '5s' })).toThrow(/ROSTER_DB_CONNECT_TIMEOUT must be a whole number/);
    expect(() => loadConfig({ ROSTER_DB_CONNECT_TIMEOUT: '7200' })).toThrow(/ROSTER_DB_CONNECT_TIMEOUT must be between 0 and 3600/);
  });
});

describe('loadConfig: mail senders', () => {
  it('should read ROSTER_MAIL_FROM_DOMAINS as lower-case ASCII domains, unset meaning only the built-in sender', () => {
    expect(loadConfig({}).mailFromDomains).toBeUndefined();
    expect(loadConfig({ ROSTER_MAIL_FROM_DOMAINS: ' Acme.Example , bücher.example,' }).mailFromDomains).toEqual([
      'acme.example',
      'xn--bcher-kva.example',
    ]);
    for (const bad of ['acme.example,not a domain', '-bad.example', 'a@b.example'])
      expect(() => loadConfig({ ROSTER_MAIL_FROM_DOMAINS: bad })).toThrow(/ROSTER_MAIL_FROM_DOMAINS must be/);
  });
});
