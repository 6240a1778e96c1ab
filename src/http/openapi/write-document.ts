import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildOpenApiDocument } from './document.js';

/**
 * `tsx src/http/openapi/write-document.ts <file>`: writes the served OpenAPI document to a file, for
 * `npm run lint:openapi` and client generators. Opens no port and touches no data directory.
 */
const target = resolve(process.argv[2] ?? 'openapi.json');
const document = await buildOpenApiDocument();
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
process.stdout.write(`OpenAPI document written to ${target}\n`);
