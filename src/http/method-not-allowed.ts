// 405 for every route, generated once: each path registered gets a hidden route for the methods
// it does not take, answering `method-not-allowed` with the `Allow` header.
import type { FastifyInstance } from 'fastify';
import { Problem } from './errors.js';

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Call before the routes are registered; call the function it returns after. */
export function collectRoutesFor405(app: FastifyInstance): () => void {
  const byUrl = new Map<string, string[]>();
  let generating = false;
  app.addHook('onRoute', (route) => {
    if (generating) return;
    const methods = byUrl.get(route.url) ?? [];
    for (const m of [route.method].flat()) if (m !== 'HEAD' && !methods.includes(m)) methods.push(m);
    byUrl.set(route.url, methods);
  });
  return () => {
    generating = true;
    for (const [url, methods] of byUrl) {
      const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])];
      const others = ALL_METHODS.filter((m) => !allow.includes(m));
      if (others.length === 0) continue;
      app.route({
        method: others,
        url,
        schema: { hide: true },
        handler: async () => {
          throw new Problem('method-not-allowed', `Allowed: ${allow.join(', ')}`, {}, { allow: allow.join(', ') });
        },
      });
    }
  };
}
