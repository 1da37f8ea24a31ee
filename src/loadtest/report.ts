// The result of one run as plain data: what --json prints, what the HTML report and the suite read.
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { PERCENTILES, PERCENTILE_LABELS, type RequestStats, type StatsEntry } from './stats.js';
import type { Clock, StopReason } from './runner.js';
import type { Scenario } from './scenario.js';
import type { ThresholdResult } from './thresholds.js';

/** What a report reads from a scheduler: the closed-model Runner and the open-model OpenRunner. */
export interface RunnerView {
  readonly stats: RequestStats;
  readonly clock: Clock;
  readonly userCount: number;
  readonly peakUsers: number;
  readonly stopReason: StopReason | null;
  readonly endedWall: number | null;
  elapsed(): number;
}

export interface EntryReport {
  method: string;
  name: string;
  requests: number;
  failures: number;
  /** milliseconds */
  median: number;
  mean: number;
  min: number;
  max: number;
  avgContentLength: number;
  /** average over the run (Locust's total_rps) */
  rps: number;
  failPerSec: number;
  /** "50%" … "100%" → ms, Locust's rounded buckets */
  percentiles: Record<string, number>;
  /** what exact merging needs (loadtest merge, --processes): sums, and the rounded buckets (ms → count) */
  totalResponseTime: number;
  totalContentLength: number;
  histogram: Record<string, number>;
}

/** One point of the time series, taken every second. */
export interface Sample {
  /** seconds since the start */
  t: number;
  users: number;
  /** current RPS and failures/s (Locust's 10-second window) */
  rps: number;
  failPerSec: number;
  /** current percentiles over about the last 10 s, ms (0 before there is a window) */
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  failures: number;
}

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  polarity: string;
}

export interface RunParameters {
  host: string;
  users: number;
  spawnRate: number;
  durationS: number;
  timeoutS: number;
  stopTimeoutS: number;
  maxRequests: number | null;
  mode: 'users' | 'max' | 'rate';
  seed: number;
  scenario: Scenario;
  /** open model (--rate): requests started per second, reached after rampS */
  rate?: { perS: number; rampS: number; connections: number } | null;
  /** --data: where the texts came from and in which order */
  data?: { file: string; texts: number; order: 'round-robin' | 'random' } | null;
  /** --processes */
  processes?: number;
}

/** Open model: requests due at an intended time, and how many could not go then. */
export interface OpenModelInfo {
  /** requests whose intended send time fell within the run */
  intended: number;
  /** sent, but more than lateAfterMs after their intended time (no free connection, or a busy load tester) */
  late: number;
  /** due but never sent: still waiting for a connection when the run ended */
  unsent: number;
  lateAfterMs: number;
  /** the longest wait between an intended send time and the send, ms */
  maxLagMs: number;
}

export interface LoadGeneratorInfo {
  /** CPU time of the load tester process over the run, seconds */
  cpuUserS: number;
  cpuSystemS: number;
  /** CPU time / wall time × 100: 100 means one whole core */
  cpuPercent: number;
  /** how late the load tester's event loop ran timers and I/O callbacks, ms: a bound on timing error */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** the same from the moment every user runs (starting users — connects — is the heaviest part); null if never */
  eventLoopDelayAfterRampMs: { p50: number; p99: number; max: number } | null;
  requestsSent: number;
  /** requests still in flight when the stop timeout ran out; not counted anywhere else */
  abandoned: number;
}

export interface RunReport {
  tool: 'polarity loadtest';
  locustCompatibility: '2.12';
  parameters: RunParameters;
  startedAt: string;
  endedAt: string;
  /** wall seconds from the start to the end of the last request */
  durationS: number;
  stopReason: string | null;
  peakUsers: number;
  requests: number;
  failures: number;
  failRatio: number;
  /** average RPS over the run: requests / (last request − start), as Locust */
  avgRps: number;
  currentRps: number;
  entries: EntryReport[];
  aggregated: EntryReport;
  failureList: { method: string; name: string; error: string; occurrences: number }[];
  history: Sample[];
  loadGenerator: LoadGeneratorInfo;
  machine: MachineInfo;
  /** wall-clock seconds (epoch) of the start and of the last request: what merging needs for the RPS */
  startTime: number;
  lastRequestTime: number | null;
  /** open model only */
  openModel?: OpenModelInfo | null;
  /** --threshold results, in the order given */
  thresholds?: ThresholdResult[];
  /** a merged report: how many runs it merges (processes or machines) */
  mergedFrom?: number;
}

export function entryReport(e: StatsEntry): EntryReport {
  const percentiles: Record<string, number> = {};
  PERCENTILES.forEach((p, i) => (percentiles[PERCENTILE_LABELS[i]!] = e.numRequests ? e.percentile(p) : 0));
  return {
    method: e.method,
    name: e.name,
    requests: e.numRequests,
    failures: e.numFailures,
    median: e.medianResponseTime,
    mean: e.avgResponseTime,
    min: e.minResponseTime ?? 0,
    max: e.maxResponseTime,
    avgContentLength: e.avgContentLength,
    rps: e.totalRps,
    failPerSec: e.totalFailPerSec,
    percentiles,
    totalResponseTime: e.totalResponseTime,
    totalContentLength: e.totalContentLength,
    histogram: Object.fromEntries([...e.buckets].sort((a, b) => a[0] - b[0])),
  };
}

export function sample(runner: RunnerView): Sample {
  const total = runner.stats.total;
  const now = runner.clock.wall();
  return {
    t: Math.round(runner.elapsed() * 1000) / 1000,
    users: runner.userCount,
    rps: total.currentRps,
    failPerSec: total.currentFailPerSec,
    p50: total.currentPercentile(0.5, now) ?? 0,
    p95: total.currentPercentile(0.95, now) ?? 0,
    p99: total.currentPercentile(0.99, now) ?? 0,
    requests: total.numRequests,
    failures: total.numFailures,
  };
}

let cachedVersion: string | undefined;
export function polarityVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    polarity: polarityVersion(),
  };
}

export function buildReport(runner: RunnerView, parameters: RunParameters, history: Sample[], loadGenerator: LoadGeneratorInfo, openModel: OpenModelInfo | null = null): RunReport {
  const stats: RequestStats = runner.stats;
  const total = stats.total;
  const last = stats.lastRequestTimestamp;
  return {
    tool: 'polarity loadtest',
    locustCompatibility: '2.12',
    parameters,
    startedAt: new Date(stats.startTime * 1000).toISOString(),
    endedAt: new Date((runner.endedWall ?? runner.clock.wall()) * 1000).toISOString(),
    durationS: last === null ? 0 : last - stats.startTime,
    stopReason: runner.stopReason,
    peakUsers: runner.peakUsers,
    requests: total.numRequests,
    failures: total.numFailures,
    failRatio: total.failRatio,
    avgRps: total.totalRps,
    currentRps: total.currentRps,
    entries: stats.sortedEntries().map(entryReport),
    aggregated: entryReport(total),
    failureList: [...stats.failures.values()].map((f) => ({ ...f })),
    history,
    loadGenerator,
    machine: machineInfo(),
    startTime: stats.startTime,
    lastRequestTime: last,
    ...(openModel ? { openModel } : {}),
  };
}
