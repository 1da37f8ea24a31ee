// Builds the HTTP application. It never listens: src/server.ts does; tests use app.inject().
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyHttpOptions, type FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import swagger from '@fastify/swagger';
import type { Config } from '../config.js';
import { VERSION } from '../version.js';
import type { HistoryStore } from '../store/history-store.js';
import { Cors } from './cors.js';
import { Problem, type ProblemCode } from './errors.js';
import { jsonBodyParser, validatorCompiler } from './json-body.js';
import { LiveFeed } from './live.js';
import { collectRoutesFor405 } from './method-not-allowed.js';
import { problemHandlers } from './problem-mapping.js';
import { RateLimiter } from './rate-limit.js';
import { adminCheck, requestIdOf, SECURITY_HEADERS } from './security.js';
import { LoadShedder } from './shedding.js';
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
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

/** See connectionTimeout below. */
export const STALL_TIMEOUT_MS = 20_000;

/**
 * One onRequest hook, in callback style (it runs on every request; an async hook costs a promise
 * each): headers, then shutdown, rate limit, shedding and CORS, each able to answer; and the
 * onResponse hook that counts requests. `closing()` is called once app.close() has begun.
 */
function requestHooks(app: FastifyInstance, config: Config, metrics: Metrics): { closing: () => void } {
  const limiter = config.rateLimit === undefined ? undefined : new RateLimiter(config.rateLimit);
  const shedder = new LoadShedder(config.maxInflight);
  const cors = new Cors(config.corsOrigins);
  // Set once app.close() has begun: Fastify then answers every new request 503 itself
  // (return503OnClosing) in plain JSON; we answer with our problem document instead.
  let closing = false;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('x-request-id', request.id);
    if (closing) return done(new Problem('store-unavailable', 'The server is shutting down; retry', {}, { 'retry-after': '1' }));
    const route = request.routeOptions.url ?? '';
    const refused = limiter?.admit(route, request.ip, reply) ?? shedder.admit(route, reply);
    if (refused !== undefined) return done(refused);
    const preflight = cors.handle(request, reply);
    if (preflight === 'answered') return;
    done(preflight);
  });

  const debugLog = app.log.level === 'debug' || app.log.level === 'trace';
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (debugLog) request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });
  return {
    closing: () => {
      closing = true;
    },
  };
}

/** Fastify's options: logging with request ids, limits and the timeouts that cut slow clients. */
function serverOptions(config: Config, logger: AppOptions['logger']): FastifyHttpOptions<Server> {
  return {
    ...(logger ? { loggerInstance: logger } : { logger: logger ?? { level: config.logLevel } }),
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
  };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const app = Fastify(serverOptions(config, options.logger));
  app.setValidatorCompiler(validatorCompiler());
  jsonBodyParser(app);

  const metrics = new Metrics();
  const live = new LiveFeed(store);
  const ctx: AppContext = {
    config,
    store,
    metrics,
    live,
    shuttingDown: false,
    collectMetrics: () => (options.collectMetrics ? options.collectMetrics(metrics.snapshot()) : Promise.resolve(metrics.snapshot())),
    requireAdmin: adminCheck(config.adminToken),
  };
  app.decorate('ctx', ctx);

  const hooks = requestHooks(app, config, metrics);

  problemHandlers(app, config);

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

  const generate405s = collectRoutesFor405(app);
  analyzeRoutes(app);
  historyRoutes(app);
  historyStreamRoutes(app);
  opsRoutes(app, renderMetrics);
  docsRoutes(app);
  webRoutes(app);
  generate405s();

  // Live streams never end by themselves: end them so a graceful close does not wait forever.
  app.addHook('preClose', async () => {
    hooks.closing();
    live.close();
  });
  app.addHook('onClose', async () => {
    metrics.close();
  });
  return app;
}

export type { ProblemCode };
