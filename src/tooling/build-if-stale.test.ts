import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * `npm start` runs scripts/build-if-stale.mjs (prestart): it builds only when src/, a tsconfig, package.json
 * or the lock changed since the last good build. Run here on a small project folder whose "build" only
 * counts itself, so the test measures what is built, not how long it takes.
 */
const script = path.resolve(import.meta.dirname, '../../scripts/build-if-stale.mjs');
let dir: string;

function start(options: { force?: boolean; failBuild?: boolean } = {}): { status: number | null; builds: number; stdout: string } {
  const build = `printf x >> builds.log${options.failBuild ? '; exit 3' : ''}`;
  const result = spawnSync(process.execPath, [script, ...(options.force ? ['--force'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, ROSTER_BUILD_ROOT: dir, ROSTER_BUILD_COMMAND: build },
  });
  const log = path.join(dir, 'builds.log');
  return { status: result.status, builds: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').length : 0, stdout: result.stdout };
}

/** Gives a file a modification time well apart from any other, as an edit or a checkout would. */
function touch(file: string, seconds: number): void {
  fs.utimesSync(path.join(dir, file), seconds, seconds);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-build-'));
  fs.mkdirSync(path.join(dir, 'src/http'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src/main.ts'), 'export {};\n');
  fs.writeFileSync(path.join(dir, 'src/http/server.ts'), 'export {};\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm start (build only when stale)', { timeout: 120_000 }, () => {
  it('should build on the first start and not again on a restart with nothing changed', () => {
    expect(start()).toMatchObject({ status: 0, builds: 1 });
    const second = start();
    expect(second).toMatchObject({ status: 0, builds: 1 });
    expect(second.stdout).toContain('not rebuilding');
    expect(start()).toMatchObject({ status: 0, builds: 1 });
  });

  it('should rebuild after a source file, a tsconfig or package.json changed, a file was added or deleted', () => {
    start();
    touch('src/http/server.ts', 1_000_000);
    expect(start().builds).toBe(2);
    touch('tsconfig.json', 1_000_000);
    expect(start().builds).toBe(3);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"changed"}\n');
    expect(start().builds).toBe(4);
    fs.writeFileSync(path.join(dir, 'src/new-module.ts'), 'export {};\n');
    expect(start().builds).toBe(5);
    fs.rmSync(path.join(dir, 'src/new-module.ts'));
    expect(start().builds).toBe(6);
    // A file put back with an older time (another branch checked out) is a change too.
    touch('src/main.ts', 1000);
    expect(start().builds).toBe(7);
    expect(start().builds).toBe(7);
  });

  it('should not take a failed build for a good one, and build again on --force', () => {
    start();
    touch('src/main.ts', 2_000_000);
    expect(start({ failBuild: true })).toMatchObject({ status: 3, builds: 2 });
    expect(start()).toMatchObject({ status: 0, builds: 3 });
    expect(start({ force: true })).toMatchObject({ status: 0, builds: 4 });
    expect(start()).toMatchObject({ status: 0, builds: 4 });
  });
});
