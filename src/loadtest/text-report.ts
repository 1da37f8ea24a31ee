// The end-of-run summary in the terminal: Locust's two tables (requests, then percentiles) and its
// error report, laid out as Locust prints them with --headless, plus one headline in the
// original project's terms.
import type { EntryReport, RunReport } from './report.js';
import { PERCENTILE_LABELS } from './stats.js';
import { formatActual } from './thresholds.js';

const TYPE_W = 8;

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}
function lpad(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}
const int = (x: number): string => String(Math.trunc(x));

export function formatSummary(r: RunReport): string {
  const entries = [...r.entries, r.aggregated];
  const nameW = Math.max(20, ...entries.map((e) => e.name.length)) + 2;
  const lines: string[] = [];
  const row = (e: EntryReport, useAgg: boolean): string =>
    `${pad(useAgg ? '' : e.method, TYPE_W)} ${pad(e.name, nameW)} ${lpad(String(e.requests), 7)} ${lpad(
      `${e.failures}(${((e.requests ? e.failures / e.requests : e.failures ? 1 : 0) * 100).toFixed(2)}%)`,
      12,
    )} |${lpad(int(e.mean), 7)} ${lpad(int(e.min), 7)} ${lpad(int(e.max), 7)}${lpad(int(e.median), 7)} | ${lpad(e.rps.toFixed(2), 7)} ${lpad(e.failPerSec.toFixed(2), 11)}`;
  const sep = `${'-'.repeat(TYPE_W)}|${'-'.repeat(nameW + 1)}|${'-'.repeat(7)}|${'-'.repeat(13)}|${'-'.repeat(7)}|${'-'.repeat(7)}|${'-'.repeat(7)}|${'-'.repeat(7)}|${'-'.repeat(8)}|${'-'.repeat(11)}`;
  lines.push(
    `${pad('Type', TYPE_W)} ${pad('Name', nameW)} ${lpad('# reqs', 7)} ${lpad('# fails', 12)} |${lpad('Avg', 7)} ${lpad('Min', 7)} ${lpad('Max', 7)}${lpad('Med', 7)} | ${lpad('req/s', 7)} ${lpad('failures/s', 11)}`,
  );
  lines.push(sep);
  for (const e of r.entries) lines.push(row(e, false));
  lines.push(sep);
  lines.push(row(r.aggregated, true));
  lines.push('');
  lines.push('Response time percentiles (approximated)');
  const psep = `${'-'.repeat(TYPE_W)}|${'-'.repeat(nameW + 1)}|${'-'.repeat(8)}|${PERCENTILE_LABELS.map(() => '-'.repeat(6)).join('|')}`;
  lines.push(`${pad('Type', TYPE_W)} ${pad('Name', nameW)} ${lpad('# reqs', 8)} ${PERCENTILE_LABELS.map((l) => lpad(l, 6)).join(' ')}`);
  lines.push(psep);
  const prow = (e: EntryReport, agg: boolean): string =>
    `${pad(agg ? '' : e.method, TYPE_W)} ${pad(e.name, nameW)} ${lpad(String(e.requests), 8)} ${PERCENTILE_LABELS.map((l) => lpad(int(e.percentiles[l] ?? 0), 6)).join(' ')}`;
  for (const e of r.entries) if (e.requests) lines.push(prow(e, false));
  lines.push(psep);
  if (r.aggregated.requests) lines.push(prow(r.aggregated, true));
  lines.push('');
  if (r.failureList.length) {
    lines.push('Error report');
    lines.push(`${pad('# occurrences', 18)} Error`);
    lines.push('-'.repeat(18) + '|' + '-'.repeat(nameW + 60));
    for (const f of r.failureList) lines.push(`${pad(String(f.occurrences), 18)} ${f.method} ${f.name}: ${f.error}`);
    lines.push('');
  }
  lines.push(headline(r));
  if (r.openModel) lines.push(openModelLine(r));
  if (r.thresholds?.length) lines.push('', ...thresholdLines(r));
  return lines.join('\n') + '\n';
}

/** The open model's own figures: how many requests went out on time. */
export function openModelLine(r: RunReport): string {
  const o = r.openModel!;
  const rate = r.parameters.rate;
  return (
    `open model: ${rate ? `${rate.perS}/s${rate.rampS ? ` after a ${rate.rampS}-s ramp` : ''}, ` : ''}${o.intended} requests due, ` +
    `${o.late} sent more than ${o.lateAfterMs} ms late, ${o.unsent} never sent (no free connection); longest wait ${Math.round(o.maxLagMs)} ms; ` +
    'response times count from the intended send time'
  );
}

/** One line per threshold: held or broken, with the measured value. */
export function thresholdLines(r: RunReport): string[] {
  const res = r.thresholds ?? [];
  const broken = res.filter((t) => !t.passed).length;
  const lines = [broken ? `Thresholds: ${broken} of ${res.length} BROKEN` : `Thresholds: all ${res.length} held`];
  for (const t of res) lines.push(`  ${t.passed ? 'ok    ' : 'BROKEN'}  ${t.threshold}  (${t.endpoint ? t.endpoint + ' ' : ''}${formatActual(t)})`);
  return lines;
}

/** One line in the original project's terms. */
export function headline(r: RunReport): string {
  const lg = r.loadGenerator;
  const parts = [
    `average ${r.avgRps.toFixed(1)} RPS over ${r.durationS.toFixed(1)} s`,
    `${r.failures} failures (${(r.failRatio * 100).toFixed(2)}%)`,
    `peak ${r.peakUsers} users`,
    `median ${int(r.aggregated.median)} ms, p95 ${int(r.aggregated.percentiles['95%'] ?? 0)} ms, p99 ${int(r.aggregated.percentiles['99%'] ?? 0)} ms`,
    loadTesterCpu(r),
  ];
  let s = parts.join('; ');
  if (lg.abandoned) s += `; ${lg.abandoned} requests still in flight at the stop timeout were dropped`;
  return s + cpuAdvice(r);
}

/** A merged run's CPU is the sum of its processes' (or machines'); the 90% rule is about one of them. */
function perProcessCpu(r: RunReport): number {
  return r.loadGenerator.cpuPercent / Math.max(1, r.mergedFrom ?? 1);
}

/** One run split over --processes N (not runs of several machines merged afterwards). */
function isSplitRun(r: RunReport): boolean {
  return (r.mergedFrom ?? 1) > 1 && r.parameters.processes === r.mergedFrom;
}

function loadTesterCpu(r: RunReport): string {
  const total = `load tester CPU ${r.loadGenerator.cpuPercent.toFixed(0)}% of one core`;
  if ((r.mergedFrom ?? 1) <= 1) return total;
  return `${total} (${r.mergedFrom} ${isSplitRun(r) ? 'processes' : 'runs merged'}, ${perProcessCpu(r).toFixed(0)}% each on average)`;
}

function cpuAdvice(r: RunReport): string {
  if (perProcessCpu(r) > 90) return '\nwarning: the load tester used over 90% of a core per process; its figures may be limited by itself, not by the server';
  // Measured (bench/results/loadtest-processes.md): below a core, splitting the load costs 36–56% more
  // CPU per request, so a split run that one process could have carried says so.
  const all = r.loadGenerator.cpuPercent;
  if (isSplitRun(r) && all < 90) {
    return `\nnote: one process would have carried this load (${all.toFixed(0)}% of a core in all) at less CPU per request; --processes pays off when one process nears a full core`;
  }
  return '';
}
