import './lib/thread-pool.js';
import { ConfigError } from './config/config.js';
import { StartupError } from './lib/startup-error.js';
import { serve } from './serve.js';

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
