// Prometheus metrics in the text exposition format (version 0.0.4), kept as plain data so the
// snapshots of several worker processes can be summed into one answer (see src/server.ts).
// The process series (process_*, nodejs_*) are the ones dashboards for Node.js services expect, by
// the names and meanings of the Prometheus client libraries (prom-client's defaults), written here:
// they are a few lines each and must be mergeable across workers like the rest.
import { readdirSync, readFileSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { VERSION } from '../version.js';

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** prom-client's buckets for nodejs_gc_duration_seconds. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
/** How often the event-loop lag is sampled (a setImmediate scheduled from a timer), ms. */
const LAG_SAMPLE_MS = 1000;

const GC_KINDS: Readonly<Record<number, string>> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** What one process measured; mergeable across processes. */
export interface MetricsSnapshot {
  requests: Record<string, number>; // key: method|route|status
  durations: Record<string, Histogram>; // key: method|route|status
  /** Texts scored, by `engine|stored` (stored: "true" or "false"). */
  analyses: Record<string, number>;
  writes: Histogram;
  writeRows: number;
  rss: number;
  heapUsed: number;
  /** Event-loop delay since the last scrape, worst process: p99 and max, seconds. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Event-loop lag at the last sample (a setImmediate's delay), worst process, seconds. */
  loopLag: number;
  openFds: number;
  /** The lowest open-files limit of the processes (RLIMIT_NOFILE), 0 if unknown. */
  maxFds: number;
  /** CPU time of the processes, seconds. */
  cpuUser: number;
  cpuSystem: number;
  /** Unix time the newest process started, seconds: the sums may have reset then (a restarted worker). */
  startTime: number;
  /** Garbage-collection pauses by kind (major, minor, incremental, weakcb). */
  gc: Record<string, Histogram>;
}

function newHistogram(bounds: readonly number[] = DURATION_BUCKETS): Histogram {
  return { buckets: bounds.map(() => 0), sum: 0, count: 0 };
}

function observe(h: Histogram, seconds: number, bounds: readonly number[] = DURATION_BUCKETS): void {
  for (let i = 0; i < bounds.length; i++) if (seconds <= bounds[i]!) h.buckets[i]!++;
  h.sum += seconds;
  h.count++;
}

function countOpenFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0; // not Linux
  }
}

/** The soft RLIMIT_NOFILE from /proc/self/limits ("Max open files  65536  65536  files"); 0 if unknown. */
export function maxOpenFds(limits?: string): number {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return 0;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  return soft === undefined || soft === 'unlimited' ? 0 : Number(soft);
}

/** When this process started, Unix seconds (the time origin of performance.now()). */
const START_TIME = Math.round((performance.timeOrigin / 1000) * 1000) / 1000;

export class Metrics {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc: Record<string, Histogram> = {};
  private readonly gcObserver: PerformanceObserver;
  private readonly lagTimer: NodeJS.Timeout;
  private loopLag = 0;
  private readonly maxFds = maxOpenFds();

  constructor() {
    this.loop.enable();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.recordGc(entry);
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    // prom-client's nodejs_eventloop_lag_seconds: how late a setImmediate runs, sampled.
    this.lagTimer = setInterval(() => {
      const start = performance.now();
      setImmediate(() => {
        this.loopLag = (performance.now() - start) / 1000;
      });
    }, LAG_SAMPLE_MS);
    this.lagTimer.unref();
  }

  private recordGc(entry: PerformanceEntry): void {
    const kind = GC_KINDS[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    observe((this.gc[kind] ??= newHistogram(GC_BUCKETS)), entry.duration / 1000, GC_BUCKETS);
  }

  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly analyses = new Map<string, number>();
  private readonly writes = newHistogram();
  private writeRows = 0;

  close(): void {
    this.loop.disable();
    this.gcObserver.disconnect();
    clearInterval(this.lagTimer);
  }

  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method}|${route}|${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(key);
    if (h === undefined) this.durations.set(key, (h = newHistogram()));
    observe(h, seconds);
  }

  recordAnalyses(count: number, stored: boolean, engine: string): void {
    const key = `${engine}|${stored}`;
    this.analyses.set(key, (this.analyses.get(key) ?? 0) + count);
  }

  recordWrite(seconds: number, rows: number): void {
    observe(this.writes, seconds);
    this.writeRows += rows;
  }

