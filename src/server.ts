// Listens. One process per worker (node:cluster shares the port); the primary only supervises:
// it applies migrations before any worker starts, restarts crashed workers, sums /metrics over
// workers, and on SIGTERM/SIGINT lets every worker finish its in-flight requests.
import cluster, { type Worker } from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
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

async function runWorker(config: Config, log: Logger): Promise<void> {
  const inCluster = cluster.isWorker;
  let metricsSeq = 0;
  const waiting = new Map<number, (s: MetricsSnapshot) => void>();
  // The store reports its writes from its first commit on; the metrics exist once the app does.
  let metrics: Metrics | undefined;
  const store = await openStoreWaiting(config, log, (s, rows) => metrics?.recordWrite(s, rows));
  const app = await buildApp({
    config,
    store,
    logger: log,
    ...(inCluster
      ? {
          collectMetrics: (local: MetricsSnapshot) =>
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
            }),
        }
      : {}),
  });
  metrics = app.ctx.metrics;
  if (inCluster) {
    process.on('message', (msg: Message) => {
      if (msg.type === 'metrics-collect') {
        process.send!({ type: 'metrics-snapshot', reqId: msg.reqId, snapshot: app.ctx.metrics.snapshot() } satisfies Message);
      } else if (msg.type === 'metrics-result') {
        waiting.get(msg.reqId)?.(msg.snapshot);
        waiting.delete(msg.reqId);
      }
    });
  }

  const retention = inCluster ? undefined : startRetention(config, store, log); // else the primary's
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.ctx.shuttingDown = true;
    if (retention) clearInterval(retention);
    log.info({ signal }, 'shutting down: draining connections, finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // Drain first. Stop accepting connections: a load balancer gets "connection refused", which it
    // retries on another host for every method, as nothing was sent. But keep the open keep-alive
    // connections: closing an idle one races with a client sending on it (the POST is lost and not
    // retried; Fastify's close would also answer 503 to requests already on their way). Every
    // further request is served as usual with `Connection: close`; idle connections are left to
    // their client (nginx closes them after 3 s) for up to DRAIN_MS. Live streams end at once, so
    // their browsers reconnect to another host. Ctrl-C (SIGINT) at a terminal does not wait for idle
    // connections: there a person is waiting, not a load balancer.
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
    // Keep-alive connections still open now were idle for DRAIN_MS or are finishing a request:
    // close them as they become idle, or they would hold the process until their timeout.
    const reaper = setInterval(() => server.closeIdleConnections(), 100);
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
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  if (!inCluster) {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ config: describeConfig(config) }, 'configuration');
    announceListening(log, config, port, 1);
  }
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

  const snapshots = new Map<number, { want: number; got: MetricsSnapshot[]; from: Worker; done: (s: MetricsSnapshot[]) => void }>();
  let collectSeq = 0;
  let shuttingDown = false;
  const crashes: number[] = [];
  /** Restarts scheduled after a crash: cancelled by shutdown, which must not fork a new worker. */
  const restarts = new Set<NodeJS.Timeout>();

  const onMessage = (worker: Worker, msg: Message) => {
    if (msg.type === 'metrics-request') {
      const id = ++collectSeq;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
      const entry = {
        want: workers.length,
        got: [] as MetricsSnapshot[],
        from: worker,
        done: (got: MetricsSnapshot[]) => {
          snapshots.delete(id);
          clearTimeout(timer);
          if (worker.isConnected()) worker.send({ type: 'metrics-result', reqId: msg.reqId, snapshot: mergeSnapshots(got.length ? got : [msg.local]) } satisfies Message);
        },
      };
      const timer = setTimeout(() => entry.done(entry.got), METRICS_TIMEOUT_MS);
      snapshots.set(id, entry);
      for (const w of workers) w.send({ type: 'metrics-collect', reqId: id } satisfies Message);
    } else if (msg.type === 'metrics-snapshot') {
      const entry = snapshots.get(msg.reqId);
      if (!entry) return;
      entry.got.push(msg.snapshot);
      if (entry.got.length >= entry.want) entry.done(entry.got);
    }
  };

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (msg: Message) => onMessage(worker, msg));
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    log.error({ worker: worker.process.pid, code, signal }, 'worker exited unexpectedly; restarting it');
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && crashes[0]! < now - 60_000) crashes.shift();
    if (crashes.length > 10) {
      log.fatal('workers keep crashing (more than 10 in a minute); giving up');
      process.exit(1);
    }
    const restart = setTimeout(() => {
      restarts.delete(restart);
      if (!shuttingDown) fork();
    }, 500);
    restarts.add(restart);
  });

  let listening = 0;
  const ready = new Promise<void>((resolve) => {
    cluster.on('listening', (_worker, address) => {
      listening++;
      if (listening === config.workers) {
        announceListening(log, config, address.port, config.workers);
        resolve();
      }
    });
  });
  for (let i = 0; i < config.workers; i++) fork();

  const stop = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const t of restarts) clearTimeout(t);
    restarts.clear();
    if (retention) clearInterval(retention);
    log.info({ signal }, 'shutting down workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    // Workers may already have the signal (Ctrl-C reaches the whole process group); a second one is ignored.
    for (const w of workers) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      log.error('workers did not stop in time; killing them');
      for (const w of workers) w.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    // Each worker commits its last writes before it exits.
    const finish = () => {
      log.info('stopped');
      // A retention chunk in progress has committed or rolled back; the next one fails on the closed store.
      void (retentionConfigured(config) ? store.close() : Promise.resolve()).catch(() => {}).finally(() => process.exit(0));
    };
    let left = workers.length;
    if (left === 0) finish();
    cluster.on('exit', () => {
      if (--left === 0) finish();
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await ready;
  if (!shuttingDown) retention = startRetention(config, store, log);
}
