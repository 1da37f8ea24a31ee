// Soak: the seed mix (1 POST /analyze : 2 GET /history) at half of the capacity measured in the
// same run, for a long time, recording the server's memory, open descriptors, event-loop delay
// and latency over time. What must hold: no errors, and no growth trend (memory, descriptors).
//
//   npm run build && node dist/bench/soak.js [--duration 10m] [--rate N] [--workers 2] [--out DIR]
//
// Without --rate, it first measures the maximum seed-mix rate for 5 s (64 keep-alive connections,
// no think time) and soaks at half of it. Open loop: requests are sent on a fixed schedule, so a
// slow server shows up as latency, not as a lower rate. Loopback only; bounded by --duration.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CleanupStack } from '../src/lab/cleanup.js';
import { processTree, treeRssBytes } from '../src/lab/proc.js';
import { serve } from '../src/lab/serve.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    rate: { type: 'string' },
    workers: { type: 'string', default: '2' },
    sample: { type: 'string', default: '10' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const seconds = (s: string) => Number(/^(\d+)(s|m|h)?$/.exec(s)?.[1]) * ({ s: 1, m: 60, h: 3600 }[/^(\d+)(s|m|h)?$/.exec(s)?.[2] ?? 's'] ?? 1);
const DURATION_S = seconds(values.duration!);
const SAMPLE_S = Number(values.sample);
const PORT = 18500;
const SEED_TEXT = 'This is a test text for sentiment analysis.';
if (!Number.isFinite(DURATION_S) || DURATION_S <= 0) throw new Error('--duration like 90s, 10m, 1h');

const dir = mkdtempSync(join(tmpdir(), 'polarity-soak-'));
const stack = new CleanupStack((l) => console.error(l));
process.once('exit', () => void stack.unwind()); // a failure below: the server does not outlive the soak
const server = await serve(stack, { args: ['--workers', values.workers!, '--db', join(dir, 'h.db')], port: PORT, logLevel: 'error', detached: true, home: dir });
const serverPid = server.pid;

const rss = (): number => treeRssBytes(serverPid);
function fds(): number {
  return processTree(serverPid).reduce((a, p) => {
    try {
      return a + readdirSync(`/proc/${p}/fd`).length;
    } catch {
      return a;
    }
  }, 0);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const postBody = JSON.stringify({ text: SEED_TEXT });
let n = 0;
/** One request of the seed mix; resolves with [latency ms, ok]. */
function one(): Promise<[number, boolean]> {
  const isPost = n++ % 3 === 0;
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: PORT,
        agent,
        method: isPost ? 'POST' : 'GET',
        path: isPost ? '/analyze' : '/history',
        headers: isPost ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(postBody) } : {},
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve([performance.now() - started, res.statusCode === 200]));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve([performance.now() - started, false]));
    if (isPost) req.end(postBody);
    else req.end();
  });
}

// Capacity: closed loop, 64 in flight, 5 s.
let rate = values.rate === undefined ? NaN : Number(values.rate);
if (Number.isNaN(rate)) {
  let done = 0;
  const until = performance.now() + 5000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        await one();
        done++;
      }
    }),
  );
  rate = Math.floor(done / 5 / 2);
  console.log(`measured capacity ${(done / 5).toFixed(0)} req/s (this client, 64 connections); soaking at ${rate} req/s`);
}