  snapshot(): MetricsSnapshot {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const snap: MetricsSnapshot = {
      requests: Object.fromEntries(this.requests),
      durations: Object.fromEntries(this.durations),
      analyses: Object.fromEntries(this.analyses),
      writes: this.writes,
      writeRows: this.writeRows,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      loopDelayP99: (this.loop.percentile(99) || 0) / 1e9,
      loopDelayMax: (this.loop.max || 0) / 1e9,
      loopLag: this.loopLag,
      openFds: countOpenFds(),
      maxFds: this.maxFds,
      cpuUser: cpu.user / 1e6,
      cpuSystem: cpu.system / 1e6,
      startTime: START_TIME,
      gc: structuredClone(this.gc),
    };
    this.loop.reset();
    return snap;
  }
}

function mergeHistogram(into: Histogram, from: Histogram): void {
  from.buckets.forEach((b, i) => (into.buckets[i] = (into.buckets[i] ?? 0) + b));
  into.sum += from.sum;
  into.count += from.count;
}

export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = {
    requests: {},
    durations: {},
    analyses: {},
    writes: newHistogram(),
    writeRows: 0,
    rss: 0,
    heapUsed: 0,
    loopDelayP99: 0,
    loopDelayMax: 0,
    loopLag: 0,
    openFds: 0,
    maxFds: 0,
    cpuUser: 0,
    cpuSystem: 0,
    startTime: 0,
    gc: {},
  };
  for (const s of snapshots) {
    for (const [k, v] of Object.entries(s.requests)) out.requests[k] = (out.requests[k] ?? 0) + v;
    for (const [k, h] of Object.entries(s.durations)) mergeHistogram((out.durations[k] ??= newHistogram()), h);
    for (const [k, v] of Object.entries(s.analyses)) out.analyses[k] = (out.analyses[k] ?? 0) + v;
    mergeHistogram(out.writes, s.writes);
    out.writeRows += s.writeRows;
    out.rss += s.rss;
    out.heapUsed += s.heapUsed;
    out.loopDelayP99 = Math.max(out.loopDelayP99, s.loopDelayP99);
    out.loopDelayMax = Math.max(out.loopDelayMax, s.loopDelayMax);
    out.loopLag = Math.max(out.loopLag, s.loopLag);
    out.openFds += s.openFds;
    if (s.maxFds > 0) out.maxFds = out.maxFds === 0 ? s.maxFds : Math.min(out.maxFds, s.maxFds);
    out.cpuUser += s.cpuUser;
    out.cpuSystem += s.cpuSystem;
    out.startTime = Math.max(out.startTime, s.startTime);
    for (const [k, h] of Object.entries(s.gc)) mergeHistogram((out.gc[k] ??= newHistogram(GC_BUCKETS)), h);
  }
  return out;
}

/** One line per engine and stored flag; textblob's two lines always (the default engine's zeros). */
function analysesLines(analyses: Record<string, number>): string[] {
  const counts = { 'textblob|true': 0, 'textblob|false': 0, ...analyses };
  return Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, n]) => {
      const [engine, stored] = key.split('|');
      return `polarity_analyses_total{engine="${escapeLabel(engine!)}",stored="${stored}"} ${n}`;
    });
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(key: string): string {
  const [method, route, status] = key.split('|');
  return `method="${escapeLabel(method!)}",route="${escapeLabel(route!)}",status_code="${status}"`;
}

function histogramLines(name: string, labelText: string, h: Histogram, bounds: readonly number[] = DURATION_BUCKETS): string[] {
  const sep = labelText === '' ? '' : ',';
  const lines = bounds.map((le, i) => `${name}_bucket{${labelText}${sep}le="${le}"} ${h.buckets[i]}`);
  lines.push(`${name}_bucket{${labelText}${sep}le="+Inf"} ${h.count}`);
  const braces = labelText === '' ? '' : `{${labelText}}`;
  lines.push(`${name}_sum${braces} ${h.sum}`, `${name}_count${braces} ${h.count}`);
  return lines;
}

