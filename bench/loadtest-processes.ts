// The load generator's CPU per request with --processes 2 against one process (issue #19: within
// 10%). This machine has 2 cores shared with the server, so raw throughput says little; CPU time per
// request says what splitting the load costs (IPC, a second event loop, the parent's merging).
//
//   npm run build && node dist/bench/loadtest-processes.js [--duration 15] [--reps 3] [--quiet-load 1.5]
//
// Against the bare fault server (no faults), for each configuration and rep, --processes 1 and 2
// are run one after the other (the order alternating between reps):
//   seed-6000   the seed scenario, 6,000 users started at 1,000/s (~2,000 req/s once all run)
//   open-2500   open model, --rate 2500/s, up to 100 connections: the same requests for both
//   max-64      --max --connections 64: back to back, as fast as the server answers
// and, for the two fixed-rate loads, one process driving half of it (seed-3000: 3,000 users at
// 500/s; open-1250: 1250/s, 50 connections) — what each of the two processes does.
// CPU is measured twice: the whole process tree from the shell's `times` (node start-up, children
// and all), and the in-run figure of the --json report (load generator processes + parent).
// Per-process baseline: loadtest-idle-timers.js, a Node.js process waking as one load-generator
// process's scheduler does with its share of the load (the monitors and the 1-s tick too), no request;
// "adjusted" subtracts processes × its CPU over the run from the in-run CPU.
// Results: bench/results/loadtest-processes.md and .json (medians over reps). Loopback only; every
// run is bounded.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_SERVER, POLARITY, ROOT, startProcess, waitForPort, waitForQuiet } from './loadtest-bench-lib.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    reps: { type: 'string', default: '3' },
    port: { type: 'string', default: '18411' },
    'quiet-load': { type: 'string', default: '1.5' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const DURATION = Number(values.duration);
const REPS = Number(values.reps);
const PORT = Number(values.port);
const log = (s: string): void => void process.stderr.write(s + '\n');

interface Config {
  id: string;
  args: string[];
  /** the scheduler's timers, for the per-process baseline: loadtest-idle-timers.js --mode, --rate (all processes) */
  timers: { mode: 'open' | 'closed' | 'none'; rate: number };
  /** the same load's half on one process (what each of 2 processes does) */
  half?: { id: string; args: string[] };
}
const CONFIGS: Config[] = [
  { id: 'seed-6000', args: ['-u', '6000', '-r', '1000'], timers: { mode: 'closed', rate: 2000 }, half: { id: 'seed-3000', args: ['-u', '3000', '-r', '500'] } },
  { id: 'open-2500', args: ['--rate', '2500/s', '--connections', '100'], timers: { mode: 'open', rate: 2500 }, half: { id: 'open-1250', args: ['--rate', '1250/s', '--connections', '50'] } },
  { id: 'max-64', args: ['--max', '--connections', '64'], timers: { mode: 'none', rate: 0 } },
];
const IDLE_TIMERS = join(ROOT, 'dist/bench/loadtest-idle-timers.js');

interface Row {
  config: string;
  rep: number;
  processes: number;
  requests: number;
  failures: number;
  rps: number;
  treeCpuS: number;
  runCpuS: number;
  treeCpuUsPerReq: number;
  runCpuUsPerReq: number;
  loadAvg: number;
  /** the per-process baseline: CPU ms per second of one idle process with this process's timers */
  baselineMsPerS: number;
  adjustedUsPerReq: number;
}

/** CPU ms/s of `n` idle processes, each with the timers of one of n processes sharing `config`'s load (run together). */
function baseline(config: Config, n: number): number {
  const secs = Math.min(DURATION, 10);
  // The open model's processes share one schedule (each takes 1 in n of its windows); the closed model's each have 1/n of the users.
  const rate = config.timers.mode === 'open' ? config.timers.rate : config.timers.rate / n;
  const args = [IDLE_TIMERS, '--mode', config.timers.mode, '--rate', String(rate), '--of', String(n), '--duration', String(secs)];
  const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['-c', Array(n).fill(quoted).join(' & ') + '; wait'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`idle-timers failed: ${r.stderr}`);
  const each = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).cpuMsPerS as number);
  return each.reduce((a, b) => a + b, 0) / each.length;
}