interface Sample {
  t: number;
  rps: number;
  errors: number;
  p50: number;
  p99: number;
  rssMiB: number;
  fds: number;
  loopP99ms: number;
}
const samples: Sample[] = [];
let window: number[] = [];
let windowErrors = 0;
let totalErrors = 0;
let total = 0;
const start = performance.now();
let sent = 0;
const inflight = new Set<Promise<void>>();
const tickMs = 10;
const loopDelay = async () => {
  const text = await fetch(`http://127.0.0.1:${PORT}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  return Number(/^nodejs_eventloop_delay_p99_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
};
await loopDelay(); // resets the servers' loop-delay histograms
let nextSample = start + SAMPLE_S * 1000;
while (performance.now() - start < DURATION_S * 1000) {
  // Open loop: send whatever the schedule says is due by now.
  const due = Math.floor(((performance.now() - start) / 1000) * rate);
  while (sent < due && inflight.size < 5000) {
    sent++;
    const p: Promise<void> = one().then(([ms, ok]) => {
      window.push(ms);
      total++;
      if (!ok) {
        windowErrors++;
        totalErrors++;
      }
      inflight.delete(p);
    });
    inflight.add(p);
  }
  if (performance.now() >= nextSample) {
    const sorted = window.sort((a, b) => a - b);
    const s: Sample = {
      t: Math.round((performance.now() - start) / 1000),
      rps: window.length / SAMPLE_S,
      errors: windowErrors,
      p50: sorted[Math.floor(sorted.length * 0.5)] ?? NaN,
      p99: sorted[Math.floor(sorted.length * 0.99)] ?? NaN,
      rssMiB: rss() / 2 ** 20,
      fds: fds(),
      loopP99ms: await loopDelay(),
    };
    samples.push(s);
    console.log(
      `t=${s.t}s ${s.rps.toFixed(0)} req/s errors ${s.errors} p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms rss ${s.rssMiB.toFixed(0)} MiB fds ${s.fds} loop p99 ${s.loopP99ms.toFixed(1)} ms`,
    );
    window = [];
    windowErrors = 0;
    nextSample += SAMPLE_S * 1000;
  }
  await new Promise((r) => setTimeout(r, tickMs));
}
await Promise.all(inflight);
agent.destroy();
await server.stop();
rmSync(dir, { recursive: true, force: true });

/** Least-squares slope of y over t, per hour. */
function slopePerHour(ys: number[], ts: number[]): number {
  const n = ys.length;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i]! - mt) * (ys[i]! - my);
    den += (ts[i]! - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 3600;
}
// Trends over the second half (after warm-up: caches, JIT, SQLite page cache, WAL size settle).
const late = samples.slice(Math.floor(samples.length / 2));
const rssSlope =
  late.length >= 3
    ? slopePerHour(
        late.map((s) => s.rssMiB),
        late.map((s) => s.t),
      )
    : NaN;
const fdSlope =
  late.length >= 3
    ? slopePerHour(
        late.map((s) => s.fds),
        late.map((s) => s.t),
      )
    : NaN;
const meanRss = late.reduce((a, s) => a + s.rssMiB, 0) / Math.max(1, late.length);
// A leak grows without bound; noise wanders. Growth is flagged when the second half's trend adds
// more than 10% of its mean RSS across that half itself, or (for runs long enough to extrapolate,
// a second half of 2 minutes or more) would add more than 25% in an hour; descriptors likewise
// (more than 5 across the half, or 60 an hour).
const lateSpanS = late.length >= 2 ? late.at(-1)!.t - late[0]!.t : 0;
const extrapolate = lateSpanS >= 120;
const rssOk = !((rssSlope * lateSpanS) / 3600 > 0.1 * meanRss || (extrapolate && rssSlope > 0.25 * meanRss));
const fdOk = !((fdSlope * lateSpanS) / 3600 > 5 || (extrapolate && fdSlope > 60));
const verdict = totalErrors === 0 && rssOk && fdOk;

const lines = [
  '# Soak',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; client and server share the machine.`,
  `Command: \`npm run build && node dist/bench/soak.js --duration ${values.duration}${values.rate ? ` --rate ${values.rate}` : ''} --workers ${values.workers}\``,
  '',
  `Seed mix at ${rate} req/s (open loop, half the capacity this client measured first) for ${DURATION_S} s against \`polarity serve --workers ${values.workers}\` (SQLite).`,
  '',
  `- requests: ${total}, errors: ${totalErrors}`,
  `- RSS trend over the second half: ${rssSlope.toFixed(1)} MiB/hour (mean ${meanRss.toFixed(0)} MiB) — ${rssOk ? 'no growth trend' : 'GROWING'}`,
  `- open descriptors trend over the second half: ${fdSlope.toFixed(1)} per hour — ${fdOk ? 'no growth trend' : 'GROWING'}`,
  `- verdict: ${verdict ? 'PASS' : 'FAIL'}`,
  '',
  'Latency is measured by the client, which shares the two cores with the server and with whatever else runs on the machine;',
  "the server's own event-loop delay (last column) tells whether a latency spike came from the server.",
  '',
  '| t (s) | req/s | errors | p50 ms | p99 ms | RSS MiB (all processes) | open fds | event-loop p99 ms |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...samples.map((s) => `| ${s.t} | ${s.rps.toFixed(0)} | ${s.errors} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.rssMiB.toFixed(0)} | ${s.fds} | ${s.loopP99ms.toFixed(1)} |`),
  '',
];
console.log(lines.slice(0, 15).join('\n'));
mkdirSync(values.out!, { recursive: true });
writeFileSync(join(values.out!, 'soak.md'), lines.join('\n'));
process.exitCode = verdict ? 0 : 1;
