// The suite's report, in Markdown and HTML, in the original project's terms: its two questions,
// the answers with what limited them, every run with the command that repeats it, the machine,
// versions and exact parameters.
import { charts, figures, page, statsTable } from './html-report.js';
import { formatDuration } from '../duration.js';
import type { MachineInfo } from './report.js';
import type { PeakLimit, RpsLimit, SuiteResult, SuiteRun } from './suite.js';
import { escapeHtml as esc } from './svg-chart.js';

export interface SuiteMeta {
  host: string;
  scenario: string;
  quick: boolean;
  startedAt: string;
  endedAt: string;
  machine: MachineInfo;
  command: string;
}

const RPS_LIMIT: Record<RpsLimit, string> = {
  failures: 'more users made requests fail',
  'server-saturated': 'the server is saturated: doubling the users added less than 5% RPS',
  'max-users': 'the user cap (--max-users) was reached without failures',
  'load-tester-cpu': 'the load tester itself neared a full CPU core; run it on another machine for more',
  'none-clean': 'no run was free of failures',
  interrupted: 'the suite was interrupted (Ctrl-C); the answer covers the runs made so far',
};

const PEAK_LIMIT: Record<PeakLimit, string> = {
  failures: 'more users made requests fail',
  ramp: 'no failure: the ramp (spawn rate × duration) reached no more users in the run',
  'max-users': 'no failure up to the user cap (--max-users)',
  'load-tester-cpu': 'the load tester itself neared a full CPU core',
  'none-clean': 'no clean run found',
};

