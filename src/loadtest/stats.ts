// Request statistics computed the way Locust 2.12 computes them (locust/stats.py), so that figures
// from `polarity loadtest` and from Locust mean the same thing:
//  - every request is counted once, failed or not; a failure is also counted in failures;
//  - response times are kept in rounded buckets (StatsEntry._log_response_time): to 1 ms below
//    100 ms, to 10 ms below 1 s, to 100 ms below 10 s, to 1 s above — with Python's round(), ties to
//    even — and percentiles are read from those buckets (calculate_response_time_percentile);
//  - the average RPS of a run is requests / (time of the last request − start of the test);
//  - the current RPS averages the per-second counts of the seconds [last−12, last−2);
//  - the current percentiles come from a copy of the buckets kept for each of the last 20 seconds,
//    diffed against the copy from about 10 seconds ago.
// Times of requests are wall-clock seconds (Locust's time.time()); response times are milliseconds.
import { pyRound } from './python-compat.js';

/** Locust's PERCENTILES_TO_REPORT. */
export const PERCENTILES = [0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0] as const;

/** Locust's column labels for them: "50%", …, "99.9%", "99.99%", "100%". */
export const PERCENTILE_LABELS = PERCENTILES.map((p) => {
  const x = p * 100;
  return `${Number.isInteger(x) ? x : Math.round(x * 1e6) / 1e6}%`;
});

/** How wide a window (seconds) the "current" percentiles cover (CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW). */
export const CURRENT_WINDOW_S = 10;

/** The bucket a response time is counted in (StatsEntry._log_response_time). */
export function roundResponseTime(ms: number): number {
  if (ms < 100) return pyRound(ms);
  if (ms < 1000) return pyRound(ms, -1);
  if (ms < 10000) return pyRound(ms, -2);
  return pyRound(ms, -3);
}

/**
 * The response time that `percent` of the requests finished within, from a bucket map
 * (calculate_response_time_percentile): walk buckets from the slowest down until no more than
 * ⌊n·percent⌋ requests remain below.
 */
export function percentileFromBuckets(buckets: ReadonlyMap<number, number>, numRequests: number, percent: number): number {
  const wanted = Math.trunc(numRequests * percent);
  let processed = 0;
  for (const key of [...buckets.keys()].sort((a, b) => b - a)) {
    processed += buckets.get(key)!;
    if (numRequests - processed <= wanted) return key;
  }
  return 0;
}

/** median_from_dict: the bucket holding request number ⌈(n−1)/2⌉ in ascending order. */
export function medianFromBuckets(buckets: ReadonlyMap<number, number>, total: number): number {
  let pos = (total - 1) / 2;
  let key = 0;
  for (key of [...buckets.keys()].sort((a, b) => a - b)) {
    const count = buckets.get(key)!;
    if (pos < count) return key;
    pos -= count;
  }
  return key;
}

interface CachedBuckets {
  buckets: Map<number, number>;
  numRequests: number;
}

/** What the entries share: the test's start and the time of its latest request (RequestStats). */
interface StatsClock {
  startTime: number;
  lastRequestTimestamp: number | null;
}

export class StatsEntry {
  numRequests = 0;
  numFailures = 0;
  totalResponseTime = 0;
  minResponseTime: number | null = null;
  maxResponseTime = 0;
  totalContentLength = 0;
  lastRequestTimestamp: number | null = null;
  /** rounded response time (ms) → count */
  readonly buckets = new Map<number, number>();
  /** whole second → requests / failures logged in it */
  readonly reqsPerSec = new Map<number, number>();
  readonly failsPerSec = new Map<number, number>();
  /** whole second → copy of the buckets at the end of it; the latest 20 kept */
  private readonly cache = new Map<number, CachedBuckets>();

  constructor(
    readonly method: string,
    readonly name: string,
    private readonly clock: StatsClock,
    createdAt: number = clock.startTime,
  ) {
    // Locust creates an entry at its first request and copies its (empty) buckets then.
    this.cacheBuckets(Math.trunc(createdAt));
  }