/** Renders the Prometheus text format. `historyRows` and `workers` are read at scrape time. */
export function renderMetrics(s: MetricsSnapshot, historyRows: number | undefined, workers: number): string {
  const out: string[] = [
    '# HELP http_requests_total HTTP requests answered, by method, route and status code.',
    '# TYPE http_requests_total counter',
    ...Object.entries(s.requests).map(([k, v]) => `http_requests_total{${labels(k)}} ${v}`),
    '# HELP http_request_duration_seconds Time from request received to response sent.',
    '# TYPE http_request_duration_seconds histogram',
    ...Object.entries(s.durations).flatMap(([k, h]) => histogramLines('http_request_duration_seconds', labels(k), h)),
    '# HELP polarity_analyses_total Texts scored, by engine and by whether they were stored.',
    '# TYPE polarity_analyses_total counter',
    ...analysesLines(s.analyses),
    '# HELP polarity_store_write_duration_seconds Duration of one group commit to the history store.',
    '# TYPE polarity_store_write_duration_seconds histogram',
    ...histogramLines('polarity_store_write_duration_seconds', '', s.writes),
    '# HELP polarity_store_written_rows_total Rows committed to the history store.',
    '# TYPE polarity_store_written_rows_total counter',
    `polarity_store_written_rows_total ${s.writeRows}`,
  ];
  if (historyRows !== undefined) {
    out.push('# HELP polarity_history_rows Rows in the history.', '# TYPE polarity_history_rows gauge', `polarity_history_rows ${historyRows}`);
  }
  out.push(
    '# HELP polarity_workers Worker processes serving requests.',
    '# TYPE polarity_workers gauge',
    `polarity_workers ${workers}`,
    '# HELP polarity_build_info The running version of Polarity (and of Node.js); always 1.',
    '# TYPE polarity_build_info gauge',
    `polarity_build_info{version="${escapeLabel(VERSION)}",node="${escapeLabel(process.version)}"} 1`,
    '# HELP process_cpu_user_seconds_total User CPU time of all worker processes, seconds.',
    '# TYPE process_cpu_user_seconds_total counter',
    `process_cpu_user_seconds_total ${s.cpuUser}`,
    '# HELP process_cpu_system_seconds_total System CPU time of all worker processes, seconds.',
    '# TYPE process_cpu_system_seconds_total counter',
    `process_cpu_system_seconds_total ${s.cpuSystem}`,
    '# HELP process_cpu_seconds_total User and system CPU time of all worker processes, seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${s.cpuUser + s.cpuSystem}`,
    '# HELP process_start_time_seconds Start time of the newest worker process since the Unix epoch, seconds (the sums here may have restarted then).',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${s.startTime}`,
    '# HELP process_resident_memory_bytes Resident memory of all worker processes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${s.rss}`,
    '# HELP nodejs_heap_used_bytes V8 heap in use, all worker processes.',
    '# TYPE nodejs_heap_used_bytes gauge',
    `nodejs_heap_used_bytes ${s.heapUsed}`,
    '# HELP process_open_fds Open file descriptors, all worker processes.',
    '# TYPE process_open_fds gauge',
    `process_open_fds ${s.openFds}`,
    ...(s.maxFds > 0 ? ['# HELP process_max_fds Open file descriptors one worker process may hold (RLIMIT_NOFILE).', '# TYPE process_max_fds gauge', `process_max_fds ${s.maxFds}`] : []),
    '# HELP nodejs_eventloop_lag_seconds How late a callback scheduled with setImmediate ran, last sample (each second), worst worker.',
    '# TYPE nodejs_eventloop_lag_seconds gauge',
    `nodejs_eventloop_lag_seconds ${s.loopLag}`,
    '# HELP nodejs_eventloop_delay_p99_seconds Event-loop delay p99 since the previous scrape, worst worker.',
    '# TYPE nodejs_eventloop_delay_p99_seconds gauge',
    `nodejs_eventloop_delay_p99_seconds ${s.loopDelayP99}`,
    '# HELP nodejs_eventloop_delay_max_seconds Event-loop delay max since the previous scrape, worst worker.',
    '# TYPE nodejs_eventloop_delay_max_seconds gauge',
    `nodejs_eventloop_delay_max_seconds ${s.loopDelayMax}`,
    '# HELP nodejs_gc_duration_seconds Garbage-collection pauses by kind, all worker processes.',
    '# TYPE nodejs_gc_duration_seconds histogram',
    ...Object.entries(s.gc)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([kind, h]) => histogramLines('nodejs_gc_duration_seconds', `kind="${escapeLabel(kind)}"`, h, GC_BUCKETS)),
  );
  return out.join('\n') + '\n';
}