/** Runs one load test under bash and reads the CPU of its whole process tree from `times`. */
function run(config: { id: string; args: readonly string[] }, processes: number, rep: number, baselineMsPerS: number): Row {
  const args = ['loadtest', '--host', `http://127.0.0.1:${PORT}`, ...config.args, '-t', `${DURATION}s`, '--processes', String(processes), '--json', '-q', '--seed', String(rep)];
  const quoted = [process.execPath, POLARITY, ...args].map((a) => `'${a}'`).join(' ');
  const loadAvg = loadavg()[0]!;
  const r = spawnSync('bash', ['-c', `${quoted} > /tmp/polarity-processes-bench.json; code=$?; times; exit $code`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`load test failed (${r.status}): ${r.stderr}`);
  // `times`: the shell's own user/system, then its children's (every descendant waited for).
  const line = r.stdout.trim().split('\n').at(-1)!;
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const treeCpuS = secs[0]! + secs[1]!;
  const report = JSON.parse(spawnSync('cat', ['/tmp/polarity-processes-bench.json'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout);
  const runCpuS = report.loadGenerator.cpuUserS + report.loadGenerator.cpuSystemS;
  return {
    config: config.id,
    rep,
    processes,
    requests: report.requests,
    failures: report.failures,
    rps: report.avgRps,
    treeCpuS,
    runCpuS,
    treeCpuUsPerReq: (treeCpuS / report.requests) * 1e6,
    runCpuUsPerReq: (runCpuS / report.requests) * 1e6,
    loadAvg,
    baselineMsPerS,
    adjustedUsPerReq: ((runCpuS - (processes * baselineMsPerS * DURATION) / 1000) / report.requests) * 1e6,
  };
}

const server = startProcess(process.execPath, [FAULT_SERVER, '--port', String(PORT)]);
const rows: Row[] = [];
try {
  await waitForPort(PORT);
  const logRow = (row: Row): void =>
    log(
      `${row.config} rep ${row.rep} --processes ${row.processes}: ${row.requests} requests, ${row.rps.toFixed(0)} req/s, tree ${row.treeCpuUsPerReq.toFixed(1)} µs/req, in-run ${row.runCpuUsPerReq.toFixed(1)} µs/req, adjusted ${row.adjustedUsPerReq.toFixed(1)} µs/req (baseline ${row.baselineMsPerS.toFixed(1)} ms/s per process)`,
    );
  for (let rep = 1; rep <= REPS; rep++) {
    for (const config of CONFIGS) {
      await waitForQuiet(Number(values['quiet-load']), 120, log);
      const base = { 1: baseline(config, 1), 2: baseline(config, 2) };
      log(`${config.id} rep ${rep}: per-process baseline ${base[1].toFixed(1)} ms/s (1 process), ${base[2].toFixed(1)} ms/s (each of 2)`);
      for (const processes of rep % 2 ? [1, 2] : [2, 1]) {
        await waitForQuiet(Number(values['quiet-load']), 120, log);
        const row = run(config, processes, rep, base[processes as 1 | 2]);
        rows.push(row);
        logRow(row);
      }
      if (config.half) {
        await waitForQuiet(Number(values['quiet-load']), 120, log);
        const row = run(config.half, 1, rep, base[2]);
        rows.push(row);
        logRow(row);
      }
    }
  }
} finally {
  await server.stop();
}

const median = (xs: number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
};
const pct = (a: number, b: number): string => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)}%`;
const lines = [
  '# polarity loadtest --processes 2 vs 1: load-generator CPU per request',
  '',
  `Generated by \`node dist/bench/loadtest-processes.js --duration ${DURATION} --reps ${REPS}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node.js ${process.version}. ` +
    'Against the bare fault server (bench/loadtest-fault-server.ts, no faults) on the same 2 cores, 127.0.0.1. ' +
    '"tree" is the CPU time of the whole load-tester process tree (node start-up, the parent and its children) from the shell\'s `times`; "in-run" is the --json report\'s loadGenerator CPU (children during the run + parent); ' +
    '"adjusted" is in-run minus, per process, the CPU of an idle Node.js process with the same timers (bench/loadtest-idle-timers.ts: its scheduler\'s wake-ups at its share of the rate, the event-loop-delay monitors, the 1-s tick; "baseline", measured just before). ' +
    'seed-3000 and open-1250 are one process driving half of seed-6000 and open-2500: what each of the 2 processes does.',
  '',
  '| config | rep | processes | requests | failures | req/s | tree CPU s | tree µs/request | in-run µs/request | baseline ms/s per process | adjusted µs/request | load avg at start |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.config} | ${r.rep} | ${r.processes} | ${r.requests} | ${r.failures} | ${r.rps.toFixed(0)} | ${r.treeCpuS.toFixed(2)} | ${r.treeCpuUsPerReq.toFixed(1)} | ${r.runCpuUsPerReq.toFixed(1)} | ${r.baselineMsPerS.toFixed(1)} | ${r.adjustedUsPerReq.toFixed(1)} | ${r.loadAvg.toFixed(2)} |`,
  ),
  '',
  `## Medians over the ${REPS} reps (µs of load-generator CPU per request)`,
  '',
  '| config | tree, 1 process | tree, 2 | 2 vs 1 | in-run, 1 | in-run, 2 | 2 vs 1 | adjusted, 1 | adjusted, 2 | 2 vs 1 | half the load on 1 process: in-run |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const c of CONFIGS) {
  const med = (n: number, f: (r: Row) => number, id = c.id): number => median(rows.filter((r) => r.config === id && r.processes === n).map(f));
  const [t1, t2] = [med(1, (r) => r.treeCpuUsPerReq), med(2, (r) => r.treeCpuUsPerReq)];
  const [r1, r2] = [med(1, (r) => r.runCpuUsPerReq), med(2, (r) => r.runCpuUsPerReq)];
  const [a1, a2] = [med(1, (r) => r.adjustedUsPerReq), med(2, (r) => r.adjustedUsPerReq)];
  const half = c.half
    ? `${c.half.id}: ${med(1, (r) => r.runCpuUsPerReq, c.half.id).toFixed(1)} (${pct(
        r1,
        med(1, (r) => r.runCpuUsPerReq, c.half.id),
      )} vs 1 process, full load)`
    : '—';
  lines.push(
    `| ${c.id} | ${t1.toFixed(1)} | ${t2.toFixed(1)} | ${pct(t1, t2)} | ${r1.toFixed(1)} | ${r2.toFixed(1)} | ${pct(r1, r2)} | ${a1.toFixed(1)} | ${a2.toFixed(1)} | ${pct(a1, a2)} | ${half} |`,
  );
}
writeFileSync(join(values.out!, 'loadtest-processes.md'), lines.join('\n') + '\n');
writeFileSync(join(values.out!, 'loadtest-processes.json'), JSON.stringify({ duration: DURATION, reps: REPS, rows }, null, 2) + '\n');
log(lines.slice(-5).join('\n'));
