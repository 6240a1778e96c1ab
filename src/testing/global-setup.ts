import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Runs once before all test files: says plainly which parts of the suite are skipped and why, so a
 * skipped suite is never mistaken for a passing one.
 */
export default function setup(): void {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (!process.env.TEST_DATABASE_URL) {
    say('PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://127.0.0.1:5432/test)');
  } else {
    say(`PostgreSQL tests run against ${process.env.TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')}`);
  }
  if (!process.env.TEST_REDIS_URL) {
    say('Redis tests (limits shared across processes) skipped: TEST_REDIS_URL is not set (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379)');
  }
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    say(`Browser tests (admin page, /docs) skipped: no Chromium at ${chromium} (install Debian's chromium, or set CHROMIUM_PATH)`);
  } else {
    // The browser tests load the compiled page from dist/admin/ui: compile it now, so they never test an old bundle.
    const build = spawnSync('npm', ['run', '--silent', 'build:admin'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build:admin failed: the admin page tests cannot run');
  }
}
