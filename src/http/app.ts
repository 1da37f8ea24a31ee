// Builds the HTTP application. It never listens: src/server.ts does; tests use app.inject().
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import type { Config } from '../config.js';
import { ENGINE_NAMES } from '../engine/engines.js';
import { VERSION } from '../version.js';
import type { HistoryStore } from '../store/history-store.js';
import { Problem, problemBody, type ProblemCode } from './errors.js';
import { LiveFeed } from './live.js';
import { Metrics, renderMetrics, type MetricsSnapshot } from './metrics.js';
import { analyzeRoutes } from './routes/analyze.js';
import { historyRoutes } from './routes/history.js';
import { historyStreamRoutes } from './routes/history-stream.js';
import { docsRoutes } from './routes/docs.js';
import { opsRoutes } from './routes/ops.js';
import { webRoutes } from './web.js';

export interface AppOptions {
  readonly config: Config;
  readonly store: HistoryStore;
  /** Metrics of every worker process; defaults to this process's own. */
  readonly collectMetrics?: (local: MetricsSnapshot) => Promise<MetricsSnapshot>;
  /** A pino logger to use (src/server.ts passes its own), or false for none (tests). */
  readonly logger?: false | FastifyBaseLogger;
}

export interface AppContext {
  readonly config: Config;
  readonly store: HistoryStore;
  readonly metrics: Metrics;
  readonly live: LiveFeed;
  readonly collectMetrics: () => Promise<MetricsSnapshot>;
  /** Set when the server begins a graceful shutdown: /readyz answers 503. */
  shuttingDown: boolean;
  /** Throws unless the request carries the admin token. */
  requireAdmin(request: FastifyRequest): void;
  /** Answers this method-less path with 405 + Allow for every method but `allowed`. */
  methodNotAllowed(url: string, allowed: readonly string[]): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

/** Routes counted by the per-client rate limit. */
const API_ROUTES = new Set(['/analyze', '/analyze/batch', '/history', '/history/:id']);

/**
 * Fixed one-minute windows per client address. The table is emptied at each new window, so its
 * size is bounded by the clients seen in one minute. Counts are per worker process.
 */
class RateLimiter {
  private window = -1;
  private counts = new Map<string, number>();
  constructor(readonly limit: number, private readonly windowMs: number) {}
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
}

/** Routes never shed under load. */
const UNSHED = new Set(['/livez', '/readyz', '/metrics']);
/**
 * Live streams: a new one is shed under load like any request, but an open one is not counted as
 * in flight (it lasts for hours; routes/history-stream.ts caps them instead).
 */
const STREAM_ROUTE = '/history/stream';

/**
 * A caller's `X-Request-Id` is kept when it is a sane token: short, and only characters that are
 * safe in a log line, a header and a JSON string without escaping. Anything else gets a new id.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The request's id: the caller's `X-Request-Id` if sane (a proxy's or a client's), else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** See connectionTimeout below. */
export const STALL_TIMEOUT_MS = 20_000;

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

/** Body validators never coerce (`{"text": 5}` is an error, not "5"); query strings do. */
function validatorCompiler() {
  const strict = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
  const coercing = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Maps Fastify's own errors (parsing, validation, limits) onto our catalogue. */
function toProblem(err: FastifyError & { validation?: { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }[]; validationContext?: string }, config: Config): Problem {
  if (err instanceof Problem) return err;
  if (err.validation) {
    const first = err.validation[0];
    const where = err.validationContext ?? 'request';
    if (where === 'body' && first) {
      if (first.keyword === 'required' && first.params['missingProperty'] === 'text') {
        return new Problem('text-required', 'Send a JSON object with a string field "text", e.g. {"text": "I love it"}');
      }
      if (first.instancePath === '/text' && first.keyword === 'type') return new Problem('text-not-string', 'Send "text" as a JSON string, e.g. {"text": "I love it"}');
      if (first.instancePath === '/engine') return new Problem('unknown-engine', `"engine" must be one of ${ENGINE_NAMES.map((e) => `"${e}"`).join(', ')}`, { engines: ENGINE_NAMES });
    }
    if (where === 'querystring' && first?.instancePath === '/before') return new Problem('invalid-cursor');
    if (where === 'params') return new Problem('not-found');
    const path = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : where;
    return new Problem('invalid-request', `${where === 'body' ? 'body' : where}${first?.instancePath ? ` field "${path}"` : ''} ${first?.message ?? 'is invalid'}`);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new Problem('malformed-json', err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The body is empty' : 'The body could not be parsed as JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('body-too-large', `The body must not exceed ${config.bodyLimit} bytes`, { limit: config.bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem('unsupported-media-type', 'Send the body with Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('invalid-request', 'Content-Length does not match the body');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new Problem('invalid-request', 'The request could not be processed');
  }
  return new Problem('internal-error');
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: options.logger ?? { level: config.logLevel } }),
    // Per-request lines are ours (onResponse, at debug): Fastify's own two lines per request cost throughput.
    // Every log line of a request (request.log) and its problem document carry its id, which the
    // answer's X-Request-Id header echoes: a user's "it failed" finds its log lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    bodyLimit: config.bodyLimit,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // A request must arrive in full well within this; slow-loris clients are cut off. Node checks
    // the deadline every connectionsCheckingInterval (default 30 s) against the larger of
    // requestTimeout and headersTimeout, and both must be set when the server is created: Fastify
    // sets requestTimeout only afterwards, which left headersTimeout's 60 s default in charge and a
    // trickled body was cut after 60–90 s (measured 90 s). Now 30–35 s (test/audit-slow-loris.test.ts).
    requestTimeout: 30_000,
    http: { requestTimeout: 30_000, headersTimeout: 30_000, connectionsCheckingInterval: 5_000 },
    // A connection that makes no progress — nothing read, nothing taken by the socket — for this
    // long while a request is in progress is destroyed, and what was queued for it freed. Without
    // it a client that never reads pins its whole response in server memory for as long as it
    // likes (requestTimeout and headersTimeout only cover receiving the request). This is
    // socket.setTimeout under the hood, which counts write inactivity too. With a write pending,
    // Node lets the timer run once more if the queue shrank since it was armed (net.js
    // _onTimeout), so a stalled write is cut after one to two periods: 20–40 s. Idle keep-alive
    // connections keep keepAliveTimeout instead (Node swaps the two between requests), and live
    // streams write a heartbeat within it.
    connectionTimeout: STALL_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    // Ours below: the problem document, not Fastify's plain JSON.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 100 },
    ...(config.trustProxy.length > 0 ? { trustProxy: [...config.trustProxy] } : {}),
  });
  app.setValidatorCompiler(validatorCompiler());

  // JSON only, decoded strictly: invalid UTF-8 is a 400, never silently turned into U+FFFD.
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(new Problem('malformed-json', 'The body is empty'), undefined);
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new Problem('malformed-json', 'The body is not valid UTF-8'), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new Problem('malformed-json', `The body could not be parsed as JSON: ${(e as Error).message}`), undefined);
    }
  });

  const metrics = new Metrics();
  const live = new LiveFeed(store);
  const adminDigest = config.adminToken === undefined ? undefined : digest(config.adminToken);
  const ctx: AppContext = {
    config,
    store,
    metrics,
    live,
    shuttingDown: false,
    collectMetrics: () => (options.collectMetrics ? options.collectMetrics(metrics.snapshot()) : Promise.resolve(metrics.snapshot())),
    requireAdmin(request) {
      if (adminDigest === undefined) throw new Problem('deletion-disabled', 'Start the server with ADMIN_TOKEN (or --admin-token) to allow deletion');
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      // Compare digests of equal length in constant time; the token itself is never logged.
      if (!match || !timingSafeEqual(digest(match[1]!), adminDigest)) {
        throw new Problem('unauthorized', 'Send Authorization: Bearer <admin token>', {}, { 'www-authenticate': 'Bearer realm="polarity"' });
      }
    },
    methodNotAllowed(url, allowed) {
      const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])];
      const others = ALL_METHODS.filter((m) => !allow.includes(m));
      app.route({
        method: others,
        url,
        schema: { hide: true },
        handler: async () => {
          throw new Problem('method-not-allowed', `Allowed: ${allow.join(', ')}`, {}, { allow: allow.join(', ') });
        },
      });
    },
  };
  app.decorate('ctx', ctx);

  const corsAny = config.corsOrigins.includes('*');
  const debugLog = app.log.level === 'debug' || app.log.level === 'trace';
  const corsAllowed = new Set(config.corsOrigins);
  // Hooks in callback style: they run on every request, and an async hook costs a promise each.
  // Load shedding: past maxInflight requests in this process, answer 503 at once rather than
  // queue without bound (latency and memory would grow with the backlog). Health, metrics and
  // live streams are exempt: they must stay observable under load.
  let inflight = 0;
  const release = () => {
    inflight--;
  };
  const limiter = config.rateLimit === undefined ? undefined : new RateLimiter(config.rateLimit, 60_000);
  // Set once app.close() has begun: Fastify then answers every new request 503 itself
  // (return503OnClosing) in plain JSON; we answer with our problem document instead.
  let closing = false;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('x-request-id', request.id);
    if (closing) return done(new Problem('store-unavailable', 'The server is shutting down; retry', {}, { 'retry-after': '1' }));
    const route = request.routeOptions.url ?? '';
    if (limiter !== undefined && API_ROUTES.has(route)) {
      const { remaining, resetS } = limiter.take(request.ip, Date.now());
      reply.headers({
        'ratelimit-policy': `${limiter.limit};w=60`,
        'ratelimit-limit': String(limiter.limit),
        'ratelimit-remaining': String(Math.max(0, remaining)),
        'ratelimit-reset': String(resetS),
      });
      if (remaining < 0) {
        return done(new Problem('rate-limited', `At most ${limiter.limit} API requests a minute from one client`, {}, { 'retry-after': String(resetS) }));
      }
    }
    if (!UNSHED.has(route)) {
      if (inflight >= config.maxInflight) {
        return done(new Problem('overloaded', `More than ${config.maxInflight} requests in progress`, {}, { 'retry-after': '1' }));
      }
      if (route !== STREAM_ROUTE) {
        inflight++;
        reply.raw.once('close', release);
      }
    }
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    const allowed = corsAny || corsAllowed.has(origin);
    if (allowed) {
      reply.header('access-control-allow-origin', corsAny ? '*' : origin);
      if (!corsAny) reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', 'Link, Retry-After, Idempotent-Replayed, X-Request-Id');
    }
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      if (!allowed) return done(new Problem('cors-origin-denied', `Origin ${origin} is not in the CORS allow-list`));
      reply
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header('access-control-allow-headers', 'Content-Type, Authorization, Last-Event-ID, Idempotency-Key, X-Request-Id')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return;
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (debugLog) request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const problem = toProblem(err, config);
    if (problem.code === 'internal-error') request.log.error({ err, url: request.url }, 'request failed');
    else request.log.debug({ code: problem.code }, 'request rejected');
    reply.code(problem.status).headers(problem.headers).type('application/problem+json');
    if (problem.code === 'store-unavailable' && !problem.headers['retry-after']) reply.header('retry-after', '2');
    return problemBody(problem, request.url.split('?')[0]!, request.id);
  });

  app.setNotFoundHandler(async (request) => {
    throw new Problem('not-found', `No route for ${request.method} ${request.url.split('?')[0]}`);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Polarity',
        version: VERSION,
        description: 'Self-hosted sentiment analysis with TextBlob-exact scores and a stored history. Errors are RFC 9457 problem details.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token (ADMIN_TOKEN)' } } },
    },
  });

  analyzeRoutes(app);
  historyRoutes(app);
  historyStreamRoutes(app);
  opsRoutes(app, renderMetrics);
  docsRoutes(app);
  webRoutes(app);

  // Live streams never end by themselves: end them so a graceful close does not wait forever.
  app.addHook('preClose', async () => {
    closing = true;
    live.close();
  });
  app.addHook('onClose', async () => {
    metrics.close();
  });
  return app;
}

export type { ProblemCode };
