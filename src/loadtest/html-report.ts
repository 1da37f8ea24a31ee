// --html: one self-contained page per run (inline CSS and SVG, no script, nothing fetched), with
// charts over time — users, RPS and failures/s, cumulative failures, response-time percentiles —
// and Locust's tables. The suite report reuses the pieces.
import type { EntryReport, RunReport } from './report.js';
import { PERCENTILE_LABELS } from './stats.js';
import { escapeHtml as esc, lineChart } from './svg-chart.js';
import { formatActual } from './thresholds.js';

export const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; }
body { margin: 0 auto; max-width: 1100px; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
.meta { color: #4a535e; margin: 0 0 1rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .5rem; margin: 1rem 0; }
.figures div { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .75rem; }
.figures b { display: block; font-size: 1.3rem; }
.ok { color: #116329; } .bad { color: #a40e26; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: right; white-space: nowrap; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
td.wrap { white-space: normal; text-align: left; word-break: break-word; }
tr.total td { font-weight: 600; border-top: 2px solid #8c959f; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1rem; }
.chart { max-width: 100%; height: auto; background: #fff; }
.chart .grid { stroke: #eaeef2; } .chart .axis { stroke: #8c959f; }
.chart .tick, .chart .legend, .chart .label { font-size: 11px; fill: #4a535e; }
.chart .chart-title { font-size: 13px; font-weight: 600; fill: #1b1f24; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; font-size: .85rem; }
`;

export const COLORS = { users: '#0969da', rps: '#1a7f37', fail: '#cf222e', p50: '#8250df', p95: '#bc4c00', p99: '#6e7781' };

const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function charts(r: RunReport): string {
  const h = r.history;
  const pts = (f: (s: (typeof h)[number]) => number): [number, number][] => h.map((s) => [s.t, f(s)]);
  return `<div class="charts">
${lineChart({ title: 'Users', series: [{ name: 'users', color: COLORS.users, points: pts((s) => s.users) }], xLabel: 'seconds', yLabel: 'users' })}
${lineChart({
  title: 'Requests per second (10-s window)',
  series: [
    { name: 'RPS', color: COLORS.rps, points: pts((s) => s.rps) },
    { name: 'failures/s', color: COLORS.fail, points: pts((s) => s.failPerSec) },
  ],
  xLabel: 'seconds',
  yLabel: 'per second',
})}
${lineChart({ title: 'Failures (cumulative)', series: [{ name: 'failures', color: COLORS.fail, points: pts((s) => s.failures) }], xLabel: 'seconds', yLabel: 'failures' })}
${lineChart({
  title: 'Response time percentiles (10-s window)',
  series: [
    { name: 'p50', color: COLORS.p50, points: pts((s) => s.p50) },
    { name: 'p95', color: COLORS.p95, points: pts((s) => s.p95) },
    { name: 'p99', color: COLORS.p99, points: pts((s) => s.p99) },
  ],
  xLabel: 'seconds',
  yLabel: 'ms',
})}
</div>`;
}

export function statsTable(r: RunReport): string {
  const row = (e: EntryReport, total: boolean): string =>
    `<tr${total ? ' class="total"' : ''}><td>${esc(total ? '' : e.method)}</td><td>${esc(e.name)}</td><td>${n(e.requests)}</td><td>${n(e.failures)}</td>` +
    `<td>${n(e.median)}</td><td>${n(e.mean, 1)}</td><td>${n(e.min, 1)}</td><td>${n(e.max, 1)}</td><td>${n(e.avgContentLength, 1)}</td>` +
    `<td>${n(e.rps, 2)}</td><td>${n(e.failPerSec, 2)}</td></tr>`;
  const prow = (e: EntryReport, total: boolean): string =>
    `<tr${total ? ' class="total"' : ''}><td>${esc(total ? '' : e.method)}</td><td>${esc(e.name)}</td>${PERCENTILE_LABELS.map((l) => `<td>${n(e.percentiles[l] ?? 0)}</td>`).join('')}</tr>`;
  return `<h3>Requests</h3>
<table>
<thead><tr><th>Type</th><th>Name</th><th># requests</th><th># failures</th><th>Median (ms)</th><th>Average (ms)</th><th>Min (ms)</th><th>Max (ms)</th><th>Average size (bytes)</th><th>RPS</th><th>Failures/s</th></tr></thead>
<tbody>
${r.entries.map((e) => row(e, false)).join('\n')}
${row(r.aggregated, true)}
</tbody>
</table>
<h3>Response time percentiles (ms, Locust's rounded buckets)</h3>
<table>
<thead><tr><th>Type</th><th>Name</th>${PERCENTILE_LABELS.map((l) => `<th>${l}</th>`).join('')}</tr></thead>
<tbody>
${r.entries.map((e) => prow(e, false)).join('\n')}
${prow(r.aggregated, true)}
</tbody>
</table>
<h3>Failures</h3>
${
  r.failureList.length === 0
    ? '<p class="ok">None.</p>'
    : `<table><thead><tr><th>Method</th><th>Name</th><th>Error</th><th>Occurrences</th></tr></thead><tbody>
${r.failureList.map((f) => `<tr><td>${esc(f.method)}</td><td>${esc(f.name)}</td><td class="wrap">${esc(f.error)}</td><td>${n(f.occurrences)}</td></tr>`).join('\n')}
</tbody></table>`
}`;
}

export function figures(r: RunReport): string {
  return `<div class="figures">
<div>average RPS<b>${n(r.avgRps, 1)}</b></div>
<div>requests<b>${n(r.requests)}</b></div>
<div>failures<b class="${r.failures ? 'bad' : 'ok'}">${n(r.failures)} (${(r.failRatio * 100).toFixed(2)}%)</b></div>
<div>peak users<b>${n(r.peakUsers)}</b></div>
<div>median / p95 / p99<b>${n(r.aggregated.median)} / ${n(r.aggregated.percentiles['95%'] ?? 0)} / ${n(r.aggregated.percentiles['99%'] ?? 0)} ms</b></div>
<div>load tester CPU<b>${n(r.loadGenerator.cpuPercent)}% of a core</b></div>
</div>`;
}

/** The --threshold results, or nothing when the run had none. */
export function thresholdsBlock(r: RunReport): string {
  const res = r.thresholds ?? [];
  if (res.length === 0) return '';
  const broken = res.filter((t) => !t.passed).length;
  return `<h2>Thresholds</h2>
<p id="thresholds-verdict" class="${broken ? 'bad' : 'ok'}"><b>${broken ? `${broken} of ${res.length} broken` : `all ${res.length} held`}</b></p>
<table class="thresholds">
<thead><tr><th>Result</th><th>Threshold</th><th>Measured</th></tr></thead>
<tbody>
${res.map((t) => `<tr><td class="${t.passed ? 'ok' : 'bad'}">${t.passed ? 'held' : 'BROKEN'}</td><td>${esc(t.threshold)}</td><td>${esc(`${t.endpoint ? t.endpoint + ': ' : ''}${formatActual(t)}`)}</td></tr>`).join('\n')}
</tbody>
</table>`;
}

/** Open model: how many requests went out at their intended time. */
export function openModelBlock(r: RunReport): string {
  const o = r.openModel;
  if (!o) return '';
  return `<p class="meta">Open model: ${n(o.intended)} requests due; ${n(o.late)} sent more than ${o.lateAfterMs} ms late, ${n(o.unsent)} never sent; longest wait ${n(o.maxLagMs)} ms. Response times count from the intended send time (no coordinated omission).</p>`;
}

export function parametersBlock(r: RunReport): string {
  const p = r.parameters;
  const m = r.machine;
  const lg = r.loadGenerator;
  return `<table>
<tbody>
<tr><td>Host</td><td class="wrap">${esc(p.host)}</td></tr>
<tr><td>Mode</td><td class="wrap">${
    p.mode === 'max'
      ? `--max: ${p.users} connections, no think time`
      : p.mode === 'rate' && p.rate
        ? `open model: ${p.rate.perS} requests/s${p.rate.rampS ? ` after a ${p.rate.rampS}-s ramp` : ''}, up to ${p.rate.connections} connections`
        : `${p.users} users, spawn rate ${p.spawnRate}/s`
  }${p.processes && p.processes > 1 ? `; ${p.processes} processes` : ''}${r.mergedFrom ? `; merged from ${r.mergedFrom} runs` : ''}</td></tr>
${p.data ? `<tr><td>Texts</td><td class="wrap">${esc(`${p.data.texts} from ${p.data.file}, ${p.data.order}`)}</td></tr>` : ''}
<tr><td>Duration</td><td class="wrap">${p.durationS} s (stopped by: ${esc(r.stopReason ?? '')}; request timeout ${p.timeoutS} s; stop timeout ${p.stopTimeoutS} s${p.maxRequests ? `; at most ${p.maxRequests} requests` : ''})</td></tr>
<tr><td>Started</td><td class="wrap">${esc(r.startedAt)} — ended ${esc(r.endedAt)}</td></tr>
<tr><td>Random seed</td><td class="wrap">${p.seed} (--seed ${p.seed} repeats the task choices and think times)</td></tr>
<tr><td>Machine</td><td class="wrap">${esc(`${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}`)}</td></tr>
<tr><td>Versions</td><td class="wrap">${esc(`polarity ${m.polarity}, Node.js ${m.node}, Locust-compatible statistics (2.12)`)}</td></tr>
<tr><td>Load tester</td><td class="wrap">${esc(
    `CPU ${lg.cpuPercent.toFixed(1)}% of one core (user ${lg.cpuUserS.toFixed(2)} s, system ${lg.cpuSystemS.toFixed(2)} s); event-loop delay p50 ${lg.eventLoopDelayMs.p50} ms, p99 ${lg.eventLoopDelayMs.p99} ms, max ${lg.eventLoopDelayMs.max} ms${
      lg.eventLoopDelayAfterRampMs ? ` (once all users ran: p99 ${lg.eventLoopDelayAfterRampMs.p99} ms, max ${lg.eventLoopDelayAfterRampMs.max} ms)` : ''
    }; ${lg.abandoned} requests dropped at the stop timeout`,
  )}</td></tr>
</tbody>
</table>
<h3>Scenario</h3>
<pre>${esc(JSON.stringify(scenarioDoc(r), null, 2))}</pre>`;
}

/** The scenario as a file would hold it (bodies shown as sent). */
function scenarioDoc(r: RunReport): unknown {
  const s = r.parameters.scenario;
  const req = (t: { method: string; path: string; name: string; body: string | null; headers: Readonly<Record<string, string>> }) => ({
    method: t.method,
    path: t.path,
    ...(t.name !== t.path ? { name: t.name } : {}),
    ...(Object.keys(t.headers).length ? { headers: t.headers } : {}),
    ...(t.body !== null ? { body: t.body } : {}),
  });
  return { name: s.name, wait: s.wait, onStart: s.onStart.map(req), tasks: s.tasks.map((t) => ({ ...req(t), weight: t.weight })) };
}

export function renderRunHtml(r: RunReport): string {
  const title = `Load test of ${r.parameters.host} — ${r.parameters.scenario.name}`;
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p class="meta">polarity loadtest · ${esc(r.startedAt)} · ${r.durationS.toFixed(1)} s</p>
${figures(r)}
${openModelBlock(r)}
${thresholdsBlock(r)}
<h2>Over time</h2>
${charts(r)}
<h2>Statistics</h2>
${statsTable(r)}
<h2>Parameters</h2>
${parametersBlock(r)}`,
  );
}
