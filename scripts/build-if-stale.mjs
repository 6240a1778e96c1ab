#!/usr/bin/env node
/* global process */
// Builds dist/ only when its inputs changed since the last good build, so `npm start` after a build is
// ready in about a second instead of recompiling for ~17 s.
//
//   node scripts/build-if-stale.mjs            build when stale (prestart, prepare)
//   node scripts/build-if-stale.mjs --force    build now (npm run build)
//
// The inputs' fingerprint (path, size and modification time of every file under src/, the tsconfig
// files, package.json and package-lock.json) is stored in dist/.build-stamp after a successful build.
// A fingerprint rather than "newest modification time" also notices deleted files and files put back
// with an older time (git checkout of another branch). The stamp is removed before building, so a
// failed or interrupted build is never taken for a good one.
//
// ROSTER_BUILD_ROOT and ROSTER_BUILD_COMMAND exist for the script's own test.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.env.ROSTER_BUILD_ROOT ?? path.join(import.meta.dirname, '..'));
const command = process.env.ROSTER_BUILD_COMMAND ?? 'npm run build:compile';
const stampFile = path.join(root, 'dist', '.build-stamp');
const force = process.argv.includes('--force');

/** Every input file under `dir`, relative to the root. */
function filesUnder(dir) {
  const absolute = path.join(root, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs
    .readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

function fingerprint() {
  const topLevel = fs
    .readdirSync(root)
    .filter((name) => /^tsconfig.*\.json$/.test(name) || name === 'package.json' || name === 'package-lock.json');
  const inputs = [...filesUnder('src'), ...topLevel].sort();
  const hash = createHash('sha256');
  for (const file of inputs) {
    const stat = fs.statSync(path.join(root, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const before = fingerprint();
const stamp = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : undefined;
if (!force && stamp === before) {
  process.stdout.write('dist/ is up to date with src/: not rebuilding\n');
  process.exit(0);
}

fs.rmSync(stampFile, { force: true });
process.stdout.write(force ? 'Building dist/\n' : 'dist/ is older than src/: building\n');
const result = spawnSync(command, { cwd: root, stdio: 'inherit', shell: true });
if (result.status !== 0) process.exit(result.status ?? 1);
// The fingerprint taken before the build: a file edited while it ran makes the next start rebuild.
fs.mkdirSync(path.dirname(stampFile), { recursive: true });
fs.writeFileSync(stampFile, `${before}\n`);
