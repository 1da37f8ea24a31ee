// Merging runs into one report: the --processes children of one run, or `--json` results of runs
// on several machines (`polarity loadtest merge a.json b.json …`). Exact where Locust's statistics
// allow it: its response times are kept in rounded buckets, and buckets merge by adding counts
// (stats.py StatsEntry.extend does the same for its distributed workers), so the merged percentiles
// and median are those of one run that saw every request. Counts, sums, min and max merge exactly;
// the average RPS is all requests over (last request − earliest start). The per-second history is
// added second by second; its window percentiles are the highest of the runs' (an upper bound).
import { PERCENTILES, PERCENTILE_LABELS, medianFromBuckets, percentileFromBuckets } from './stats.js';
import type { EntryReport, LoadGeneratorInfo, OpenModelInfo, RunParameters, RunReport, Sample } from './report.js';
import { UserError } from '../user-error.js';

export class MergeError extends UserError {}

function mergeEntries(rows: EntryReport[], method: string, name: string, spanS: number): EntryReport {
  const histogram = new Map<number, number>();
  let requests = 0;
  let failures = 0;
  let totalResponseTime = 0;
  let totalContentLength = 0;
  let min: number | null = null;
  let max = 0;
  for (const e of rows) {
    requests += e.requests;
    failures += e.failures;
    totalResponseTime += e.totalResponseTime;
    totalContentLength += e.totalContentLength;
    if (e.requests > 0 && (min === null || e.min < min)) min = e.min;
    if (e.max > max) max = e.max;
    for (const [k, v] of Object.entries(e.histogram)) histogram.set(Number(k), (histogram.get(Number(k)) ?? 0) + v);
  }
  const percentiles: Record<string, number> = {};
  PERCENTILES.forEach((p, i) => (percentiles[PERCENTILE_LABELS[i]!] = requests ? percentileFromBuckets(histogram, requests, p) : 0));
  let median = 0;
  if (requests) {
    // StatsEntry.medianResponseTime: the median bucket clamped to [min, max]
    median = medianFromBuckets(histogram, requests);
    if (median > max) median = max;
    if (min !== null && median < min) median = min;
  }
  return {
    method,
    name,
    requests,
    failures,
    median,
    mean: requests ? totalResponseTime / requests : 0,
    min: min ?? 0,
    max,
    avgContentLength: requests ? totalContentLength / requests : 0,
    rps: spanS > 0 ? requests / spanS : 0,
    failPerSec: spanS > 0 ? failures / spanS : 0,
    percentiles,
    totalResponseTime,
    totalContentLength,
    histogram: Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])),
  };
}

function checkMergeable(r: RunReport, i: number): void {
  const ok =
    r &&
    r.tool === 'polarity loadtest' &&
    typeof r.startTime === 'number' &&
    r.aggregated &&
    typeof r.aggregated.histogram === 'object' &&
    Array.isArray(r.entries) &&
    r.entries.every((e) => typeof e.histogram === 'object' && typeof e.totalResponseTime === 'number');
  if (!ok) throw new MergeError(`result ${i + 1} is not a polarity loadtest --json result with response-time buckets (made by an older version, or another tool)`);
}

function mergeHistory(reports: readonly RunReport[], start: number): Sample[] {
  const bySecond = new Map<number, Sample>();
  for (const r of reports) {
    const offset = r.startTime - start;
    for (const s of r.history) {
      const k = Math.round(s.t + offset);
      const m = bySecond.get(k);
      if (!m) bySecond.set(k, { ...s, t: k });
      else {
        m.users += s.users;
        m.rps += s.rps;
        m.failPerSec += s.failPerSec;
        m.requests += s.requests;
        m.failures += s.failures;
        m.p50 = Math.max(m.p50, s.p50);
        m.p95 = Math.max(m.p95, s.p95);
        m.p99 = Math.max(m.p99, s.p99);
      }
    }
  }
  return [...bySecond.values()].sort((a, b) => a.t - b.t);
}

