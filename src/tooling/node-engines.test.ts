import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/check-node-engines.mjs');

/** A project folder with this package.json engines and these locked packages. */
function project(engines: string, packages: Record<string, { version: string; engines?: { node: string }; dev?: boolean }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-engines-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', engines: { node: engines } }));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x' }, ...packages } }),
  );
  return dir;
}

describe('the Node.js the README documents (package.json engines.node)', () => {
  it('should be supported by every package npm ci installs, so npm prints no EBADENGINE', () => {
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    expect(out).toMatch(/Every locked package supports Node\.js 20\.19\.0/);
  });

  it('should refuse a lock holding a runtime or a dev package that needs a newer Node, naming it', () => {
    const dir = project('>=20.19', {
      'node_modules/cookie': { version: '2.0.2', engines: { node: '>=22' } },
      'node_modules/@fastify/static/node_modules/content-disposition': { version: '3.0.0', engines: { node: '>=22' } },
      'node_modules/vega-lite': { version: '6.5.0', engines: { node: '>=22' }, dev: true },
      'node_modules/glob': { version: '11.0.0', engines: { node: '18 || 20 || >=22' } },
    });
    const result = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cookie@2.0.2 needs node >=22');
    expect(result.stderr).toContain('content-disposition@3.0.0 needs node >=22');
    expect(result.stderr).toContain('vega-lite@6.5.0 needs node >=22 (dev)');
    expect(result.stderr).not.toContain('glob');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