  log(responseTimeMs: number, contentLength: number, now: number): void {
    const t = Math.trunc(now);
    if (this.lastRequestTimestamp !== null && t > Math.trunc(this.lastRequestTimestamp)) this.cacheBuckets(t - 1);
    this.numRequests++;
    this.reqsPerSec.set(t, (this.reqsPerSec.get(t) ?? 0) + 1);
    this.lastRequestTimestamp = now;
    this.totalResponseTime += responseTimeMs;
    if (this.minResponseTime === null || responseTimeMs < this.minResponseTime) this.minResponseTime = responseTimeMs;
    if (responseTimeMs > this.maxResponseTime) this.maxResponseTime = responseTimeMs;
    const key = roundResponseTime(responseTimeMs);
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + 1);
    this.totalContentLength += contentLength;
  }

  logError(now: number): void {
    this.numFailures++;
    const t = Math.trunc(now);
    this.failsPerSec.set(t, (this.failsPerSec.get(t) ?? 0) + 1);
  }

  get failRatio(): number {
    if (this.numRequests === 0) return this.numFailures > 0 ? 1 : 0;
    return this.numFailures / this.numRequests;
  }

  get avgResponseTime(): number {
    return this.numRequests === 0 ? 0 : this.totalResponseTime / this.numRequests;
  }

  /** The median bucket, clamped to [min, max] (a lone slow request must not report a median above max). */
  get medianResponseTime(): number {
    if (this.buckets.size === 0) return 0;
    const median = medianFromBuckets(this.buckets, this.numRequests);
    if (median > this.maxResponseTime) return this.maxResponseTime;
    if (this.minResponseTime !== null && median < this.minResponseTime) return this.minResponseTime;
    return median;
  }

  get avgContentLength(): number {
    return this.numRequests === 0 ? 0 : this.totalContentLength / this.numRequests;
  }

  percentile(percent: number): number {
    return percentileFromBuckets(this.buckets, this.numRequests, percent);
  }

  /** Average requests per second over the whole test (total_rps). */
  get totalRps(): number {
    const { lastRequestTimestamp: last, startTime } = this.clock;
    if (!last || !startTime || last === startTime) return 0;
    return this.numRequests / (last - startTime);
  }

  get totalFailPerSec(): number {
    const { lastRequestTimestamp: last, startTime } = this.clock;
    if (!last || !startTime || last === startTime) return 0;
    return this.numFailures / (last - startTime);
  }

  get currentRps(): number {
    return this.currentPerSec(this.reqsPerSec);
  }

  get currentFailPerSec(): number {
    return this.currentPerSec(this.failsPerSec);
  }

  private currentPerSec(perSec: Map<number, number>): number {
    const last = this.clock.lastRequestTimestamp;
    if (last === null) return 0;
    const end = Math.trunc(last) - 2;
    const start = Math.max(Math.trunc(last) - 12, Math.trunc(this.clock.startTime));
    if (end <= start) return 0;
    let sum = 0;
    for (let t = start; t < end; t++) sum += perSec.get(t) ?? 0;
    return sum / (end - start);
  }

  /**
   * The percentile over roughly the last 10 seconds (get_current_response_time_percentile): the
   * buckets now minus a copy taken near now−10 s (t−10, then t−11, t−9, t−12, t−8, …), or null when
   * no copy is that old.
   */
  currentPercentile(percent: number, now: number): number | null {
    const t = Math.trunc(now);
    const candidates = [t - CURRENT_WINDOW_S];
    for (let i = 1; i < 9; i++) candidates.push(t - CURRENT_WINDOW_S - i, t - CURRENT_WINDOW_S + i);
    for (const ts of candidates) {
      const cached = this.cache.get(ts);
      if (cached) {
        const diff = new Map<number, number>();
        for (const [k, v] of this.buckets) {
          const d = v - (cached.buckets.get(k) ?? 0);
          if (d) diff.set(k, d);
        }
        return percentileFromBuckets(diff, this.numRequests - cached.numRequests, percent);
      }
    }
    return null;
  }

  private cacheBuckets(t: number): void {
    this.cache.set(t, { buckets: new Map(this.buckets), numRequests: this.numRequests });
    // CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW + 10 copies, oldest dropped first
    while (this.cache.size > CURRENT_WINDOW_S + 10) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** One kind of failure on one endpoint, counted (StatsError). */
export interface FailureEntry {
  method: string;
  name: string;
  error: string;
  occurrences: number;
}

/** All entries of a test, plus their aggregate (RequestStats). */
export class RequestStats implements StatsClock {
  readonly entries = new Map<string, StatsEntry>();
  readonly total: StatsEntry;
  readonly failures = new Map<string, FailureEntry>();
  lastRequestTimestamp: number | null = null;

  constructor(readonly startTime: number) {
    this.total = new StatsEntry('', 'Aggregated', this);
  }

  entry(method: string, name: string, now: number = this.startTime): StatsEntry {
    const key = `${name}\u0000${method}`;
    let e = this.entries.get(key);
    if (!e) {
      e = new StatsEntry(method, name, this, now);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Logs a finished request; `error` (Locust's repr of the exception) when it failed. */
  logRequest(entry: StatsEntry, responseTimeMs: number, contentLength: number, now: number, error: string | null): void {
    this.total.log(responseTimeMs, contentLength, now);
    entry.log(responseTimeMs, contentLength, now);
    this.lastRequestTimestamp = now;
    if (error !== null) {
      this.total.logError(now);
      entry.logError(now);
      const key = `${entry.method}\u0000${entry.name}\u0000${error}`;
      const f = this.failures.get(key);
      if (f) f.occurrences++;
      else this.failures.set(key, { method: entry.method, name: entry.name, error, occurrences: 1 });
    }
  }

  /** Entries in Locust's report order: sorted by (name, method). */
  sortedEntries(): StatsEntry[] {
    return [...this.entries.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.method, b.method));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
