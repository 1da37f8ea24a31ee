// GET /history/stream: new analyses as Server-Sent Events (the feed itself: ../live.ts).
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Problem } from '../errors.js';
import { SECURITY_HEADERS } from '../security.js';
import { StreamSlots, type LiveClient } from '../live.js';

/** Live streams one process keeps open; more get 503 overloaded. */
export const MAX_STREAMS = 1000;
/**
 * Live streams one client address may hold open in one process; more get 429 rate-limited. A
 * browser holds one per open tab; an office behind one NAT address shares the cap, hence not 1.
 * 429, not 503: the client, not the server, is at its limit, and a load balancer must not read it
 * as the host failing (nginx answers its own stream limits with the same 429).
 */
export const MAX_STREAMS_PER_ADDRESS = 32;
/** Below the connection's stall timeout (STALL_TIMEOUT_MS, app.ts), so an idle stream always shows progress. */
const STREAM_HEARTBEAT_MS = 15_000;

/** The SSE response as a LiveClient: every write is refused once the response has ended. */
export function sseClient(res: ServerResponse): LiveClient {
  const ended = () => res.writableEnded || res.destroyed;
  return {
    write: (frame) => !ended() && res.write(frame),
    get buffered() {
      return res.writableLength;
    },
    get open() {
      return !ended();
    },
    drained: () =>
      new Promise<boolean>((resolve) => {
        if (ended()) return resolve(false);
        const done = (ok: boolean) => () => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      }),
    close() {
      if (ended()) return;
      res.end();
      // What a non-reading client left queued would hold the graceful close until it times out;
      // it resumes from its Last-Event-ID on another host anyway.
      if (res.writableLength > 0) res.destroy();
    },
    drop() {
      res.destroy();
    },
  };
}

export function historyStreamRoutes(app: FastifyInstance): void {
  const { live } = app.ctx;
  const slots = new StreamSlots(MAX_STREAMS, MAX_STREAMS_PER_ADDRESS);

  app.get<{ Querystring: { after?: number } }>(
    '/history/stream',
    {
      schema: {
        summary: 'New analyses as Server-Sent Events (event "analysis", data: one history row)',
        description: 'Reconnects resume after the Last-Event-ID header (or ?after=<id>) with up to 1000 missed rows.',
        querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 } } },
      },
    },
    async (request, reply) => {
      // Checked and reserved in one step, before any await.
      const release = slots.take(request.ip);
      if (release === 'total') throw new Problem('overloaded', `This process already serves ${MAX_STREAMS} live streams`, {}, { 'retry-after': '5' });
      if (release === 'address') {
        throw new Problem('rate-limited', `At most ${MAX_STREAMS_PER_ADDRESS} live streams from one client address`, {}, { 'retry-after': '5' });
      }
      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
      const after = fromHeader ?? request.query.after;

      reply.hijack();
      const res = reply.raw;
      const client = sseClient(res);
      const heartbeat = setInterval(() => client.write(': keep-alive\n\n'), STREAM_HEARTBEAT_MS);
      const stop = () => {
        clearInterval(heartbeat);
        live.unsubscribe(client);
        release();
      };
      res.on('close', stop);
      // A write racing a reset must not become an unhandled 'error' that ends the worker.
      res.on('error', (err) => request.log.debug({ err }, 'live stream write failed'));
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        ...(reply.getHeader('access-control-allow-origin') ? { 'access-control-allow-origin': String(reply.getHeader('access-control-allow-origin')) } : {}),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // nginx must pass events through as they come (deploy/ documents the same).
        'x-accel-buffering': 'no',
      });
      client.write('retry: 2000\n\n');
      try {
        await live.subscribe(client, after);
      } catch {
        client.close(); // the store failed during catch-up; the client reconnects
      }
      if (!client.open) stop();
    },
  );
}
