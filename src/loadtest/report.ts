// The result of one run as plain data: what --json prints, what the HTML report and the suite read.
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { PERCENTILES, PERCENTILE_LABELS, type RequestStats, type StatsEntry } from './stats.js';
import type { Runner } from './runner.js';
import type { Scenario } from './scenario.js';

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
  mode: 'users' | 'max';
  seed: number;
  scenario: Scenario;
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
  };
}

export function sample(runner: Runner): Sample {
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

export function buildReport(
  runner: Runner,
  parameters: RunParameters,
  history: Sample[],
  loadGenerator: LoadGeneratorInfo,
): RunReport {
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
  };
}
