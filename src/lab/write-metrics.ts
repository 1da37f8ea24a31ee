// What the SQLite store spends one-at-a-time per POST, read from the app's GET /metrics.
//
// Since the store commits on each process's event loop (src/store/sqlite.ts, group commit), the
// part of a write that cannot run in parallel is the time a commit holds SQLite's write lock —
// processes sharing the file take turns on it. The store times every commit (BEGIN IMMEDIATE …
// COMMIT) into the histogram `polarity_store_write_duration_seconds` (src/http/metrics.ts); the
// serial cost per POST is the growth of its `_sum` over a run divided by the POSTs in that run.

export interface WriteMetrics {
  /** polarity_store_write_duration_seconds_sum: seconds spent in commits, all workers */
  readonly commitS: number;
  /** polarity_store_write_duration_seconds_count: commits */
  readonly commits: number;
  /** polarity_store_written_rows_total */
  readonly rows: number;
}

export class WriteMetricsError extends Error {}

/** The store's write figures from a Prometheus text exposition; fails if any is missing. */
export function parseWriteMetrics(text: string): WriteMetrics {
  const value = (name: string): number => {
    // a sample line: the name, optional {labels}, a space, the value (no labels on these three)
    const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text);
    const v = m ? Number(m[1]) : NaN;
    if (!Number.isFinite(v)) throw new WriteMetricsError(`/metrics has no ${name}`);
    return v;
  };
  return {
    commitS: value('polarity_store_write_duration_seconds_sum'),
    commits: value('polarity_store_write_duration_seconds_count'),
    rows: value('polarity_store_written_rows_total'),
  };
}

/** Microseconds of write lock held per POST between two readings of /metrics. */
export function serialWriteUsPerPost(before: WriteMetrics, after: WriteMetrics, posts: number): number {
  if (posts <= 0) return 0;
  const commitS = after.commitS - before.commitS;
  if (commitS < 0) throw new WriteMetricsError('polarity_store_write_duration_seconds_sum went down between two readings (did the app restart?)');
  return (commitS / posts) * 1e6;
}

/** GET <app>/metrics, parsed. */
export async function fetchWriteMetrics(appUrl: string): Promise<WriteMetrics> {
  const res = await fetch(`${appUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new WriteMetricsError(`GET ${appUrl}/metrics: HTTP ${res.status}`);
  return parseWriteMetrics(await res.text());
}
