// Listens. One process per worker (node:cluster shares the port); the primary only supervises:
// it applies migrations before any worker starts, restarts crashed workers, sums /metrics over
// workers, and on SIGTERM/SIGINT lets every worker finish its in-flight requests.
import cluster, { type Worker } from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { describeConfig, describeDatabase, type Config } from './config.js';
import { buildApp } from './http/app.js';
import { mergeSnapshots, type Metrics, type MetricsSnapshot } from './http/metrics.js';
import type { HistoryStore } from './store/history-store.js';
import { openStore } from './store/open.js';
import { VERSION } from './version.js';

const SHUTDOWN_GRACE_MS = 30_000;
/**
 * On SIGTERM a process keeps its open keep-alive connections for at most this long (ms) while it
 * drains, so that the client closes them, not the server. A load balancer closes its idle upstream
 * connections sooner (deploy/nginx: keepalive_timeout 3s), so the app never closes a connection at
 * the very moment the balancer reuses it — a POST sent on it then fails and is not retried.
 */
const DRAIN_MS = 5_000;
const METRICS_TIMEOUT_MS = 2_000;

type Message =
  | { type: 'metrics-request'; reqId: number; local: MetricsSnapshot }
  | { type: 'metrics-collect'; reqId: number }
  | { type: 'metrics-snapshot'; reqId: number; snapshot: MetricsSnapshot }
  | { type: 'metrics-result'; reqId: number; snapshot: MetricsSnapshot };

