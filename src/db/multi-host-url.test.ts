import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { parseMultiHostUrl, redactMultiHostUrl } from './multi-host-url.js';
import { redactDatabaseUrl } from './wait-for-database.js';

describe('multi-host DATABASE_URL', () => {
  it('reads the libpq form: hosts in order, the target, and one URL pg accepts', () => {
    const url = parseMultiHostUrl(
      'postgres://roster:s3cret@db1:5432,db2:5433,[::1]/roster?target_session_attrs=read-write&sslmode=require',
    );
    expect(url.hosts).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
      { host: '::1', port: 5432 },
    ]);
    expect(url.targetSessionAttrs).toBe('read-write');
    expect(url.singleHostUrl).toBe('postgres://roster:s3cret@db1:5432/roster?sslmode=require');
    expect(() => new URL(url.singleHostUrl)).not.toThrow();
  });

  it.each(['primary', 'any'] as const)('accepts target_session_attrs=%s', (target) => {
    expect(parseMultiHostUrl(`postgresql://u@a,b/db?target_session_attrs=${target}`).targetSessionAttrs).toBe(target);
  });

  it('keeps a single-host URL as written (socket directories and all)', () => {
    expect(parseMultiHostUrl('postgres:///roster?host=/var/run/postgresql').singleHostUrl).toBe(
      'postgres:///roster?host=/var/run/postgresql',
    );
    expect(parseMultiHostUrl('postgres://u@127.0.0.1:5432/roster').hosts).toEqual([{ host: '127.0.0.1', port: 5432 }]);
  });

  it('is accepted by the configuration, and shown in logs without its password', () => {
    const text = 'postgres://roster:s3cret@db1:5432,db2:5433/roster?target_session_attrs=read-write';
    expect(loadConfig({ DATABASE_URL: text }).databaseUrl).toBe(text);
    expect(redactDatabaseUrl(text)).toBe('postgres://roster:***@db1:5432,db2:5433/roster?target_session_attrs=read-write');
    expect(redactMultiHostUrl('postgres://u@a,b/db?password=x&sslmode=require')).toBe('postgres://u@a,b/db?password=***&sslmode=require');
  });
});
