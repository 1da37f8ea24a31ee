// --threshold: pass/fail criteria for CI, in the spirit of k6's thresholds (k6.io docs, "Thresholds"),
// over Locust's statistics. One criterion per --threshold, repeatable:
//
//   [ENDPOINT:]METRIC OP VALUE[UNIT]
//
//   METRIC  p50 … p99.9 (any percentile, Locust's rounded buckets), med, avg, min, max — milliseconds,
//           written with ms or s (200ms, 1.5s; a bare number is ms);
//           failures — the failure ratio with % (failures<0.1%) or a count without (failures<=10);
//           rps — average requests per second over the run (rps>5000);
//           requests — how many requests were made;
//           late — open model: requests sent late or never (late<1%, late==0 is late<=0)
//   OP      < <= > >=
//   ENDPOINT  "METHOD name" or just the name (every method): 'POST /analyze:p95<200ms', '/history:p99<1s'
//
// Without an endpoint a criterion reads the aggregate row. A run with thresholds exits 3 when one is
// broken (see cli.ts for every exit status). Evaluated from the report, so `loadtest merge` applies
// them to merged runs the same way.
import type { EntryReport, RunReport } from './report.js';
import { percentileFromBuckets, medianFromBuckets } from './stats.js';
import { UserError } from '../user-error.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=';
export type ThresholdMetric =
  | { kind: 'percentile'; p: number }
  | { kind: 'med' | 'avg' | 'min' | 'max' }
  | { kind: 'failures'; ratio: boolean }
  | { kind: 'late'; ratio: boolean }
  | { kind: 'rps' | 'requests' };

export interface Threshold {
  /** as written */
  text: string;
  endpoint: { method: string | null; name: string } | null;
  metric: ThresholdMetric;
  op: ThresholdOp;
  /** ms for latencies, a ratio (0–1) for failures/late with %, else the plain number */
  limit: number;
}

export interface ThresholdResult {
  threshold: string;
  /** "POST /analyze", or null for the aggregate */
  endpoint: string | null;
  /** the measured value in the limit's unit; null when there was nothing to measure */
  actual: number | null;
  limit: number;
  unit: 'ms' | '%' | 'req/s' | 'requests';
  passed: boolean;
}

export class ThresholdError extends UserError {}

const RE = /^(?:(.+):)?\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>|==)\s*(\d+(?:\.\d+)?)\s*(ms|s|%)?\s*$/;

export function parseThreshold(text: string): Threshold {
  const m = RE.exec(text.trim());
  const usage = 'e.g. p95<200ms, failures<0.1%, rps>5000, POST /analyze:p99<=1s';
  if (!m) throw new ThresholdError(`--threshold ${JSON.stringify(text)}: not METRIC OP VALUE (${usage})`);
  const [, ep, name, rawOp, rawValue, unit] = m;
  let value = Number(rawValue);
  // "x==0" only makes sense for counts that cannot go below 0: it is x<=0.
  let op = rawOp as ThresholdOp | '==';
  if (op === '==') {
    if (value !== 0) throw new ThresholdError(`--threshold ${JSON.stringify(text)}: == is only for 0 (use <= or >=)`);
    op = '<=';
  }
  let metric: ThresholdMetric;
  const pm = /^p(\d+(?:\.\d+)?)$/.exec(name!);
  const bad = (why: string): never => {
    throw new ThresholdError(`--threshold ${JSON.stringify(text)}: ${why}`);
  };
  if (pm) {
    const p = Number(pm[1]);
    if (!(p > 0 && p <= 100)) bad('a percentile is p1 … p100');
    metric = { kind: 'percentile', p: Math.round(p * 1e6) / 1e8 }; // 99.9 → 0.999 exactly, as Locust writes it
  } else if (name === 'med' || name === 'avg' || name === 'min' || name === 'max') metric = { kind: name };
  else if (name === 'failures' || name === 'late') metric = { kind: name, ratio: unit === '%' };
  else if (name === 'rps' || name === 'requests') metric = { kind: name };
  else return bad(`unknown metric "${name}" (p50…p99.9, med, avg, min, max, failures, rps, requests, late)`);
  if (metric.kind === 'percentile' || metric.kind === 'med' || metric.kind === 'avg' || metric.kind === 'min' || metric.kind === 'max') {
    if (unit === '%') bad('a response time takes ms or s');
    if (unit === 's') value *= 1000;
  } else if (metric.kind === 'failures' || metric.kind === 'late') {
    if (unit === 'ms' || unit === 's') bad(`${name} takes % (a ratio) or a plain count`);
    if (unit === '%') value /= 100;
  } else if (unit) bad(`${name} takes a plain number`);
  let endpoint: Threshold['endpoint'] = null;
  if (ep !== undefined) {
    const em = /^\s*([A-Z]+)\s+(\S.*?)\s*$/.exec(ep);
    endpoint = em ? { method: em[1]!, name: em[2]! } : { method: null, name: ep.trim() };
    if (endpoint.name === '') bad('empty endpoint');
    if (metric.kind === 'late') bad('late is counted for the whole run, not per endpoint');
  }
  return { text: text.trim(), endpoint, metric, op, limit: value };
}

