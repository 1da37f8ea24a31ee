// --csv PREFIX: the files Locust 2.12 writes with --csv (locust/stats.py StatsCSV and
// StatsCSVFileWriter), same names, headers, column order, number formats and "\r\n" line ends, so
// tools that read Locust's CSV read ours:
//   PREFIX_stats.csv          one row per endpoint (sorted by name, method), then "Aggregated"
//   PREFIX_stats_history.csv  one row per second: the aggregate (plus every endpoint with
//                             --csv-full-history), with the current RPS and cumulative figures
//   PREFIX_failures.csv       one row per distinct (method, name, error)
//   PREFIX_exceptions.csv     header only: a scenario file cannot raise exceptions
// Values print as Python would: floats by repr ("150.0", "0.0123"), ints plainly, None empty.
import { writeFileSync } from 'node:fs';
import { csvRow, pyFloat, type PyValue } from './python-compat.js';
import { PERCENTILES, PERCENTILE_LABELS, type RequestStats, type StatsEntry } from './stats.js';

export const STATS_COLUMNS = [
  'Type',
  'Name',
  'Request Count',
  'Failure Count',
  'Median Response Time',
  'Average Response Time',
  'Min Response Time',
  'Max Response Time',
  'Average Content Size',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_LABELS,
];

export const HISTORY_COLUMNS = [
  'Timestamp',
  'User Count',
  'Type',
  'Name',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_LABELS,
  'Total Request Count',
  'Total Failure Count',
  'Total Median Response Time',
  'Total Average Response Time',
  'Total Min Response Time',
  'Total Max Response Time',
  'Total Average Content Size',
];

export const FAILURES_COLUMNS = ['Method', 'Name', 'Error', 'Occurrences'];
export const EXCEPTIONS_COLUMNS = ['Count', 'Message', 'Traceback', 'Nodes'];

/** The median as Python holds it: an int bucket below 100 ms, a float above or when clamped. */
function median(e: StatsEntry): PyValue {
  if (e.buckets.size === 0) return 0;
  const m = e.medianResponseTime;
  const clamped = m === e.maxResponseTime || m === e.minResponseTime;
  return clamped || m >= 100 ? pyFloat(m) : m;
}

/** The columns from Median to Average Content Size (shared by both files). */
function figures(e: StatsEntry): PyValue[] {
  return [median(e), pyFloat(e.avgResponseTime), e.minResponseTime ? pyFloat(e.minResponseTime) : 0, e.numRequests ? pyFloat(e.maxResponseTime) : 0, e.numRequests ? pyFloat(e.avgContentLength) : 0];
}

function percentiles(e: StatsEntry, currentAt: number | null): PyValue[] {
  if (!e.numRequests) return PERCENTILES.map(() => 'N/A');
  return PERCENTILES.map((p) => Math.trunc((currentAt === null ? e.percentile(p) : e.currentPercentile(p, currentAt)) || 0));
}

export function statsRows(stats: RequestStats): string {
  let out = csvRow(STATS_COLUMNS);
  for (const e of [...stats.sortedEntries(), stats.total]) {
    const [med, avg, min, max, size] = figures(e);
    out += csvRow([e === stats.total ? null : e.method, e.name, e.numRequests, e.numFailures, med!, avg!, min!, max!, size!, pyFloat(e.totalRps), pyFloat(e.totalFailPerSec), ...percentiles(e, null)]);
  }
  return out;
}

/** The rows one tick of the history adds (the aggregate last, as Locust orders them). */
export function historyRows(stats: RequestStats, userCount: number, now: number, fullHistory: boolean): string {
  let out = '';
  for (const e of [...(fullHistory ? stats.sortedEntries() : []), stats.total]) {
    out += csvRow([
      Math.trunc(now),
      userCount,
      e === stats.total ? '' : e.method,
      e.name,
      e.currentRps.toFixed(6),
      e.currentFailPerSec.toFixed(6),
      // Locust reports the current-window percentiles only with --csv-full-history.
      ...percentiles(e, fullHistory ? now : null),
      e.numRequests,
      e.numFailures,
      ...figures(e),
    ]);
  }
  return out;
}

export function failuresRows(stats: RequestStats): string {
  let out = csvRow(FAILURES_COLUMNS);
  for (const f of stats.failures.values()) out += csvRow([f.method, f.name, f.error, f.occurrences]);
  return out;
}

/** Writes the four files; `history` is the text of the history rows gathered during the run. */
export function writeCsvFiles(prefix: string, stats: RequestStats, history: string): string[] {
  const files: [string, string][] = [
    [`${prefix}_stats.csv`, statsRows(stats)],
    [`${prefix}_stats_history.csv`, csvRow(HISTORY_COLUMNS) + history],
    [`${prefix}_failures.csv`, failuresRows(stats)],
    [`${prefix}_exceptions.csv`, csvRow(EXCEPTIONS_COLUMNS)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([p]) => p);
}
