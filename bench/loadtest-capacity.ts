// How many seed users one load-tester process sustains on one core, with each request still timed
// accurately. The target is a trivial node:http server (bench/loadtest-fault-server.js, no faults),
// so the load tester is what is measured.
//
//   npm run build && node dist/bench/loadtest-capacity.js [--users 1000,5000,10000,20000]
//        [--spawn-rate 1000] [--duration 60]
//
// Every user holds a socket: 20,000 users need 20,000 descriptors in the load tester and as many in
// the server. Raise the limit first (`ulimit -n 65536`, as root or within the hard limit) — user
// counts above the open-files limit minus 100 are lowered to it and the report says so — and check
// that `net.ipv4.ip_local_port_range` holds more ports than users (both are recorded).
// On a machine with 2 cores the server runs on CPU 0 and the load tester on CPU 1 (taskset), so
// "one core" is literal; the probe below runs on CPU 0 next to the server.
//
// Per user count it records: the steady-state RPS against the rate the users should make
// (users / (3 s mean think time + mean response time)), the load tester's CPU (% of one core),
// its event-loop delay (how late it ran callbacks: a bound on how late a response can be timed),
// its 10-s-window percentiles, and the same percentiles from an independent probe — one
// connection in this process sending GET /history every 50 ms — to see whether the load tester's
// timings drift from what a lightly loaded client measures. Results: bench/results/loadtest-capacity.md/.json.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HttpConnection, prepareRequest, type Target } from '../src/loadtest/http-client.js';
import type { RunReport } from '../src/loadtest/report.js';
import { parseScenario } from '../src/loadtest/scenario.js';
import { FAULT_SERVER, hasTaskset, pinned, POLARITY, processCpuSeconds, ROOT, startProcess, waitForPort, waitForQuiet } from './loadtest-bench-lib.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000,5000,10000,20000' },
    'spawn-rate': { type: 'string', default: '1000' },
    duration: { type: 'string', default: '60' },
    'quiet-load': { type: 'string', default: '1.0' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const SPAWN = Number(values['spawn-rate']);
const DURATION = Number(values.duration);
const log = (s: string): void => void process.stderr.write(s + '\n');

function fdLimit(): number | null {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : null;
}
const portRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
const limit = fdLimit();
const requested = values.users!.split(',').map(Number);
const USERS = requested.map((u) => (limit !== null && u > limit - 100 ? limit - 100 : u));

// The probe (this process) shares CPU 0 with the server; CPU 1 is the load tester's alone.
const twoCores = cpus().length >= 2 && hasTaskset;
if (twoCores) spawnSync('taskset', ['-p', '-c', '0', String(process.pid)]);

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Sequential GET /history every 50 ms on one connection until untilMs: [when (ms), latency (ms)]. */
async function probe(target: Target, untilMs: number): Promise<[number, number][]> {
  const conn = new HttpConnection(target);
  const req = prepareRequest(target, parseScenario({ tasks: [{ path: '/history' }] }).tasks[0]!);
  const times: [number, number][] = [];
  while (performance.now() < untilMs) {
    const t0 = performance.now();
    const err = await new Promise<string | null>((resolve) => conn.send(req, (_s, _r, _b, e) => resolve(e)));
    if (err === null) times.push([t0, performance.now() - t0]);
    await sleep(50);
  }
  conn.close();
  return times;
}

/** Percentiles of the probe over the 10-s windows ending at each second, like the load tester's. */
function probeWindows(times: [number, number][]): { p50: number; p95: number; p99: number }[] {
  if (times.length === 0) return [];
  const start = times[0]![0];
  const end = times[times.length - 1]![0];
  const out: { p50: number; p95: number; p99: number }[] = [];
  for (let t = start + 10_000; t <= end; t += 1000) {
    const w = times
      .filter(([at]) => at > t - 10_000 && at <= t)
      .map(([, ms]) => ms)
      .sort((a, b) => a - b);
    out.push({ p50: quantile(w, 0.5), p95: quantile(w, 0.95), p99: quantile(w, 0.99) });
  }
  return out;
}

interface Row {
  users: number;
  requestedUsers: number;
  expectedRps: number;
  steadyRps: number;
  ratio: number;
  avgRps: number;
  requests: number;
  failures: number;
  loaderCpuPercent: number;
  loaderCpuUserS: number;
  loaderCpuSystemS: number;
  eld: { p50: number; p99: number; max: number };
  eldAfterRamp: { p50: number; p99: number; max: number } | null;
  /** medians over the steady state of the 10-s-window percentiles, and the worst window's p99 */
  window: { p50: number; p95: number; p99: number; worstP99: number };
  probe: { n: number; p50: number; p95: number; p99: number; worstP99: number };
  serverCpuPercent: number | null;
  loadAvg: number;
}

/** Sockets in TIME_WAIT (they hold ephemeral ports for 60 s after a run). */
function timeWait(): number {
  const m = /^TCP: .*\btw (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function measure(users: number, requestedUsers: number, port: number): Promise<Row> {
  // Ports still in TIME_WAIT from the previous run would make every connect search longer.
  for (let i = 0; i < 90 && timeWait() > 1000; i++) await sleep(1000);
  const loadAvg = await waitForQuiet(Number(values['quiet-load']), 600, log);
  const [scmd, sargs] = pinned(twoCores ? '0' : null, process.execPath, [FAULT_SERVER, '--port', String(port)]);
  const server = startProcess(scmd, sargs);
  await waitForPort(port);
  const target: Target = { baseUrl: `http://127.0.0.1:${port}`, address: '127.0.0.1', port, hostHeader: `127.0.0.1:${port}` };
  const serverCpu0 = processCpuSeconds(server.child.pid!);
  const t0 = performance.now();
  const [lcmd, largs] = pinned(twoCores ? '1' : null, process.execPath, [
    POLARITY,
    'loadtest',
    '--host',
    target.baseUrl,
    '-u',
    String(users),
    '-r',
    String(SPAWN),
    '-t',
    `${DURATION}s`,
    '--json',
    '-q',
  ]);
  const loader = spawn(lcmd, largs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  loader.stdout.on('data', (d) => (out += d));
  loader.stderr.on('data', (d) => process.stderr.write(d));
  const loaderDone = new Promise<void>((resolve) => loader.on('exit', () => resolve()));
  // Probe the steady state: from 12 s after the ramp (a full 10-s window) to 1 s before the end.
  const rampS = Math.ceil(users / SPAWN);
  const steadyFrom = Math.min(rampS + 12, DURATION - 5);
  await sleep(steadyFrom * 1000);
  const probeTimes = await probe(target, t0 + (DURATION - 1) * 1000);
  const pw = probeWindows(probeTimes);
  await loaderDone;
  const wall = (performance.now() - t0) / 1000;
  const serverCpu1 = processCpuSeconds(server.child.pid!);
  await server.stop();
  const r = JSON.parse(out) as RunReport;
  const steady = r.history.filter((s) => s.t >= steadyFrom && s.t <= DURATION - 0.5);
  const med = (xs: number[]): number =>
    quantile(
      [...xs].sort((a, b) => a - b),
      0.5,
    );
  // The rate the users should make in the steady state: each cycle is a think time (3 s on average)
  // plus a response time — the probe's mean over the same period (the run's own mean includes the ramp).
  const probeMeanMs = probeTimes.reduce((a, [, ms]) => a + ms, 0) / Math.max(1, probeTimes.length);
  const expectedRps = users / (3 + probeMeanMs / 1000);
  const steadyRps = steady.reduce((a, s) => a + s.rps, 0) / Math.max(1, steady.length);
  return {
    users,
    requestedUsers,
    expectedRps,
    steadyRps,
    ratio: steadyRps / expectedRps,
    avgRps: r.avgRps,
    requests: r.requests,
    failures: r.failures,
    loaderCpuPercent: r.loadGenerator.cpuPercent,
    loaderCpuUserS: r.loadGenerator.cpuUserS,
    loaderCpuSystemS: r.loadGenerator.cpuSystemS,
    eld: r.loadGenerator.eventLoopDelayMs,
    eldAfterRamp: r.loadGenerator.eventLoopDelayAfterRampMs,
    window: { p50: med(steady.map((s) => s.p50)), p95: med(steady.map((s) => s.p95)), p99: med(steady.map((s) => s.p99)), worstP99: Math.max(0, ...steady.map((s) => s.p99)) },
    probe: {
      n: probeTimes.length,
      p50: med(pw.map((w) => w.p50)),
      p95: med(pw.map((w) => w.p95)),
      p99: med(pw.map((w) => w.p99)),
      worstP99: Math.max(0, ...pw.map((w) => w.p99)),
    },
    serverCpuPercent: serverCpu0 !== null && serverCpu1 !== null ? ((serverCpu1 - serverCpu0) / wall) * 100 : null,
    loadAvg,
  };
}

const rows: Row[] = [];
let port = 18400;
for (let i = 0; i < USERS.length; i++) {
  log(`${USERS[i]} users at ${SPAWN}/s for ${DURATION}s …`);
  const row = await measure(USERS[i]!, requested[i]!, port++);
  log(
    `  steady ${row.steadyRps.toFixed(0)} RPS of ${row.expectedRps.toFixed(0)} expected (${(row.ratio * 100).toFixed(1)}%), load tester CPU ${row.loaderCpuPercent.toFixed(1)}%, ` +
      `event-loop delay p99 ${row.eld.p99} ms (after the ramp ${row.eldAfterRamp?.p99} ms), window p50/p95/p99/worst ${row.window.p50}/${row.window.p95}/${row.window.p99}/${row.window.worstP99} ms, ` +
      `probe ${row.probe.p50.toFixed(2)}/${row.probe.p95.toFixed(2)}/${row.probe.p99.toFixed(2)}/${row.probe.worstP99.toFixed(2)} ms`,
  );
  rows.push(row);
  await sleep(5000);
}

const f = (x: number, d = 1): string => x.toFixed(d);
const md = [
  '# Load-tester capacity: seed users on one core',
  '',
  `Generated by \`node dist/bench/loadtest-capacity.js --users ${values.users} --spawn-rate ${SPAWN} --duration ${DURATION}\` on ${new Date().toISOString().slice(0, 10)}: ` +
    `${cpus().length} × ${cpus()[0]?.model.trim()}, Node.js ${process.version}. Server: bench/loadtest-fault-server.js (bare node:http, 17-byte answer, no faults)` +
    `${twoCores ? ' pinned to CPU 0; load tester (`polarity loadtest`, seed scenario) pinned to CPU 1; probe on CPU 0' : ' (not pinned: fewer than 2 cores or no taskset)'}. ` +
    `Open-files limit ${limit ?? 'unknown'}${USERS.some((u, i) => u !== requested[i]) ? ' (user counts above it minus 100 were lowered)' : ''}; ephemeral ports ${portRange.join('–')}.`,
  '',
  '| users | expected RPS | steady RPS | steady / expected | load tester CPU (% of 1 core) | user / system s | event-loop delay p50 / p99 / max ms: whole run; after the ramp | load tester p50 / p95 / p99 / worst p99 ms | probe p50 / p95 / p99 / worst p99 ms | server CPU % | failures | load avg at start |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.users.toLocaleString('en-US')} | ${f(r.expectedRps, 0)} | ${f(r.steadyRps, 0)} | ${f(r.ratio * 100)}% | ${f(r.loaderCpuPercent)}% | ${f(r.loaderCpuUserS)} / ${f(r.loaderCpuSystemS)} | ${r.eld.p50} / ${r.eld.p99} / ${r.eld.max}; ${r.eldAfterRamp ? `${r.eldAfterRamp.p50} / ${r.eldAfterRamp.p99} / ${r.eldAfterRamp.max}` : '–'} | ${r.window.p50} / ${r.window.p95} / ${r.window.p99} / ${r.window.worstP99} | ${f(r.probe.p50, 2)} / ${f(r.probe.p95, 2)} / ${f(r.probe.p99, 2)} / ${f(r.probe.worstP99, 2)} | ${r.serverCpuPercent === null ? '–' : f(r.serverCpuPercent)} | ${r.failures} | ${f(r.loadAvg, 2)} |`,
  ),
  '',
  "Expected RPS = users / (3 s mean think time + the probe's mean response time). Steady RPS is the mean of the 10-s-window RPS from 12 s after the ramp to the end. " +
    "Percentiles: for the load tester and for the probe alike, the percentiles of the 10-s windows ending at each second of the steady state; the table gives their medians and the worst window's p99. " +
    "The load tester's are Locust's rounded buckets (1-ms resolution below 100 ms), the probe's exact. CPU % is CPU time / wall time of the process. " +
    'The event-loop delay is how late the load tester ran a 10-ms timer: a response that arrives while the loop is busy is timed that much later.',
  '',
  `Load average now: ${loadavg()[0]!.toFixed(2)}.`,
  '',
].join('\n');
writeFileSync(join(values.out!, 'loadtest-capacity.md'), md);
writeFileSync(join(values.out!, 'loadtest-capacity.json'), JSON.stringify({ spawnRate: SPAWN, duration: DURATION, fdLimit: limit, portRange, rows }, null, 2) + '\n');
process.stdout.write(md);
