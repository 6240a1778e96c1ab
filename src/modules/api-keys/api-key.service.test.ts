import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/kysely.js';
import { testDialects } from '../../testing/test-db.js';
import { ApiKeyService } from './api-key.service.js';

const sqlite = testDialects[0]!;

describe('ApiKeyService', () => {
  let database: Database;
  let sut: ApiKeyService;
  beforeAll(async () => {
    database = await sqlite.open();
    sut = new ApiKeyService(database.db);
  });
  afterAll(async () => database?.close());

  describe('ensureAdminKey', () => {
    it('should create a bootstrap key once when none exists and none is configured', async () => {
      const first = await sut.ensureAdminKey(undefined);
      expect(first).toMatch(/^rst_/);
      expect(await sut.ensureAdminKey(undefined)).toBeUndefined();
      expect((await sut.authenticate(first as string))?.permissions.has('tenants:manage')).toBe(true);
    });

    it('should make ROSTER_ADMIN_KEY a platform key and replace it when the value changes', async () => {
      const one = `rst_${'a'.repeat(16)}${'1'.repeat(40)}`;
      const two = `rst_${'b'.repeat(16)}${'2'.repeat(40)}`;
      await sut.ensureAdminKey(one);
      await sut.ensureAdminKey(one);
      expect((await sut.authenticate(one))?.tenantId).toBeNull();
      await sut.ensureAdminKey(two);
      expect(await sut.authenticate(one)).toBeUndefined();
      expect(await sut.authenticate(two)).toBeDefined();
    });
  });

  describe('authenticate', () => {
    it('should refuse a key whose prefix matches but whose secret differs', async () => {
      const key = `rst_${'c'.repeat(16)}${'3'.repeat(40)}`;
      await sut.ensureAdminKey(key);
      expect(await sut.authenticate(`${key.slice(0, 30)}${'4'.repeat(26)}`)).toBeUndefined();
      expect(await sut.authenticate('not-a-key')).toBeUndefined();
    });
  });
});
