// Load shedding: past maxInflight requests in this process, answer 503 at once rather than queue
// without bound (latency and memory would grow with the backlog). Health, metrics and live
// streams are exempt: they must stay observable under load.
import type { FastifyReply } from 'fastify';
import { Problem } from './errors.js';

/** Routes never shed under load. */
const UNSHED = new Set(['/livez', '/readyz', '/metrics']);
/**
 * Live streams: a new one is shed under load like any request, but an open one is not counted as
 * in flight (it lasts for hours; routes/history-stream.ts caps them instead).
 */
const STREAM_ROUTE = '/history/stream';

export class LoadShedder {
  private inflight = 0;
  private readonly release = () => {
    this.inflight--;
  };

  constructor(private readonly maxInflight: number) {}

  /** Counts the request until its response closes; a Problem when the worker is full. */
  admit(route: string, reply: FastifyReply): Problem | undefined {
    if (UNSHED.has(route)) return undefined;
    if (this.inflight >= this.maxInflight) return new Problem('overloaded', `More than ${this.maxInflight} requests in progress`, {}, { 'retry-after': '1' });
    if (route !== STREAM_ROUTE) {
      this.inflight++;
      reply.raw.once('close', this.release);
    }
    return undefined;
  }
}
