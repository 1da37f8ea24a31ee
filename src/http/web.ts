// Serves the built web UI (dist/web, made by `npm run build` from web/) from memory,
// with strong ETags: index.html is revalidated on every load, fingerprinted assets are immutable.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** dist/src/http/web.js → dist/web */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  etag: string;
  type: string;
  cacheControl: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const file of walk(dir)) {
    const urlPath = '/' + relative(dir, file).split(sep).join('/');
    const body = readFileSync(file);
    // Names with a content hash (app-3f9c1a2b.js) never change: cache them for a year.
    const fingerprinted = /-[0-9a-f]{8,}\.[a-z]+$/i.test(urlPath);
    assets.set(urlPath, {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      cacheControl: fingerprinted ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  const index = assets.get('/index.html');
  if (index) assets.set('/', index);
  return assets;
}

/**
 * The page's engine picker starts on the server's default engine (--default-engine): the radio
 * for it is the one marked `checked` in index.html. A choice the user made is kept by the page.
 */
function withDefaultEngine(asset: Asset, engine: string): Asset {
  const html = asset.body.toString('utf8');
  const marked = html.replace(/(<input type="radio" name="engine" value="[a-z]+") checked/, '$1').replace(`<input type="radio" name="engine" value="${engine}"`, `$& checked`);
  const body = Buffer.from(marked, 'utf8');
  return { ...asset, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

export function webRoutes(app: FastifyInstance, dir = WEB_DIR): void {
  const assets = loadAssets(dir);
  const index = assets.get('/index.html');
  if (index && app.ctx.config.defaultEngine !== 'textblob') {
    const page = withDefaultEngine(index, app.ctx.config.defaultEngine);
    assets.set('/index.html', page);
    assets.set('/', page);
  }
  if (!assets.has('/')) {
    app.log.warn(`web UI not built (${dir} has no index.html): run npm run build`);
  }
  for (const [path, asset] of assets) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      reply.header('etag', asset.etag).header('cache-control', asset.cacheControl);
      const inm = request.headers['if-none-match'];
      if (inm?.split(',').some((t) => t.trim() === asset.etag)) {
        return reply.code(304).send();
      }
      return reply.type(asset.type).send(asset.body);
    });
  }
}
