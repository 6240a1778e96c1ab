import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../app.js';
import { cliPrincipal } from '../cli/cli-context.js';
import { loadConfig } from '../config/config.js';
import { backupSqlite, restoreSqlite } from './sqlite-backup.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-backup-'));
const root = path.resolve(import.meta.dirname, '../..');
const configFor = (dataDir: string) =>
  loadConfig({ ROSTER_DATA_DIR: dataDir, ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });

describe('SQLite backup and restore', () => {
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('should back up a running store and restore every user it held', { timeout: 120_000 }, async () => {
    const live = path.join(work, 'live');
    const core = await createCore({ config: configFor(live) });
    const tenant = await core.tenants.createTenant(cliPrincipal, { slug: 'backup-co' });
    const ctx = { tenantId: tenant.id, principal: cliPrincipal, requestId: 'test' };
    const created = await core.users.createUsers(
      ctx,
      Array.from({ length: 120 }, (_, i) => ({ email: `b${i}@acme.com`, password: 'correct horse battery staple' })),
      { mode: 'atomic' },
    );
    expect(created.every((o) => o.status === 'created')).toBe(true);

    // The server keeps writing during and after the backup: the copy is the moment it was taken.
    const backupFile = path.join(work, 'roster-backup.sqlite');
    const [{ users }] = await Promise.all([backupSqlite(live, backupFile), core.users.createUser(ctx, { email: 'during@acme.com' })]);
    expect(users).toBeGreaterThanOrEqual(120);
    await core.users.createUser(ctx, { email: 'after@acme.com' });
    await core.close();
    await expect(backupSqlite(live, backupFile)).rejects.toThrow(/exists/);

    const restored = path.join(work, 'restored');
    expect(restoreSqlite(backupFile, restored).users).toBe(users);
    const again = await createCore({ config: configFor(restored) });
    try {
      const emails = [];
      for (let cursor: string | undefined; ;) {
        const page = await again.users.listUsers(ctx, { limit: 100, ...(cursor ? { cursor } : {}) });
        emails.push(...page.data.map((u) => u.email));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      for (let i = 0; i < 120; i++) expect(emails).toContain(`b${i}@acme.com`);
      expect(emails).not.toContain('after@acme.com');
      // Passwords came along: a restored user can log in.
      expect(
        (await again.sessions.login('backup-co', { login: 'b7@acme.com', password: 'correct horse battery staple' }, '127.0.0.1')).user
          .email,
      ).toBe('b7@acme.com');
    } finally {
      await again.close();
    }

    // Restoring over an existing store keeps that store aside.
    const { previous } = restoreSqlite(backupFile, live);
    expect(previous && fs.existsSync(previous)).toBe(true);
    fs.writeFileSync(path.join(work, 'garbage.sqlite'), 'not a database');
    expect(() => restoreSqlite(path.join(work, 'garbage.sqlite'), path.join(work, 'x'))).toThrow();
  });

  it('should offer it as `roster backup` and `roster restore`', { timeout: 120_000 }, () => {
    const env = { ...process.env, ROSTER_DATA_DIR: path.join(work, 'restored'), DATABASE_URL: '' };
    const file = path.join(work, 'cli-backup.sqlite');
    const backup = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'backup', file], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect([backup.status, backup.stdout]).toEqual([0, expect.stringMatching(/^Backed up \d+ users to /)]);
    const restore = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'restore', file], {
      cwd: root,
      env: { ...env, ROSTER_DATA_DIR: path.join(work, 'cli-restored') },
      encoding: 'utf8',
    });
    expect([restore.status, restore.stdout]).toEqual([0, expect.stringMatching(/^Restored \d+ users into /)]);
    const pg = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'backup', file], {
      cwd: root,
      env: { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      encoding: 'utf8',
    });
    expect([pg.status, pg.stderr]).toEqual([1, expect.stringContaining('pg_dump')]);
  });
});
