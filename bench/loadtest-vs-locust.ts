// Locust 2.12 (Debian python3-locust) and `polarity loadtest` driving the same server with the same
// scenario, users and spawn rate, one after the other, each against a freshly started server.
//
//   apt-get install -y python3-locust
//   npm run build && node dist/bench/loadtest-vs-locust.js [--duration 60] [--reps 1] [--only seed-1000,faults [--keep]]
//
// Configurations:
//   seed-100      Polarity (2 workers, fresh SQLite), seed scenario, 100 users at 10/s
//   seed-1000     Polarity (2 workers, fresh SQLite), seed scenario, 1,000 users at 100/s
//   faults        fault server: every 10th request answered 500, every 25th connection dropped
//                 without an answer, 300 faults in all — both tools must count exactly 300
//   keepalive-2s  fault server closing idle keep-alive connections after 2 s (+ Node's 1-s grace),
//                 like the original's gunicorn: failures come from races, so they are compared
//                 in size, not exactly
// Results: bench/results/loadtest-vs-locust.md and .json. Loopback only; every run is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FAULT_SERVER, locustVersion, POLARITY, ROOT, startProcess, waitForPort, waitForQuiet } from './loadtest-bench-lib.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    reps: { type: 'string', default: '1' },
    only: { type: 'string' },
    // with --only: keep the other configurations' rows from the existing .json (a partial re-run)
    keep: { type: 'boolean' },
    'quiet-load': { type: 'string', default: '1.0' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const DURATION = Number(values.duration);
const REPS = Number(values.reps);

interface Config {
  id: string;
  what: string;
  server: 'polarity' | string[];
  users: number;
  spawnRate: number;
  exactFaults?: number;
}

const ALL_CONFIGS: Config[] = [
  { id: 'seed-100', what: 'Polarity, seed scenario', server: 'polarity', users: 100, spawnRate: 10 },
  { id: 'seed-1000', what: 'Polarity, seed scenario', server: 'polarity', users: 1000, spawnRate: 100 },
  {
    id: 'faults',
    what: 'fault server: 500 on every 10th request, every 25th connection dropped, 300 faults in all',
    server: ['--error-every', '10', '--drop-every', '25', '--fault-limit', '300'],
    users: 500,
    spawnRate: 50,
    exactFaults: 300,
  },
  {
    id: 'keepalive-2s',
    what: 'fault server closing idle keep-alive connections after 2 s (Node adds 1 s)',
    server: ['--keep-alive-timeout', '2000'],
    users: 1000,
    spawnRate: 100,
  },
];
const CONFIGS = ALL_CONFIGS.filter((c) => !values.only || values.only.split(',').includes(c.id));

interface ToolResult {
  tool: 'locust' | 'polarity';
  requests: number;
  failures: number;
  avgRps: number;
  durationS: number;
  median: number;
  p95: number;
  p99: number;
  cpuS: number;
  errors: { error: string; occurrences: number }[];
  /** what the fault server did during this run */
  injected?: { requests: number; errors500: number; dropped: number };
  loadAvg: number;
}

let port = 18300;

async function withServer<T>(config: Config, fn: (url: string) => Promise<T>): Promise<{ result: T; injected?: ToolResult['injected'] }> {
  const p = port++;
  const dir = mkdtempSync(join(tmpdir(), 'polarity-vs-locust-'));
  const report = join(dir, 'faults.json');
  const server =
    config.server === 'polarity'
      ? startProcess(process.execPath, [POLARITY, 'serve', '--port', String(p), '--workers', '2', '--db', join(dir, 'h.db'), '--log-level', 'warn'])
      : startProcess(process.execPath, [FAULT_SERVER, '--port', String(p), '--report', report, ...config.server]);
  try {
    await waitForPort(p);
    const result = await fn(`http://127.0.0.1:${p}`);
    await server.stop();
    const injected = config.server === 'polarity' ? undefined : (JSON.parse(readFileSync(report, 'utf8')) as ToolResult['injected']);
    return { result, injected };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, limitS: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitS * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function runLocust(url: string, c: Config): Promise<Omit<ToolResult, 'loadAvg'>> {
  const dir = mkdtempSync(join(tmpdir(), 'locust-'));
  const json = join(dir, 'final.json');
  const { out } = await run(
    'locust',
    [
      '-f',
      join(ROOT, 'bench/loadtest-locustfile.py'),
      '--headless',
      '-u',
      String(c.users),
      '-r',
      String(c.spawnRate),
      '-t',
      `${DURATION}s`,
      '--host',
      url,
      '--stop-timeout',
      '10',
      '--only-summary',
      '--loglevel',
      'WARNING',
    ],
    { ...process.env, POLARITY_LOCUST_JSON: json },
    DURATION + 90,
  );
  let r;
  try {
    r = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    throw new Error(`locust wrote no result:\n${out.slice(-3000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    tool: 'locust',
    requests: r.requests,
    failures: r.failures,
    avgRps: r.avgRps,
    durationS: r.durationS,
    median: r.aggregated.median,
    p95: r.aggregated.p95,
    p99: r.aggregated.p99,
    cpuS: r.cpuUserS + r.cpuSystemS,
    errors: r.errors.map((e: { error: string; occurrences: number; method: string; name: string }) => ({ error: `${e.method} ${e.name}: ${e.error}`, occurrences: e.occurrences })),
  };
}

async function runPolarity(url: string, c: Config): Promise<Omit<ToolResult, 'loadAvg'>> {
  const { out } = await run(
    process.execPath,
    [POLARITY, 'loadtest', '--host', url, '-u', String(c.users), '-r', String(c.spawnRate), '-t', `${DURATION}s`, '--stop-timeout', '10', '--json', '-q'],
    process.env,
    DURATION + 90,
  );
  const r = JSON.parse(out);
  return {
    tool: 'polarity',
    requests: r.requests,
    failures: r.failures,
    avgRps: r.avgRps,
    durationS: r.durationS,
    median: r.aggregated.median,
    p95: r.aggregated.percentiles['95%'],
    p99: r.aggregated.percentiles['99%'],
    cpuS: r.loadGenerator.cpuUserS + r.loadGenerator.cpuSystemS,
    errors: r.failureList.map((e: { error: string; occurrences: number; method: string; name: string }) => ({ error: `${e.method} ${e.name}: ${e.error}`, occurrences: e.occurrences })),
  };
}

const log = (s: string): void => void process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const version = locustVersion();
  if (version === null) {
    log('locust is not installed: apt-get install -y python3-locust');
    process.exit(2);
  }
  const results: { config: Config; rep: number; locust: ToolResult; polarity: ToolResult }[] = [];
  for (const c of CONFIGS) {
    for (let rep = 0; rep < REPS; rep++) {
      const order: ('locust' | 'polarity')[] = rep % 2 === 0 ? ['locust', 'polarity'] : ['polarity', 'locust'];
      const pair: Partial<Record<'locust' | 'polarity', ToolResult>> = {};
      for (const tool of order) {
        const load = await waitForQuiet(Number(values['quiet-load']), 300, log);
        log(`${c.id} rep ${rep + 1}: ${tool}, ${c.users} users at ${c.spawnRate}/s for ${DURATION}s (load average ${load.toFixed(2)})`);
        const { result, injected } = await withServer(c, (url) => (tool === 'locust' ? runLocust(url, c) : runPolarity(url, c)));
        pair[tool] = { ...result, injected, loadAvg: load };
        log(
          `  → ${result.avgRps.toFixed(2)} RPS, ${result.requests} requests, ${result.failures} failures${injected ? ` (server injected ${injected.errors500} × 500 + ${injected.dropped} drops)` : ''}`,
        );
        await sleep(3000);
      }
      results.push({ config: c, rep, locust: pair.locust!, polarity: pair.polarity! });
    }
  }
  let all = results;
  let note = '';
  if (values.keep) {
    // A partial re-run: the configurations run now replace theirs, the others keep their rows.
    const old = JSON.parse(readFileSync(join(values.out!, 'loadtest-vs-locust.json'), 'utf8')).results as typeof results;
    const rerun = new Set(CONFIGS.map((c) => c.id));
    const order = (id: string): number => ALL_CONFIGS.findIndex((c) => c.id === id);
    all = [...old.filter((r) => !rerun.has(r.config.id)), ...results].sort((a, b) => order(a.config.id) - order(b.config.id) || a.rep - b.rep);
    note = `\n**Partial re-run** on ${new Date().toISOString().slice(0, 10)}: ${[...rerun].join(', ')} run again (\`--only ${[...rerun].join(',')} --keep --reps ${REPS}\`); the other rows are kept from the run before.\n`;
  }
  const md = render(all, version) + note;
  writeFileSync(join(values.out!, 'loadtest-vs-locust.md'), md);
  writeFileSync(join(values.out!, 'loadtest-vs-locust.json'), JSON.stringify({ duration: DURATION, locust: version, node: process.version, results: all }, null, 2) + '\n');
  process.stdout.write(md);
}

function render(results: { config: Config; rep: number; locust: ToolResult; polarity: ToolResult }[], version: string): string {
  const pct = (a: number, b: number): string => `${(((a - b) / b) * 100).toFixed(2)}%`;
  const lines = [
    '# polarity loadtest vs Locust 2.12',
    '',
    `Generated by \`node dist/bench/loadtest-vs-locust.js --duration ${DURATION} --reps ${REPS}\` on ${new Date().toISOString().slice(0, 10)}: ` +
      `${cpus().length} × ${cpus()[0]?.model.trim()}, Node.js ${process.version}, Locust ${version} (Debian python3-locust). ` +
      'Both tools ran the seed scenario (bench/loadtest-locustfile.py for Locust, `--scenario seed` for polarity loadtest) with the same users, spawn rate and duration ' +
      `(${DURATION} s, --stop-timeout 10 for both), one after the other, each against a freshly started server on 127.0.0.1, on the same 2 cores as the server. ` +
      "Average RPS is Locust's: requests / (last request − start); Locust's figures are read when it quits (not from its once-a-second CSV).",
    '',
    '| config | rep | Locust RPS | polarity RPS | difference | Locust requests | polarity requests | Locust failures | polarity failures | injected by the server (Locust run / polarity run) | median ms L / p | p95 ms L / p | CPU s L / p |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const inj = (t: ToolResult): string => (t.injected ? String(t.injected.errors500 + t.injected.dropped) : '–');
    lines.push(
      `| ${r.config.id} | ${r.rep + 1} | ${r.locust.avgRps.toFixed(2)} | ${r.polarity.avgRps.toFixed(2)} | ${pct(r.polarity.avgRps, r.locust.avgRps)} | ${r.locust.requests} | ${r.polarity.requests} | ${r.locust.failures} | ${r.polarity.failures} | ${inj(r.locust)} / ${inj(r.polarity)} | ${Math.round(r.locust.median)} / ${Math.round(r.polarity.median)} | ${r.locust.p95} / ${r.polarity.p95} | ${r.locust.cpuS.toFixed(1)} / ${r.polarity.cpuS.toFixed(1)} |`,
    );
  }
  lines.push('', '## Configurations', '');
  for (const c of CONFIGS) lines.push(`- **${c.id}**: ${c.what}; ${c.users} users at ${c.spawnRate}/s.`);
  lines.push('', '## Failures as each tool recorded them', '');
  for (const r of results.filter((x) => x.locust.failures || x.polarity.failures)) {
    lines.push(`**${r.config.id}, rep ${r.rep + 1}**`, '', '| tool | occurrences | error |', '|---|---|---|');
    for (const t of [r.locust, r.polarity]) for (const e of t.errors) lines.push(`| ${t.tool} | ${e.occurrences} | \`${e.error.replace(/\|/g, '\\|')}\` |`);
    lines.push('');
  }
  lines.push(
    `Load average (1 min) at the start of each run: ${results
      .flatMap((r) => [r.locust.loadAvg, r.polarity.loadAvg])
      .map((x) => x.toFixed(2))
      .join(', ')}; now ${loadavg()[0]!.toFixed(2)}.`,
    '',
  );
  return lines.join('\n');
}

await main();