export function displayUrl(config: Config, port: number): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}/`;
}

/**
 * The line saying where the service listens: a JSON log line like every other (stdout is JSON
 * only), logged whatever --log-level says, as it is what a person or a script starting the server
 * waits for ("listening on http://...").
 */
function announceListening(log: Logger, config: Config, port: number, workers: number): void {
  const url = displayUrl(config, port);
  const history = describeDatabase(config);
  log
    .child({}, { level: 'info' })
    .info({ url, workers, history, version: VERSION }, `Polarity ${VERSION} is listening on ${url} (${workers} worker${workers === 1 ? '' : 's'}, history in ${history})`);
}

const RETENTION_INTERVAL_MS = 10_000;
const STORE_WAIT_MS = 60_000;

/**
 * Opens the store; a PostgreSQL server that is not up yet (hosts often boot in any order) is
 * waited for, with a clear line per attempt, for up to a minute.
 */
async function openStoreWaiting(config: Config, log: Logger, onWrite?: (s: number, rows: number) => void): Promise<HistoryStore> {
  const started = Date.now();
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await openStore(config, onWrite);
    } catch (err) {
      const why = (err as Error).message;
      if (config.databaseUrl === undefined) throw new Error(`cannot open the history (${describeDatabase(config)}): ${why}`);
      if (Date.now() - started + delay > STORE_WAIT_MS) {
        throw new Error(`cannot reach the history store (${describeDatabase(config)}) after ${STORE_WAIT_MS / 1000} s: ${why}`);
      }
      log.warn(`cannot reach the history store (${describeDatabase(config)}): ${why}; retrying in ${delay / 1000} s`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

const retentionConfigured = (config: Config) => config.historyMaxRows !== undefined || config.historyMaxAgeMs !== undefined;

/**
 * Applies the retention caps in the background. One process per host runs it: the primary when
 * there are workers (it serves no requests, so the count and the chunks' synchronous SQLite work
 * never delay one, and it is not restarted with a crashed worker), else the only worker. Before,
 * every worker trimmed: N processes counting and deleting the same rows, on request threads.
 * Across PostgreSQL hosts the store lets one host at a time trim (an advisory lock).
 */
function startRetention(config: Config, store: HistoryStore, log: Logger): NodeJS.Timeout | undefined {
  if (!retentionConfigured(config)) return undefined;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      let chunks = 0;
      let longestChunkMs = 0;
      const started = performance.now();
      const deleted = await store.trim({ maxRows: config.historyMaxRows, maxAgeMs: config.historyMaxAgeMs }, (_rows, ms) => {
        chunks++;
        longestChunkMs = Math.max(longestChunkMs, ms);
      });
      const seconds = Math.round(performance.now() - started) / 1000;
      if (deleted > 0) log.info({ deleted, chunks, longestChunkMs: Math.round(longestChunkMs * 10) / 10, seconds }, 'retention: deleted old history rows');
    } catch (err) {
      log.warn({ err }, 'retention: trimming the history failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), RETENTION_INTERVAL_MS);
  timer.unref();
  void run();
  return timer;
}

/** Starts the service; resolves when it is listening. */
export async function serve(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel, base: { pid: process.pid } });
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log);
  return runWorker(config, log);
}

/** Calls `stop` on the first SIGTERM or SIGINT; a later one is ignored. */
function onStopSignal(stop: (signal: string) => unknown): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}

/** Exits with status 1 after `ms`, once `why` has said why: a shutdown that hangs still ends. */
function exitAfter(ms: number, why: () => void): void {
  const force = setTimeout(() => {
    why();
    process.exit(1);
  }, ms);
  force.unref();
}

function allWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
}

async function runWorker(config: Config, log: Logger): Promise<void> {
  const inCluster = cluster.isWorker;
  const viaPrimary = inCluster ? workerMetrics() : undefined;
  // The store reports its writes from its first commit on; the metrics exist once the app does.
  let metrics: Metrics | undefined;
  const store = await openStoreWaiting(config, log, (s, rows) => metrics?.recordWrite(s, rows));
  const app = await buildApp({ config, store, logger: log, ...(viaPrimary ? { collectMetrics: viaPrimary.collect } : {}) });
  metrics = app.ctx.metrics;
  viaPrimary?.answer(app.ctx.metrics);

  const retention = inCluster ? undefined : startRetention(config, store, log); // else the primary's
  onStopSignal((signal) => stopWorker(app, store, log, retention, signal));

  await app.listen({ port: config.port, host: config.host });
  if (!inCluster) {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ config: describeConfig(config) }, 'configuration');
    announceListening(log, config, port, 1);
  }
}

/**
 * A worker's half of /metrics across workers: `collect` asks the primary for every worker's
 * snapshot merged (its own alone if no answer comes in time); `answer` sends the primary this
 * worker's snapshot whenever it collects.
 */
function workerMetrics(): { collect: (local: MetricsSnapshot) => Promise<MetricsSnapshot>; answer: (metrics: Metrics) => void } {
  let metricsSeq = 0;
  const waiting = new Map<number, (s: MetricsSnapshot) => void>();
  const collect = (local: MetricsSnapshot) =>
    new Promise<MetricsSnapshot>((resolve) => {
      const reqId = ++metricsSeq;
      const timer = setTimeout(() => {
        waiting.delete(reqId);
        resolve(local);
      }, METRICS_TIMEOUT_MS * 2);
      waiting.set(reqId, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      process.send!({ type: 'metrics-request', reqId, local } satisfies Message);
    });
  const answer = (metrics: Metrics) => {
    process.on('message', (msg: Message) => {
      if (msg.type === 'metrics-collect') {
        process.send!({ type: 'metrics-snapshot', reqId: msg.reqId, snapshot: metrics.snapshot() } satisfies Message);
      } else if (msg.type === 'metrics-result') {
        waiting.get(msg.reqId)?.(msg.snapshot);
        waiting.delete(msg.reqId);
      }
    });
  };
  return { collect, answer };
}

/** A worker's graceful shutdown: drains, closes the app and the store, and exits (0 if all went well). */
async function stopWorker(app: FastifyInstance, store: HistoryStore, log: Logger, retention: NodeJS.Timeout | undefined, signal: string): Promise<void> {
  app.ctx.shuttingDown = true;
  if (retention) clearInterval(retention);
  log.info({ signal }, 'shutting down: draining connections, finishing in-flight requests');
  exitAfter(SHUTDOWN_GRACE_MS, () => log.error('graceful shutdown timed out; exiting'));
  await drain(app, signal);
  // Keep-alive connections still open now were idle for DRAIN_MS or are finishing a request:
  // close them as they become idle, or they would hold the process until their timeout.
  const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
  reaper.unref();
  try {
    await app.close(); // stops accepting, waits for in-flight requests, closes idle keep-alives
    await store.close(); // commits any pending write
    log.info('stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}

/**
 * Stops accepting connections: a load balancer gets "connection refused", which it retries on
 * another host for every method, as nothing was sent. But keeps the open keep-alive connections:
 * closing an idle one races with a client sending on it (the POST is lost and not retried;
 * Fastify's close would also answer 503 to requests already on their way). Every further request
 * is served as usual with `Connection: close`; idle connections are left to their client (nginx
 * closes them after 3 s) for up to DRAIN_MS. Live streams end at once, so their browsers reconnect
 * to another host. Ctrl-C (SIGINT) at a terminal does not wait for idle connections: there a
 * person is waiting, not a load balancer.
 */
async function drain(app: FastifyInstance, signal: string): Promise<void> {
  const server = app.server;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.shouldKeepAlive = false;
  });
  app.ctx.live.close();
  // net.Server's close only stops listening; http.Server's would also drop idle connections.
  NetServer.prototype.close.call(server);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, signal === 'SIGTERM' ? DRAIN_MS : 0);
    server.once('close', () => {
      clearTimeout(timer); // every connection has closed
      resolve();
    });
  });
}

async function runPrimary(config: Config, log: Logger): Promise<void> {
  // Workers accept connections themselves (the kernel hands each to one of them). With the
  // default round-robin the primary accepts every connection and passes it to a worker over IPC:
  // under a storm of new connections that one process became the bottleneck (bench/overload: p99
  // 3.3 s at 4,000 connections, against 0.85 s this way), and under steady keep-alive load both
  // policies spread work evenly here.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  log.info({ config: describeConfig(config) }, 'configuration');
  // Migrate once, before any worker opens the database; keep the store for retention.
  const store = await openStoreWaiting(config, log);
  if (!retentionConfigured(config)) await store.close();
  let retention: NodeJS.Timeout | undefined; // started once the workers listen

  const workers = new Workers(log);
  const ready = allListening(config, log);
  for (let i = 0; i < config.workers; i++) workers.fork();

  onStopSignal((signal) => {
    if (retention) clearInterval(retention);
    log.info({ signal }, 'shutting down workers');
    workers.stop(() => {
      log.info('stopped');
      // A retention chunk in progress has committed or rolled back; the next one fails on the closed store.
      void (retentionConfigured(config) ? store.close() : Promise.resolve()).catch(() => {}).finally(() => process.exit(0));
    });
  });
  await ready;
  if (!workers.stopping) retention = startRetention(config, store, log);
}

/** Resolves once all the workers listen, having said where. */
function allListening(config: Config, log: Logger): Promise<void> {
  let listening = 0;
  return new Promise<void>((resolve) => {
    cluster.on('listening', (_worker, address) => {
      listening++;
      if (listening === config.workers) {
        announceListening(log, config, address.port, config.workers);
        resolve();
      }
    });
  });
}

/** The primary's workers: forks them, restarts one that crashes (unless they keep crashing), stops them. */
class Workers {
  /** Set by stop(): workers exit on purpose from then on, and none is forked again. */
  stopping = false;
  private readonly crashes: number[] = [];
  /** Restarts scheduled after a crash: cancelled by stop(), which must not fork a new worker. */
  private readonly restarts = new Set<NodeJS.Timeout>();
  private readonly onMessage = primaryMetrics();

  constructor(private readonly log: Logger) {
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
  }

  fork(): void {
    const worker = cluster.fork();
    worker.on('message', (msg: Message) => this.onMessage(worker, msg));
  }

  private exited(worker: Worker, code: number, signal: string): void {
    if (this.stopping) return;
    this.log.error({ worker: worker.process.pid, code, signal }, 'worker exited unexpectedly; restarting it');
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length && this.crashes[0]! < now - 60_000) this.crashes.shift();
    if (this.crashes.length > 10) {
      this.log.fatal('workers keep crashing (more than 10 in a minute); giving up');
      process.exit(1);
    }
    const restart = setTimeout(() => {
      this.restarts.delete(restart);
      if (!this.stopping) this.fork();
    }, 500);
    this.restarts.add(restart);
  }

  /** Asks every worker to stop (SIGKILL after the grace period); calls `stopped` once all have exited. */
  stop(stopped: () => void): void {
    this.stopping = true;
    for (const t of this.restarts) clearTimeout(t);
    this.restarts.clear();
    const workers = allWorkers();
    // Workers may already have the signal (Ctrl-C reaches the whole process group); a second one is ignored.
    for (const w of workers) w.process.kill('SIGTERM');
    exitAfter(SHUTDOWN_GRACE_MS + 5_000, () => {
      this.log.error('workers did not stop in time; killing them');
      for (const w of workers) w.process.kill('SIGKILL');
    });
    // Each worker commits its last writes before it exits.
    let left = workers.length;
    if (left === 0) stopped();
    cluster.on('exit', () => {
      if (--left === 0) stopped();
    });
  }
}

/**
 * The primary's half of /metrics across workers: when a worker asks, collects a snapshot from every
 * connected worker and sends it their merge (of those that answered within METRICS_TIMEOUT_MS).
 */
function primaryMetrics(): (worker: Worker, msg: Message) => void {
  const collecting = new Map<number, { want: number; got: MetricsSnapshot[]; done: (s: MetricsSnapshot[]) => void }>();
  let collectSeq = 0;
  const request = (worker: Worker, reqId: number, local: MetricsSnapshot) => {
    const id = ++collectSeq;
    const workers = allWorkers().filter((w) => w.isConnected());
    const entry = {
      want: workers.length,
      got: [] as MetricsSnapshot[],
      done: (got: MetricsSnapshot[]) => {
        collecting.delete(id);
        clearTimeout(timer);
        if (worker.isConnected()) worker.send({ type: 'metrics-result', reqId, snapshot: mergeSnapshots(got.length ? got : [local]) } satisfies Message);
      },
    };
    const timer = setTimeout(() => entry.done(entry.got), METRICS_TIMEOUT_MS);
    collecting.set(id, entry);
    for (const w of workers) w.send({ type: 'metrics-collect', reqId: id } satisfies Message);
  };
  return (worker, msg) => {
    if (msg.type === 'metrics-request') {
      request(worker, msg.reqId, msg.local);
    } else if (msg.type === 'metrics-snapshot') {
      const entry = collecting.get(msg.reqId);
      if (!entry) return;
      entry.got.push(msg.snapshot);
      if (entry.got.length >= entry.want) entry.done(entry.got);
    }
  };
}
