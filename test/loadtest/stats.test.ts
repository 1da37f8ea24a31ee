// Statistics against Locust 2.12 itself: fixtures/locust-reference.json holds what Locust's own
// stats.py computed (run by fixtures/locust-reference.py under a controlled clock) for the same
// request logs — buckets, median, percentiles, current RPS window, current percentiles, and the
// exact text of _stats.csv and _stats_history.csv.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyRows, HISTORY_COLUMNS, statsRows } from '../../src/loadtest/csv.js';
import { csvRow } from '../../src/loadtest/python-compat.js';
import { PERCENTILE_LABELS, PERCENTILES, percentileFromBuckets, RequestStats, roundResponseTime, type StatsEntry } from '../../src/loadtest/stats.js';
import { ROOT } from '../helpers.js';

interface EntryRef {
  num_requests: number;
  num_failures: number;
  median: number;
  avg: number;
  min: number | null;
  max: number;
  percentiles: number[];
  current_percentiles: (number | null)[];
  current_rps: number;
  current_fail_per_sec: number;
  total_rps: number;
  buckets: Record<string, number>;
}
interface CaseRef {
  shape: string;
  n: number;
  start: number;
  now: number;
  events: [number, string, string, number, number, boolean][];
  entries: Record<string, EntryRef>;
  stats_csv: string;
  history_csv: string;
  history_csv_full: string;
}
const ref = JSON.parse(readFileSync(join(ROOT, 'test/loadtest/fixtures/locust-reference.json'), 'utf8')) as {
  percentiles: number[];
  percentile_labels: string[];
  cases: CaseRef[];
};

function replay(c: CaseRef): RequestStats {
  const stats = new RequestStats(c.start);
  for (const [t, method, name, rt, size, failed] of c.events) {
    const now = c.start + t;
    stats.logRequest(stats.entry(method, name, now), rt, size, now, failed ? "HTTPError('500 Server Error')" : null);
  }
  return stats;
}

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('the reported percentiles and their labels are Locust 2.12 PERCENTILES_TO_REPORT', () => {
  assert.deepEqual([...PERCENTILES], ref.percentiles);
  assert.deepEqual(PERCENTILE_LABELS, ref.percentile_labels);
});

test('response times are bucketed as Locust rounds them (147 → 150, 3432 → 3400, 58760 → 59000, ties to even)', () => {
  const table: [number, number][] = [
    [0.4, 0],
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [99.4, 99],
    [147, 150],
    [145, 140],
    [155, 160],
    [145.0000001, 150],
    [999.4, 1000],
    [3432, 3400],
    [2500, 2500],
    [58760, 59000],
    [12500, 12000],
  ];
  for (const [ms, bucket] of table) assert.equal(roundResponseTime(ms), bucket, `${ms} ms`);
});

test(`buckets, median, mean, min, max, percentiles, RPS windows and current percentiles equal Locust's on ${ref.cases.length} request logs`, () => {
  for (const c of ref.cases) {
    const stats = replay(c);
    const byKey = new Map<string, StatsEntry>([...stats.entries.values()].map((e) => [`${e.method} ${e.name}`, e]));
    byKey.set(' Aggregated', stats.total);
    assert.equal(byKey.size, Object.keys(c.entries).length, `${c.shape}/${c.n}: entries`);
    for (const [key, want] of Object.entries(c.entries)) {
      const e = byKey.get(key)!;
      const where = `${c.shape}/${c.n} ${key}`;
      assert.ok(e, where);
      assert.equal(e.numRequests, want.num_requests, `${where}: requests`);
      assert.equal(e.numFailures, want.num_failures, `${where}: failures`);
      assert.deepEqual(Object.fromEntries([...e.buckets].map(([k, v]) => [k, v])), Object.fromEntries(Object.entries(want.buckets).map(([k, v]) => [Number(k), v])), `${where}: buckets`);
      close(e.medianResponseTime, want.median, `${where}: median`);
      close(e.avgResponseTime, want.avg, `${where}: mean`);
      close(e.minResponseTime ?? 0, want.min ?? 0, `${where}: min`);
      close(e.maxResponseTime, want.max, `${where}: max`);
      assert.deepEqual(
        PERCENTILES.map((p) => e.percentile(p)),
        want.percentiles,
        `${where}: percentiles`,
      );
      assert.deepEqual(
        PERCENTILES.map((p) => e.currentPercentile(p, c.now)),
        want.current_percentiles,
        `${where}: current percentiles`,
      );
      close(e.currentRps, want.current_rps, `${where}: current RPS`);
      close(e.currentFailPerSec, want.current_fail_per_sec, `${where}: current failures/s`);
      close(e.totalRps, want.total_rps, `${where}: average RPS`);
    }
  }
});

test("_stats.csv and _stats_history.csv rows are byte-for-byte Locust's", () => {
  for (const c of ref.cases) {
    const stats = replay(c);
    assert.equal(statsRows(stats), c.stats_csv, `${c.shape}/${c.n}: _stats.csv`);
    assert.equal(historyRows(stats, 0, c.now, false), c.history_csv, `${c.shape}/${c.n}: history`);
    assert.equal(historyRows(stats, 0, c.now, true), c.history_csv_full, `${c.shape}/${c.n}: full history`);
  }
  assert.equal(
    csvRow(HISTORY_COLUMNS),
    'Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n',
  );
});

test('percentiles from buckets match a sort-based reference on the rounded values', () => {
  // Locust walks the buckets from the slowest and returns the largest value v with at most
  // ⌊n·p⌋ values below it. On the sorted values that is sorted[min(⌊n·p⌋, n − 1)].
  let seed = 12345;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (const n of [1, 2, 3, 10, 99, 100, 101, 1000, 4321]) {
    const values = Array.from({ length: n }, () => roundResponseTime(Math.exp(rand() * 9)));
    const buckets = new Map<number, number>();
    for (const v of values) buckets.set(v, (buckets.get(v) ?? 0) + 1);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of PERCENTILES) {
      assert.equal(percentileFromBuckets(buckets, n, p), sorted[Math.min(Math.trunc(n * p), n - 1)], `n=${n} p=${p}`);
    }
  }
});

test('the current RPS averages the seconds [last−12, last−2) and never starts before the test', () => {
  const stats = new RequestStats(1000.5);
  const e = stats.entry('GET', '/x', 1000.5);
  // 5 requests in each second 1000..1019; then the window ending at 1019 covers 1007..1016.
  for (let s = 1000; s < 1020; s++) for (let i = 0; i < (s === 1010 ? 15 : 5); i++) stats.logRequest(e, 1, 0, s + 0.5 + i / 100, null);
  assert.equal(e.currentRps, (9 * 5 + 15) / 10);
  assert.equal(stats.total.currentRps, (9 * 5 + 15) / 10);
  // Early in a test the window is clipped to the start: last=1004.x → seconds 1000..1001.
  const early = new RequestStats(1000.5);
  const e2 = early.entry('GET', '/x', 1000.5);
  for (let s = 1000; s < 1005; s++) early.logRequest(e2, 1, 0, s + 0.6, null);
  assert.equal(e2.currentRps, 1);
  // The average RPS is requests / (last request − start).
  assert.equal(e2.totalRps, 5 / (1004.6 - 1000.5));
});
