// CORS: no headers unless the origin is allow-listed (--cors-origins); preflights answered here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from './errors.js';

export class Cors {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.allowed = new Set(origins);
  }

  /** Sets the CORS headers; 'answered' when this was a preflight (a 204 was sent), a Problem when refused. */
  handle(request: FastifyRequest, reply: FastifyReply): Problem | 'answered' | undefined {
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    const allowed = this.any || this.allowed.has(origin);
    if (allowed) {
      reply.header('access-control-allow-origin', this.any ? '*' : origin);
      if (!this.any) reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', 'Link, Retry-After, Idempotent-Replayed, X-Request-Id');
    }
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return undefined;
    if (!allowed) return new Problem('cors-origin-denied', `Origin ${origin} is not in the CORS allow-list`);
    reply
      .header('access-control-allow-methods', 'GET, POST, DELETE')
      .header('access-control-allow-headers', 'Content-Type, Authorization, Last-Event-ID, Idempotency-Key, X-Request-Id')
      .header('access-control-max-age', '600')
      .code(204)
      .send();
    return 'answered';
  }
}