export function mergeReports(reports: readonly RunReport[]): RunReport {
  if (reports.length === 0) throw new MergeError('nothing to merge');
  reports.forEach(checkMergeable);
  if (reports.length === 1) return reports[0]!;
  const start = Math.min(...reports.map((r) => r.startTime));
  const lasts = reports.map((r) => r.lastRequestTime).filter((x): x is number => x !== null);
  const last = lasts.length ? Math.max(...lasts) : null;
  const span = last === null ? 0 : last - start;
  const aggregated = mergeEntries(
    reports.map((r) => r.aggregated),
    '',
    'Aggregated',
    span,
  );
  const history = mergeHistory(reports, start);
  const first = reports[0]!;
  const opens = reports.map((r) => r.openModel).filter((o) => o != null);
  return {
    ...first,
    parameters: mergeParameters(reports),
    startedAt: new Date(start * 1000).toISOString(),
    endedAt: new Date(maxOf(reports, (r) => Date.parse(r.endedAt))).toISOString(),
    durationS: span,
    stopReason: reports.find((r) => r.stopReason !== 'duration')?.stopReason ?? first.stopReason,
    peakUsers: history.length
      ? Math.max(
          ...history.map((s) => s.users),
          maxOf(reports, (r) => r.peakUsers),
        )
      : sumOf(reports, (r) => r.peakUsers),
    requests: aggregated.requests,
    failures: aggregated.failures,
    failRatio: aggregated.requests ? aggregated.failures / aggregated.requests : aggregated.failures ? 1 : 0,
    avgRps: aggregated.rps,
    currentRps: sumOf(reports, (r) => r.currentRps),
    entries: mergeEndpoints(reports, span),
    aggregated,
    failureList: mergeFailureList(reports),
    history,
    loadGenerator: mergeLoadGenerators(reports),
    startTime: start,
    lastRequestTime: last,
    ...(opens.length ? { openModel: mergeOpenModels(opens) } : {}),
    thresholds: undefined,
    mergedFrom: sumOf(reports, (r) => r.mergedFrom ?? 1),
  };
}

function sumOf(reports: readonly RunReport[], f: (r: RunReport) => number): number {
  return reports.reduce((a, r) => a + f(r), 0);
}

function maxOf(reports: readonly RunReport[], f: (r: RunReport) => number): number {
  return Math.max(...reports.map(f));
}

/** One entry per endpoint (name and method), in the order of their names. */
function mergeEndpoints(reports: readonly RunReport[], spanS: number): EntryReport[] {
  const groups = new Map<string, EntryReport[]>();
  for (const r of reports)
    for (const e of r.entries) {
      const k = `${e.name}\u0000${e.method}`;
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(e);
    }
  return [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => mergeEntries(groups.get(k)!, groups.get(k)![0]!.method, groups.get(k)![0]!.name, spanS));
}

/** The same failure (endpoint and error) on several runs: one row, its occurrences added. */
function mergeFailureList(reports: readonly RunReport[]): RunReport['failureList'] {
  const failures = new Map<string, RunReport['failureList'][number]>();
  for (const r of reports)
    for (const f of r.failureList) {
      const k = `${f.method}\u0000${f.name}\u0000${f.error}`;
      const m = failures.get(k);
      if (m) m.occurrences += f.occurrences;
      else failures.set(k, { ...f });
    }
  return [...failures.values()];
}

/** The load the runs made together: users, spawn rates, request bounds and open-model rates add up. */
function mergeParameters(reports: readonly RunReport[]): RunParameters {
  const first = reports[0]!;
  const rates = reports.map((r) => r.parameters.rate).filter((x) => x != null);
  return {
    ...first.parameters,
    users: sumOf(reports, (r) => r.parameters.users),
    spawnRate: sumOf(reports, (r) => r.parameters.spawnRate),
    maxRequests: reports.every((r) => r.parameters.maxRequests !== null) ? sumOf(reports, (r) => r.parameters.maxRequests!) : null,
    ...(rates.length ? { rate: { perS: rates.reduce((a, x) => a + x.perS, 0), rampS: rates[0]!.rampS, connections: rates.reduce((a, x) => a + x.connections, 0) } } : {}),
  };
}

/** CPU and requests add up; the event-loop delay is the worst of the runs'. */
function mergeLoadGenerators(reports: readonly RunReport[]): LoadGeneratorInfo {
  const eld = (k: 'p50' | 'p99' | 'max') => maxOf(reports, (r) => r.loadGenerator.eventLoopDelayMs[k]);
  return {
    cpuUserS: sumOf(reports, (r) => r.loadGenerator.cpuUserS),
    cpuSystemS: sumOf(reports, (r) => r.loadGenerator.cpuSystemS),
    cpuPercent: sumOf(reports, (r) => r.loadGenerator.cpuPercent),
    eventLoopDelayMs: { p50: eld('p50'), p99: eld('p99'), max: eld('max') },
    eventLoopDelayAfterRampMs: null,
    requestsSent: sumOf(reports, (r) => r.loadGenerator.requestsSent),
    abandoned: sumOf(reports, (r) => r.loadGenerator.abandoned),
  };
}

function mergeOpenModels(opens: readonly OpenModelInfo[]): OpenModelInfo {
  return {
    intended: opens.reduce((a, o) => a + o.intended, 0),
    late: opens.reduce((a, o) => a + o.late, 0),
    unsent: opens.reduce((a, o) => a + o.unsent, 0),
    lateAfterMs: opens[0]!.lateAfterMs,
    maxLagMs: Math.max(...opens.map((o) => o.maxLagMs)),
  };
}
