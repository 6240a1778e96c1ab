import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('should apply the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: undefined, logLevel: 'info', argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 } });
    expect(config.dataDir).toMatch(/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /PORT must be a whole number/],
    ['PORT', '70000', /PORT must be between/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must start with postgres/],
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
    expect(() => loadConfig({ ROSTER_IMPORT_MAX_RECORD_BYTES: '4096', ROSTER_IMPORT_MAX_FIELD_BYTES: '8192' })).toThrow(/ROSTER_IMPORT_MAX_FIELD_BYTES .* must not be larger than ROSTER_IMPORT_MAX_RECORD_BYTES/);
    expect(() => loadConfig({ ROSTER_IMPORT_MAX_RECORD_BYTES: '1073741824' })).toThrow(/ROSTER_IMPORT_MAX_RECORD_BYTES must be between/);
  });

  it('should accept an admin key made with openssl rand -hex 32', () => {
    const key = `rst_${'ab'.repeat(32)}`;
    expect(loadConfig({ ROSTER_ADMIN_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/roster' })).toMatchObject({ adminKey: key, databaseUrl: 'postgres://127.0.0.1/roster' });
  });
});
