// Cluster benchmark: the seed's mix (1 POST /analyze : 2 GET /history) through the nginx load
// balancer onto two app hosts, against one app host directly, and PostgreSQL against SQLite on one
// host — in one run, on the local cluster of deploy/local-cluster (network namespaces).
//
//   npm run build && sudo node dist/bench/cluster.js [--duration 10] [--connections 64] [--rounds 3]
//
// Needs root and what deploy/local-cluster needs. The cluster is brought up under its own name
// (polb, 10.77.2.0/24) by the lab (src/lab) and removed at the end, also on failure or Ctrl-C;
// it holds the machine's cluster lock meanwhile. Load: the product's load tester (src/loadtest)
// in --max mode, N keep-alive connections without think time. Each target: a 3 s warm-up, then
// ROUNDS interleaved runs (targets in turn, so a burst of load from elsewhere hits every target
// alike); medians are reported. Every app host runs --workers 1. All hosts, nginx, PostgreSQL and
// the load tester share the machine's cores, so this measures the architecture's overhead, not its
// scale-out: on real VMs each app host has cores of its own.
// Traffic goes only to the cluster's own namespaces. Results: bench/results/cluster.md and .json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SEED_TEXT } from '../src/loadtest/scenario.js';
import { type CleanupStack, withCleanup } from '../src/lab/cleanup.js';
import { Interrupted } from '../src/lab/errors.js';
import { clusterUp, holdClusterLock } from '../src/lab/local-cluster.js';
import { describeMachine, machineLine } from '../src/lab/machine.js';
import { measureRun, postGetScenario, warmUp } from '../src/lab/measure.js';
import { serve } from '../src/lab/serve.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'polb';
const NET = '10.77.2';
const STATE = join(tmpdir(), 'polarity-cluster-bench');

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);

interface Result {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
}

const scenario = postGetScenario(1, 2, 'seed mix');

/** One run of the load tester against `url` (the load tester's percentiles: Locust's buckets, 1 ms below 100 ms). */
async function load(url: string, seconds: number, signal: AbortSignal): Promise<Result> {
  const { report } = await measureRun({ url, scenario, connections: CONNECTIONS, durationS: seconds, seed: 5 }, [], signal);
  const p = report.aggregated.percentiles;
  return { rps: report.avgRps, p50ms: p['50%'] ?? NaN, p99ms: p['99%'] ?? NaN, requests: report.requests, errors: report.failures };
}

