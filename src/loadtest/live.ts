// What a running load test shows live, per second: the aggregate and each endpoint's current RPS,
// failures/s and p50/p95 over about the last 10 s (Locust's windows, stats.ts). The --web page draws
// these; --processes children send theirs to the parent, which adds them up.
import type { RunnerView } from './report.js';
import type { StatsEntry } from './stats.js';

export interface LiveRow {
  method: string;
  name: string;
  requests: number;
  failures: number;
  rps: number;
  failPerSec: number;
  /** ms over about the last 10 s; null before there is a window */
  p50: number | null;
  p95: number | null;
}

export interface LiveSnapshot {
  /** seconds since the start */
  t: number;
  users: number;
  total: LiveRow;
  endpoints: LiveRow[];
}

function row(e: StatsEntry, now: number): LiveRow {
  return {
    method: e.method,
    name: e.name,
    requests: e.numRequests,
    failures: e.numFailures,
    rps: e.currentRps,
    failPerSec: e.currentFailPerSec,
    p50: e.currentPercentile(0.5, now),
    p95: e.currentPercentile(0.95, now),
  };
}

export function liveSnapshot(runner: RunnerView): LiveSnapshot {
  const now = runner.clock.wall();
  return {
    t: Math.round(runner.elapsed() * 1000) / 1000,
    users: runner.userCount,
    total: row(runner.stats.total, now),
    endpoints: runner.stats.sortedEntries().map((e) => row(e, now)),
  };
}

/**
 * Several processes' snapshots as one: counts and rates add up; a window percentile cannot be
 * rebuilt from percentiles, so the live p50/p95 are the highest of the processes' (an upper bound;
 * the final report merges the buckets exactly).
 */
export function mergeSnapshots(snaps: readonly LiveSnapshot[]): LiveSnapshot {
  const add = (rows: LiveRow[], method: string, name: string): LiveRow => {
    const out: LiveRow = { method, name, requests: 0, failures: 0, rps: 0, failPerSec: 0, p50: null, p95: null };
    for (const r of rows) {
      out.requests += r.requests;
      out.failures += r.failures;
      out.rps += r.rps;
      out.failPerSec += r.failPerSec;
      if (r.p50 !== null) out.p50 = Math.max(out.p50 ?? 0, r.p50);
      if (r.p95 !== null) out.p95 = Math.max(out.p95 ?? 0, r.p95);
    }
    return out;
  };
  const byKey = new Map<string, LiveRow[]>();
  for (const s of snaps)
    for (const e of s.endpoints) {
      const k = `${e.name}\u0000${e.method}`;
      (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(e);
    }
  const endpoints = [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, rows]) => add(rows, rows[0]!.method, rows[0]!.name));
  return {
    t: Math.max(0, ...snaps.map((s) => s.t)),
    users: snaps.reduce((a, s) => a + s.users, 0),
    total: add(
      snaps.map((s) => s.total),
      '',
      'Aggregated',
    ),
    endpoints,
  };
}
