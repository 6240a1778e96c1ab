#!/usr/bin/env node
/* global process */
// Bundles the compiled server (dist/serve.js and everything it imports, with its dependencies) into one
// file, dist/server.js, after `tsc` has written dist/; dist/main.js (`npm start`) loads it when it exists.
// One file instead of ~1,800 modules: CPU time to ready about -45 %. The rest of dist/ stays as tsc wrote
// it (the CLI, the worker threads, the admin page); `roster serve` runs unbundled.
//
// Left outside the bundle: native addons, the drivers that load on first use (pg, ioredis) and anything
// required through createRequire at run time (word lists, JSON data), which Node resolves as before.
// Files that find their own files (import.meta.url, __dirname, __filename) get their original location,
// relative to the bundle, so the bundle keeps working wherever dist/ is installed.
//
//   node scripts/bundle-server.mjs        (run by `npm run build:compile` after tsc)
//
// The bundle is not the entry point: main.js sets the young generation's size before it is compiled.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(process.env.ROSTER_BUILD_ROOT ?? path.join(import.meta.dirname, '..'));
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'serve.js');
const outfile = path.join(dist, 'server.js');
// The import thread's entry (src/jobs/import-thread.ts starts it): bundled too, or the thread would load
// ~1,800 modules each time it starts (and hold them: +60 MiB RSS while it runs).
const threadEntry = path.join(dist, 'jobs', 'import-thread-entry.js');

const external = ['better-sqlite3', '@node-rs/argon2', 'pg', 'ioredis'];

/** A path of the original file, relative to dist/ (where the bundle runs), as a JavaScript string. */
const fromBundle = (file) => JSON.stringify(path.relative(dist, file).split(path.sep).join('/') || '.');

const ownLocation = {
  name: 'own-location',
  setup(build) {
    build.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
      let contents = await fs.promises.readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        contents = contents.replaceAll('import.meta.url', `__rosterUrl(${fromBundle(args.path)})`);
      }
      const header = [];
      const declares = (name) => new RegExp(`\\b(const|let|var|function)\\s+${name}\\b`).test(contents);
      if (/\b__dirname\b/.test(contents) && !declares('__dirname'))
        header.push(`var __dirname = __rosterPath(${fromBundle(path.dirname(args.path))});`);
      if (/\b__filename\b/.test(contents) && !declares('__filename'))
        header.push(`var __filename = __rosterPath(${fromBundle(args.path)});`);
      if (header.length > 0) contents = `${header.join(' ')}\n${contents}`;
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

// The bundle is ESM; the CommonJS dependencies inside it call require() for Node's built-in modules.
const banner = [
  "import { createRequire as __rosterCreateRequire } from 'node:module';",
  "import { fileURLToPath as __rosterFileURLToPath } from 'node:url';",
  'const require = __rosterCreateRequire(import.meta.url);',
  'const __rosterUrl = (relative) => new URL(relative, import.meta.url).href;',
  'const __rosterPath = (relative) => __rosterFileURLToPath(__rosterUrl(relative));',
].join('\n');

const started = Date.now();
await build({
  entryPoints: { [path.basename(outfile, '.js')]: entry, 'import-thread': threadEntry },
  outdir: dist,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  banner: { js: banner },
  sourcemap: 'linked',
  // V8 keeps a script's whole source in the heap, as two bytes per character once one character is not
  // Latin-1 (a comment's "§" or "–" was enough): 13 MiB for the readable bundle. Without comments and
  // indentation, in ASCII, it is 3.9 MiB (idle RSS -10 MiB). Names stay as written: stack traces read as
  // before, and the linked source map gives the lines. Full minification measured no smaller RSS.
  minifyWhitespace: true,
  charset: 'ascii',
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [ownLocation],
});
process.stdout.write(
  `Bundled dist/serve.js into dist/server.js and the import thread into dist/import-thread.js in ${Date.now() - started} ms\n`,
);