function compare(actual: number, op: ThresholdOp, limit: number): boolean {
  // Ratios are compared after rounding away float noise (3/1000 vs 0.3%).
  const a = Math.round(actual * 1e9) / 1e9;
  const l = Math.round(limit * 1e9) / 1e9;
  return op === '<' ? a < l : op === '<=' ? a <= l : op === '>' ? a > l : a >= l;
}

/** The endpoint rows a threshold reads: one row, or (a name without method) those rows summed. */
function rowsFor(r: RunReport, t: Threshold): EntryReport[] {
  if (t.endpoint === null) return [r.aggregated];
  const { method, name } = t.endpoint;
  return r.entries.filter((e) => e.name === name && (method === null || e.method === method));
}

function histogramOf(rows: EntryReport[]): Map<number, number> {
  const h = new Map<number, number>();
  for (const e of rows) for (const [k, v] of Object.entries(e.histogram)) h.set(Number(k), (h.get(Number(k)) ?? 0) + v);
  return h;
}

export function evaluateThreshold(r: RunReport, t: Threshold): ThresholdResult {
  const rows = rowsFor(r, t);
  const requests = rows.reduce((s, e) => s + e.requests, 0);
  const failures = rows.reduce((s, e) => s + e.failures, 0);
  let actual: number | null = null;
  let unit: ThresholdResult['unit'] = 'ms';
  const m = t.metric;
  switch (m.kind) {
    case 'percentile':
      if (requests > 0) actual = percentileFromBuckets(histogramOf(rows), requests, m.p);
      break;
    case 'med':
      if (requests > 0) {
        const max = Math.max(...rows.map((e) => e.max));
        const min = Math.min(...rows.filter((e) => e.requests > 0).map((e) => e.min));
        actual = Math.min(max, Math.max(min, medianFromBuckets(histogramOf(rows), requests)));
      }
      break;
    case 'avg':
      if (requests > 0) actual = rows.reduce((s, e) => s + e.totalResponseTime, 0) / requests;
      break;
    case 'min':
      if (requests > 0) actual = Math.min(...rows.filter((e) => e.requests > 0).map((e) => e.min));
      break;
    case 'max':
      if (requests > 0) actual = Math.max(...rows.map((e) => e.max));
      break;
    case 'failures':
      unit = m.ratio ? '%' : 'requests';
      actual = m.ratio ? (requests > 0 ? failures / requests : failures > 0 ? 1 : 0) : failures;
      break;
    case 'late': {
      unit = m.ratio ? '%' : 'requests';
      const late = r.openModel ? r.openModel.late + r.openModel.unsent : 0;
      const intended = r.openModel ? r.openModel.intended : r.requests;
      actual = m.ratio ? (intended > 0 ? late / intended : 0) : late;
      break;
    }
    case 'rps':
      unit = 'req/s';
      actual = rows.reduce((s, e) => s + e.rps, 0);
      break;
    case 'requests':
      unit = 'requests';
      actual = requests;
      break;
  }
  const endpoint = t.endpoint === null ? null : `${t.endpoint.method ? t.endpoint.method + ' ' : ''}${t.endpoint.name}`;
  return { threshold: t.text, endpoint, actual, limit: t.limit, unit, passed: actual !== null && compare(actual, t.op, t.limit) };
}

export function evaluateThresholds(r: RunReport, ts: readonly Threshold[]): ThresholdResult[] {
  return ts.map((t) => evaluateThreshold(r, t));
}

/** "p95 = 12 ms", "failures = 0.25%", "rps = 4,012.5 req/s", or why there is no value. */
export function formatActual(res: ThresholdResult): string {
  if (res.actual === null) return `no requests${res.endpoint ? ` to ${res.endpoint}` : ''}`;
  const v = res.actual;
  switch (res.unit) {
    case 'ms':
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ms`;
    case '%':
      return `${(v * 100).toFixed(3).replace(/\.?0+$/, '')}%`;
    case 'req/s':
      return `${v.toFixed(1)} req/s`;
    case 'requests':
      return `${v}`;
  }
}

/**
 * The exit status of a run (cli.ts documents them): 3 when a threshold is broken; otherwise, as
 * Locust, 1 when a request failed — unless a failures threshold says how many failures are fine.
 */
export function exitStatus(r: RunReport, thresholds: readonly Threshold[]): number {
  const results = r.thresholds ?? [];
  if (results.some((t) => !t.passed)) return 3;
  const failuresJudged = thresholds.some((t) => t.metric.kind === 'failures');
  return r.failures > 0 && !failuresJudged ? 1 : 0;
}
