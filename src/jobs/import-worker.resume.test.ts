import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-resume-'));
const adminKey = `rst_${randomBytes(32).toString('hex')}`;
const port = 20000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;

function startServer(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      ROSTER_DATA_DIR: dataDir,
      DATABASE_URL: '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ROSTER_ADMIN_KEY: adminKey,
      ROSTER_IMPORT_STALE_SECONDS: '1',
    },
  });
}

async function call(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'x-roster-tenant': 'resume', ...headers },
    ...(body ? { body } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('timed out');
}

describe('import job across a crash (SQLite file)', () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('should resume after SIGKILL and create every row exactly once', { timeout: 180_000 }, async () => {
    let server = startServer();
    await waitUntil(async () => (await fetch(`${base}/readyz`)).ok, 60_000);
    expect((await call('POST', '/v1/tenants', JSON.stringify({ slug: 'resume' }), { 'content-type': 'application/json' })).status).toBe(
      201,
    );

    const rows = 20_000;
    const body = Array.from({ length: rows }, (_, i) => JSON.stringify({ email: `r${i}@example.com`, givenName: `R ${i}` })).join('\n');
    const submitted = await call('POST', '/v1/imports', body, { 'content-type': 'application/x-ndjson' });
    expect(submitted.status).toBe(202);
    const id = submitted.json.id as string;

    // Kill the process once some, but not all, rows are in.
    let before = 0;
    await waitUntil(async () => {
      before = (await call('GET', `/v1/imports/${id}`)).json.processed as number;
      return before > 0;
    }, 60_000);
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    expect(before).toBeLessThan(rows);

    server = startServer();
    try {
      await waitUntil(async () => (await call('GET', `/v1/imports/${id}`)).json.status === 'completed', 120_000);
      const job = (await call('GET', `/v1/imports/${id}`)).json;
      expect(job).toMatchObject({ processed: rows, created: rows, failed: 0 });
      let count = 0;
      const seen = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = (await call('GET', `/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).json as {
          data: Array<{ email: string }>;
          nextCursor: string | null;
        };
        for (const user of page.data) seen.add(user.email);
        count += page.data.length;
        cursor = page.nextCursor;
      } while (cursor);
      expect(count).toBe(rows);
      expect(seen.size).toBe(rows);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});
