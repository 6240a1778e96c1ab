import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildOpenApiDocument } from './document.js';

/**
 * `npm run lint:openapi`: lints the document /openapi.json serves with `redocly lint` (rules in
 * redocly.yaml), built without a network server and written to a temporary folder so the work tree
 * stays clean. Arguments are passed on to redocly (e.g. `--format=summary`). Exits with redocly's status.
 */
const folder = mkdtempSync(join(tmpdir(), 'roster-openapi-'));
let status = 1;
try {
  const file = join(folder, 'openapi.json');
  writeFileSync(file, `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`);
  const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
  const run = spawnSync(process.execPath, [cli, 'lint', file, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  status = run.status ?? 1;
} finally {
  rmSync(folder, { recursive: true, force: true });
}
process.exit(status);
