import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_TYPES_FILE, generateClientTypes } from './openapi-client-types.js';

/** `npm run openapi:types`: regenerates the client types the typed-client test compiles against. */
writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes());
process.stdout.write(`Written ${fileURLToPath(CLIENT_TYPES_FILE)}\n`);