async function storedCount(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^polarity_analyses_total\{engine="textblob",stored="true"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** The measured rounds on a fresh cluster; also how the load balancer split the POSTs, and PostgreSQL's rows. */
async function measure(stack: CleanupStack): Promise<{ runs: Record<string, Result[]>; targets: { name: string; url: string }[]; splitPost: number[]; pgRows: number; load0: number; load1: number }> {
  await holdClusterLock(stack, (line) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'polarity-bench-cluster-'));
  stack.defer('the temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  clusterUp(stack, { name: NAME, net: NET, state: STATE }, { stderr: 'inherit' });
  const app = (i: number) => `http://${NET}.${20 + i}:3000`;
  // The SQLite host: the same app host (namespace, address, one worker), another port and store.
  mkdirSync(join(dir, 'sqlite'));
  chmodSync(join(dir, 'sqlite'), 0o777);
  const sqlite = await serve(stack, { name: 'SQLite app host', netns: `${NAME}-app1`, host: `${NET}.21`, args: ['--workers', '1', '--db', join(dir, 'sqlite/history.db')], home: dir });
  const targets = [
    { name: 'nginx → 2 app hosts, PostgreSQL', url: `http://${NET}.10` },
    { name: '1 app host directly, PostgreSQL', url: app(1) },
    { name: '1 app host directly, SQLite', url: sqlite.url },
  ];
  const runs: Record<string, Result[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (const t of targets) await warmUp({ url: t.url, scenario, connections: CONNECTIONS, durationS: 3, seed: 5 }, 3, stack.signal);
  const splitPost = [0, 0];
  const load0 = loadavg()[0]!;
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const before = t === targets[0] ? await Promise.all([1, 2].map((i) => storedCount(app(i)))) : [];
      const r = await load(t.url, DURATION, stack.signal);
      if (t === targets[0]) {
        const after = await Promise.all([1, 2].map((i) => storedCount(app(i))));
        for (const k of [0, 1]) splitPost[k]! += after[k]! - before[k]!;
      }
      runs[t.name]!.push(r);
      console.log(`round ${round + 1} ${t.name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(0)} ms  p99 ${r.p99ms.toFixed(0)} ms  errors ${r.errors}`);
    }
  }
  const load1 = loadavg()[0]!;
  const rows = await (await fetch(`${app(2)}/metrics`)).text();
  const pgRows = Number(/^polarity_history_rows (\d+)$/m.exec(rows)?.[1]);
  return { runs, targets, splitPost, pgRows, load0, load1 };
}

async function run(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the cluster lives in network namespaces');
  const { runs, targets, splitPost, pgRows, load0, load1 } = await withCleanup(measure, { log: (l) => console.log(l), signals: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const results = targets.map((t) => {
    const rs = runs[t.name]!;
    return {
      target: t.name,
      rps: median(rs.map((r) => r.rps)),
      p50ms: median(rs.map((r) => r.p50ms)),
      p99ms: median(rs.map((r) => r.p99ms)),
      requests: rs.reduce((a, r) => a + r.requests, 0),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      rounds: rs.map((r) => Math.round(r.rps)),
    };
  });
  const base = results[1]!.rps;
  const command = `npm run build && node dist/bench/cluster.js --duration ${DURATION} --connections ${CONNECTIONS} --rounds ${ROUNDS}`;
  const machine = machineLine(describeMachine());
  const md = [
    '# Cluster benchmark',
    '',
    `Run ${new Date().toISOString()} on ${machine}.`,
    `Command (as root): \`${command}\``,
    `Load average (1 min) of the machine before and after: ${load0.toFixed(2)}, ${load1.toFixed(2)} (other work on a shared machine shows here).`,
    '',
    `The seed's mix (1 \`POST /analyze\` with \`{"text": "${SEED_TEXT}"}\` : 2 \`GET /history\`) with`,
    `the product's load tester (\`polarity loadtest\` as a library, \`--max\` mode: ${CONNECTIONS} keep-alive connections without think time, ${DURATION} s),`,
    `${ROUNDS} interleaved rounds after a 3 s warm-up, medians; percentiles are the load tester's (Locust's buckets: whole ms below 100 ms).`,
    "The topology is deploy/local-cluster's: nginx, two app hosts (`--workers 1` each) and PostgreSQL, each in",
    'its own network namespace on one bridge; the load tester runs in the root namespace. The SQLite host is app host 1',
    'again (same namespace, address and worker count) on another port with its own SQLite file.',
    '',
    `**All of it — nginx, both app hosts, PostgreSQL and the load tester — shares the same ${cpus().length} cores.** The load`,
    'balancer cannot add capacity here; what the first row shows is what the architecture costs (an extra',
    'proxy hop, a database over the network). On real VMs each app host brings cores of its own.',
    '',
    '| target | req/s | vs 1 host (PostgreSQL) | p50 ms | p99 ms | requests | errors | rounds req/s |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) => `| ${r.target} | ${r.rps.toFixed(0)} | ${((r.rps / base) * 100).toFixed(0)}% | ${r.p50ms.toFixed(0)} | ${r.p99ms.toFixed(0)} | ${r.requests} | ${r.errors} | ${r.rounds.join(', ')} |`,
    ),
    '',
    `Through the load balancer, the analyses stored during the measured runs split ${splitPost[0]} / ${splitPost[1]} between the two app hosts`,
    `(round robin), and ${pgRows} rows were in PostgreSQL at the end (the table grows during the run; \`GET /history\``,
    "reads the newest 50 by primary key, whose cost does not depend on the table's size).",
    '',
  ].join('\n');
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'cluster.md'), md);
  writeFileSync(
    join(values.out!, 'cluster.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        command,
        duration: DURATION,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        results,
        postsPerHost: splitPost,
        postgresRows: pgRows,
        loadavg: [load0, load1],
      },
      null,
      2,
    ) + '\n',
  );
  console.log(md);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = err instanceof Interrupted ? 130 : 1;
});
