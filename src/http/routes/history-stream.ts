// GET /history/stream: new analyses as Server-Sent Events (the feed itself: ../live.ts).
import type { FastifyInstance } from 'fastify';
import type { HistoryRow } from '../../store/history-store.js';
import { Problem } from '../errors.js';
import { SECURITY_HEADERS } from '../app.js';

/** Live streams one process keeps open; more get 503. */
const MAX_STREAMS = 1000;
const STREAM_HEARTBEAT_MS = 20_000;

export function historyStreamRoutes(app: FastifyInstance): void {
  const { live } = app.ctx;

  app.get<{ Querystring: { after?: number } }>('/history/stream', {
    schema: {
      summary: 'New analyses as Server-Sent Events (event "analysis", data: one history row)',
      description: 'Reconnects resume after the Last-Event-ID header (or ?after=<id>) with up to 1000 missed rows.',
      querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 } } },
    },
  }, async (request, reply) => {
    if (live.size >= MAX_STREAMS) throw new Problem('store-unavailable', 'Too many live streams; retry later');
    const header = request.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    const after = fromHeader ?? request.query.after;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      ...(reply.getHeader('access-control-allow-origin') ? { 'access-control-allow-origin': String(reply.getHeader('access-control-allow-origin')) } : {}),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx must pass events through as they come (deploy/ documents the same).
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const client = {
      send(row: HistoryRow) {
        res.write(`id: ${row.id}\nevent: analysis\ndata: ${JSON.stringify(row)}\n\n`);
      },
      close() {
        res.end();
      },
    };
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), STREAM_HEARTBEAT_MS);
    const stop = () => {
      clearInterval(heartbeat);
      live.unsubscribe(client);
    };
    res.on('close', stop);
    try {
      await live.subscribe(client, after);
    } catch {
      stop();
      res.end();
    }
    if (res.destroyed) stop();
  });
  app.ctx.methodNotAllowed('/history/stream', ['GET']);
}
