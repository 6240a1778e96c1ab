#!/usr/bin/env node
/* global process */
// Fails when a package that `npm ci` installs declares an `engines.node` range that excludes the oldest
// Node.js the project supports (package.json `engines.node`, which the README repeats): npm would print
// EBADENGINE on that Node, and the package may use what it lacks.
//
//   node scripts/check-node-engines.mjs [project folder]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
// semver comes with npm's own dependency tree (and with ours); the range syntax is npm's.
const semver = require('semver');

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const minimum = semver.minVersion(manifest.engines?.node ?? '')?.version;
if (!minimum) {
  process.stderr.write('package.json has no engines.node: say which Node.js Roster supports\n');
  process.exit(1);
}

const refused = [];
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  const range = entry.engines?.node;
  if (where === '' || !range || typeof range !== 'string') continue;
  if (!semver.satisfies(minimum, range, { includePrerelease: true })) {
    refused.push(`${where.replace(/^.*node_modules\//, '')}@${entry.version} needs node ${range}${entry.dev ? ' (dev)' : ''}`);
  }
}
if (refused.length > 0) {
  process.stderr.write(
    `These packages refuse Node.js ${minimum}, the oldest package.json engines.node allows:\n  ${refused.join('\n  ')}\n` +
      'Pin versions that support it (package.json dependencies or overrides), or raise engines.node and the README.\n',
  );
  process.exit(1);
}
process.stdout.write(`Every locked package supports Node.js ${minimum}\n`);
