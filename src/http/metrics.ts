// Prometheus metrics in the text exposition format (version 0.0.4), kept as plain data so the
// snapshots of several worker processes can be summed into one answer (see src/server.ts).
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
  openFds: number;
}

function newHistogram(): Histogram {
  return { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
}

function observe(h: Histogram, seconds: number): void {
  for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) h.buckets[i]!++;
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

export class Metrics {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  constructor() {
    this.loop.enable();
  }

  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly analyses = new Map<string, number>();
  private readonly writes = newHistogram();
  private writeRows = 0;

  close(): void {
    this.loop.disable();
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
      openFds: countOpenFds(),
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
    requests: {}, durations: {}, analyses: {}, writes: newHistogram(), writeRows: 0, rss: 0, heapUsed: 0,
    loopDelayP99: 0, loopDelayMax: 0, openFds: 0,
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
    out.openFds += s.openFds;
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

function histogramLines(name: string, labelText: string, h: Histogram): string[] {
  const sep = labelText === '' ? '' : ',';
  const lines = DURATION_BUCKETS.map((le, i) => `${name}_bucket{${labelText}${sep}le="${le}"} ${h.buckets[i]}`);
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
    '# HELP process_resident_memory_bytes Resident memory of all worker processes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${s.rss}`,
    '# HELP nodejs_heap_used_bytes V8 heap in use, all worker processes.',
    '# TYPE nodejs_heap_used_bytes gauge',
    `nodejs_heap_used_bytes ${s.heapUsed}`,
    '# HELP process_open_fds Open file descriptors, all worker processes.',
    '# TYPE process_open_fds gauge',
    `process_open_fds ${s.openFds}`,
    '# HELP nodejs_eventloop_delay_p99_seconds Event-loop delay p99 since the previous scrape, worst worker.',
    '# TYPE nodejs_eventloop_delay_p99_seconds gauge',
    `nodejs_eventloop_delay_p99_seconds ${s.loopDelayP99}`,
    '# HELP nodejs_eventloop_delay_max_seconds Event-loop delay max since the previous scrape, worst worker.',
    '# TYPE nodejs_eventloop_delay_max_seconds gauge',
    `nodejs_eventloop_delay_max_seconds ${s.loopDelayMax}`,
  );
  return out.join('\n') + '\n';
}
