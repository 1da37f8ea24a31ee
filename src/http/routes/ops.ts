// Operations: liveness, readiness, Prometheus metrics, the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import { Problem } from '../errors.js';
import type { MetricsSnapshot } from '../metrics.js';
import { problems } from '../schemas.js';

type Render = (s: MetricsSnapshot, historyRows: number | undefined, workers: number) => string;

export function opsRoutes(app: FastifyInstance, render: Render): void {
  const { store, config } = app.ctx;

  app.get(
    '/livez',
    {
      schema: { summary: 'The process is alive', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    },
    async () => ({ status: 'alive' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The process can serve requests: the history store answers and no shutdown is under way',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, ...problems(503) },
      },
    },
    async () => {
      if (app.ctx.shuttingDown) throw new Problem('store-unavailable', 'Shutting down');
      try {
        await store.ping();
      } catch {
        throw new Problem('store-unavailable', 'The history store does not answer');
      }
      return { status: 'ready' };
    },
  );

  // The row count costs a table scan on PostgreSQL: counted at most every 15 s per process.
  let rowCount: { value: number | undefined; at: number } = { value: undefined, at: 0 };
  const historyRows = async () => {
    if (Date.now() - rowCount.at > 15_000) rowCount = { value: await store.count().catch(() => undefined), at: Date.now() };
    return rowCount.value;
  };
  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text format 0.0.4), summed over all worker processes' } }, async (_request, reply) => {
    const [snapshot, rows] = await Promise.all([app.ctx.collectMetrics(), historyRows()]);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(render(snapshot, rows, config.workers));
  });

  app.get('/openapi.json', { schema: { summary: 'This document (OpenAPI 3.1)' } }, async () => app.swagger());
}