const num = (x: number, d = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

export function runCommand(meta: SuiteMeta, r: SuiteRun): string {
  const p = r.report.parameters;
  return (
    `polarity loadtest --host ${p.host} --users ${r.users} --spawn-rate ${r.spawnRate} --duration ${formatDuration(r.durationS)}` +
    `${meta.scenario !== 'seed' ? ` --scenario ${meta.scenario}` : ''} --seed ${p.seed}`
  );
}

function runsTable(res: SuiteResult): string {
  const lines = [
    '| # | purpose | users | spawn rate /s | peak users | avg RPS | requests | failures | median ms | p95 ms | p99 ms | max ms | load tester CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of res.runs) {
    const a = r.report.aggregated;
    lines.push(
      `| ${r.index} | ${r.purpose} | ${num(r.users)} | ${r.spawnRate} | ${num(r.report.peakUsers)} | ${num(r.report.avgRps, 1)} | ${num(r.report.requests)} | ${num(r.report.failures)} | ${num(a.median)} | ${num(a.percentiles['95%'] ?? 0)} | ${num(a.percentiles['99%'] ?? 0)} | ${num(a.max)} | ${r.report.loadGenerator.cpuPercent.toFixed(0)}% |`,
    );
  }
  return lines.join('\n');
}

export function renderSuiteMarkdown(res: SuiteResult, meta: SuiteMeta): string {
  const o = res.options;
  const best = res.maxRps.run;
  const m = meta.machine;
  const out: string[] = [];
  out.push(`# Capacity of ${meta.host}`, '');
  out.push(
    `Measured by \`polarity loadtest suite\` ${meta.quick ? "(**--quick**: shortened runs, for CI — not the original's 60-s figures) " : ''}from ${meta.startedAt} to ${meta.endedAt}, ` +
      `with the ${meta.scenario === 'seed' ? "original project's Locust scenario (each user posts once on start, then POST /analyze weight 1 and GET /history weight 2, waiting 1–5 s)" : `scenario ${meta.scenario}`}. ` +
      'Statistics as Locust 2.12 computes them.',
    '',
  );
  if (res.interrupted) out.push('**Interrupted (Ctrl-C): the answers below cover only the runs made before the stop.**', '');
  out.push('## The answers', '');
  out.push(
    `**1. Highest average RPS over ${o.durationS} s with 0% failures:** ` +
      (best
        ? `**${num(best.report.avgRps, 1)} RPS** with ${num(best.users)} users (run ${best.index}; median ${num(best.report.aggregated.median)} ms, p95 ${num(best.report.aggregated.percentiles['95%'] ?? 0)} ms). `
        : '**none** — ') +
      `Limited by: ${RPS_LIMIT[res.maxRps.limitedBy]}.`,
    '',
  );
  out.push(`**2. Peak concurrent users with 0% failures, ${o.durationS} s per spawn rate:**`, '');
  out.push('| spawn rate | peak users, 0% failures | avg RPS | p95 ms | limited by | run |', '|---|---|---|---|---|---|');
  for (const p of res.peaks) {
    const r = p.run;
    out.push(
      `| ${p.spawnRate}/s | **${num(p.peakUsers)}** | ${r ? num(r.report.avgRps, 1) : '–'} | ${r ? num(r.report.aggregated.percentiles['95%'] ?? 0) : '–'} | ${PEAK_LIMIT[p.limitedBy]} | ${r ? r.index : '–'} |`,
    );
  }
  out.push('');
  out.push(
    'The original deployment (3 droplets, US$63/month) reported about 1,015 RPS at most with no failures (600–700 RPS "effective") and peak concurrency 1,000 / 2,000 / 3,000 / 4,000 users at spawn rates 50 / 100 / 200 / 500.',
    'A peak limited by the ramp means the server never failed: in a 60-s run a spawn rate of R cannot start more than 60·R users.',
    '',
  );
  out.push('## Every run', '', runsTable(res), '');
  out.push('Each run again, alone (the seed repeats its task choices and think times):', '', '```sh');
  for (const r of res.runs) out.push(runCommand(meta, r));
  out.push('```', '');
  out.push('## How the answers were searched', '');
  out.push(
    `- RPS: users start at ${num(o.startUsers)} and double (each run ramps in ${o.rampS} s: spawn rate = users / ${o.rampS}) until a run fails, doubling adds under 5% RPS, the load tester passes ${o.cpuLimitPercent}% of a core, or ${num(o.maxUsers)} users; after a failure, up to ${o.refineRuns} bisection runs.`,
    `- Peak concurrency: per spawn rate one probe ramps towards rate × ${o.durationS} s users (at most ${num(o.maxUsers)}); if it fails, the user count of the last second before the first failure is run on its own, halving on failure.`,
    '- A failure is what Locust counts: a connection error, a timeout (60 s) or a status ≥ 400. Average RPS = requests / (time of the last request − start), as Locust reports it.',
    '- The server was not reset between runs: Polarity keeps every row but serves a bounded history page, so a growing table does not change GET /history (the original had to delete its database before each test).',
    '',
  );
  out.push('## Machine and versions', '');
  out.push(`- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}`);
  out.push(`- Load tester: polarity ${m.polarity} (\`polarity loadtest\`), Node.js ${m.node}; it shares the machine with the server when both run here.`);
  out.push(`- Command: \`${meta.command}\``);
  out.push(`- Parameters: ${JSON.stringify(o)}`, '');
  return out.join('\n');
}

export function renderSuiteHtml(res: SuiteResult, meta: SuiteMeta, markdown: string): string {
  const best = res.maxRps.run;
  const section = (r: SuiteRun, heading: string): string => `<details${r === best ? ' open' : ''}>
<summary>${esc(heading)}</summary>
<p><code>${esc(runCommand(meta, r))}</code></p>
${figures(r.report)}
${charts(r.report)}
${statsTable(r.report)}
</details>`;
  const body = `<h1>Capacity of ${esc(meta.host)}</h1>
<p class="meta">polarity loadtest suite${meta.quick ? ' --quick' : ''} · ${esc(meta.startedAt)} – ${esc(meta.endedAt)}</p>
${mdToHtml(markdown.split('\n').slice(2).join('\n'))}
<h2>Runs in detail</h2>
${res.runs.map((r) => section(r, `Run ${r.index} — ${r.purpose}: ${r.users} users at ${r.spawnRate}/s, ${r.report.avgRps.toFixed(1)} RPS, ${r.report.failures} failures`)).join('\n')}`;
  return page(`Capacity of ${meta.host}`, body);
}

/** Just enough Markdown for our own report: headings, paragraphs, lists, tables, code, bold. */
function mdToHtml(md: string): string {
  const inline = (s: string): string =>
    esc(s)
      .replace(/\*\*(.+?)\*\*/g, '<b>$1</b>')
      .replace(/`([^`]+)`/g, '<code>$1</code>');
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      out.push(`<pre>${esc(code.join('\n'))}</pre>`);
    } else if (line.startsWith('## ')) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++)
        rows.push(
          lines[i]!.slice(1, -1)
            .split('|')
            .map((c) => c.trim()),
        );
      i--;
      const [head, , ...rest] = rows;
      out.push(
        `<table><thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rest
          .map((r) => `<tr>${r.map((c) => `<td class="wrap">${inline(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.startsWith('- '); i++) items.push(`<li>${inline(lines[i]!.slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}
