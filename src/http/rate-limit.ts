// The optional per-client rate limit (--rate-limit): API requests a minute per client address.
import type { FastifyReply } from 'fastify';
import { Problem } from './errors.js';

/** Routes counted by the per-client rate limit. */
const API_ROUTES = new Set(['/analyze', '/analyze/batch', '/history', '/history/:id']);

/**
 * Fixed one-minute windows per client address. The table is emptied at each new window, so its
 * size is bounded by the clients seen in one minute. Counts are per worker process.
 */
export class RateLimiter {
  private window = -1;
  private counts = new Map<string, number>();
  constructor(
    readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  take(client: string, now: number): { remaining: number; resetS: number } {
    const w = Math.floor(now / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
    }
    const used = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, used);
    return { remaining: this.limit - used, resetS: Math.ceil(((w + 1) * this.windowMs - now) / 1000) };
  }

  /** Counts an API request, sets the RateLimit-* headers; a Problem when the client is over. */
  admit(route: string, client: string, reply: FastifyReply): Problem | undefined {
    if (!API_ROUTES.has(route)) return undefined;
    const { remaining, resetS } = this.take(client, Date.now());
    reply.headers({
      'ratelimit-policy': `${this.limit};w=${this.windowMs / 1000}`,
      'ratelimit-limit': String(this.limit),
      'ratelimit-remaining': String(Math.max(0, remaining)),
      'ratelimit-reset': String(resetS),
    });
    if (remaining >= 0) return undefined;
    return new Problem('rate-limited', `At most ${this.limit} API requests a minute from one client`, {}, { 'retry-after': String(resetS) });
  }
}
