import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { AppError } from '../errors/app-error.js';

/**
 * The admin page may load its own scripts and styles and talk to its own origin, nothing else: no
 * inline script or style, no third party, no framing.
 */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const ASSET_NAME = /^[a-z0-9-]+\.(js|css|svg)$/;

/**
 * Where the built page is: beside this module once compiled (dist/admin/ui), or in dist when this
 * module runs from source (the tests). `npm run build` produces it.
 */
function assetDirectory(): string | undefined {
  const candidates = [new URL('./ui/', import.meta.url), new URL('../../dist/admin/ui/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => fs.existsSync(`${dir}app.js`) && fs.existsSync(`${dir}index.html`));
}

/** The page's files, read once at start: a handful of small files, served from memory. */
function loadAssets(dir: string): Map<string, { type: string; body: Buffer }> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const name of fs.readdirSync(dir)) {
    if (name !== 'index.html' && !ASSET_NAME.test(name)) continue;
    assets.set(name, {
      type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      body: fs.readFileSync(`${dir}${name}`),
    });
  }
  return assets;
}

/** Serves the admin page at /admin: static files that use only the public /v1 API. */
export const adminPageRoutes: FastifyPluginAsync = async (app) => {
  const dir = assetDirectory();
  const assets = dir ? loadAssets(dir) : new Map<string, { type: string; body: Buffer }>();
  const headers = {
    'content-security-policy': ADMIN_CSP,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };

  const index = async (_request: unknown, reply: FastifyReply) => {
    const page = assets.get('index.html');
    if (!page) throw new AppError('ROUTE_NOT_FOUND', { detail: 'The admin page is not built; run npm run build' });
    return reply.headers(headers).type(page.type).send(page.body);
  };
  app.get('/admin', { schema: { hide: true } }, index);
  app.get('/admin/', { schema: { hide: true } }, index);
  app.get<{ Params: { name: string } }>('/admin/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = ASSET_NAME.test(request.params.name) ? assets.get(request.params.name) : undefined;
    if (!asset) throw new AppError('ROUTE_NOT_FOUND');
    return reply.headers(headers).type(asset.type).send(asset.body);
  });
};
