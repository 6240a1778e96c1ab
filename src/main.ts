import fs from 'node:fs';
import './lib/thread-pool.js';
import { keepYoungGenerationSmall } from './lib/young-generation.js';
import type * as Serve from './serve.js';

// Before the server's code loads: loading it is what would grow the young generation.
keepYoungGenerationSmall();
// `npm run build` bundles serve.js and its dependencies into server.js (scripts/bundle-server.mjs): one file
// starts faster than ~1,800 modules. From the sources (tsx) or a build without it, serve.js itself.
const bundle = new URL('./server.js', import.meta.url);
const { serve, ConfigError, StartupError } = (await import(fs.existsSync(bundle) ? bundle.href : './serve.js')) as typeof Serve;

serve().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
  } else if (error instanceof StartupError) {
    process.stderr.write(`Roster cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`Roster failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
