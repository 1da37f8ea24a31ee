// Cluster benchmark: the seed's mix (1 POST /analyze : 2 GET /history) through the nginx load
// balancer onto two app hosts, against one app host directly, and PostgreSQL against SQLite on one
// host — in one run, on the local cluster of deploy/local-cluster (network namespaces).
//
//   npm run build && sudo node dist/bench/cluster.js [--duration 10] [--connections 64] [--rounds 3]
//
// Needs root, wrk (Debian package `wrk`) and what deploy/local-cluster needs. The cluster is
// brought up under its own name (polb, 10.77.2.0/24) and removed at the end, also on failure.
// Each target: a 3 s warm-up, then ROUNDS interleaved runs of `wrk -t2 -cN -dD --latency`
// (targets in turn, so a burst of load from elsewhere hits every target alike); medians are
// reported. Every app host runs --workers 1. All hosts, nginx, PostgreSQL and wrk share the
// machine's cores, so this measures the architecture's overhead, not its scale-out: on real VMs
// each app host has cores of its own.
// Traffic goes only to the cluster's own namespaces. Results: bench/results/cluster.md and .json.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWrk, SEED_TEXT, WRK_LUA, type WrkReport } from './wrk.js';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'polb';
const NET = '10.77.2';
const STATE = join(tmpdir(), 'polarity-cluster-bench');
const ENV = { ...process.env, POLARITY_CLUSTER_NAME: NAME, POLARITY_CLUSTER_NET: NET, POLARITY_CLUSTER_STATE: STATE };

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' }, out: { type: 'string', default: join(ROOT, 'bench/results') } } });
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);

type WrkResult = WrkReport;
const wrk = (url: string, script: string, seconds: number): WrkResult => runWrk(url, script, seconds, CONNECTIONS);

function cluster(...args: string[]): string {
  return execFileSync(join(ROOT, 'deploy/local-cluster'), args, { env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url}`);
}

async function storedCount(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^polarity_analyses_total\{engine="textblob",stored="true"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

async function run(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the cluster lives in network namespaces');
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install wrk)');
  const dir = mkdtempSync(join(tmpdir(), 'polarity-bench-cluster-'));
  chmodSync(dir, 0o755);
  const script = join(dir, 'mix.lua');
  writeFileSync(script, WRK_LUA.mix);
  let sqlite: ChildProcess | undefined;
  try {
    cluster('down');
    cluster('up');
    const app = (i: number) => `http://${NET}.${20 + i}:3000`;
    // The SQLite host: the same app host (namespace, address, one worker), another port and store.
    mkdirSync(join(dir, 'sqlite'));
    chmodSync(join(dir, 'sqlite'), 0o777);
    sqlite = spawn('ip', ['netns', 'exec', `${NAME}-app1`, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--',
      process.execPath, join(ROOT, 'bin/polarity.js'), 'serve', '--host', '0.0.0.0', '--port', '3001', '--workers', '1', '--db', join(dir, 'sqlite/history.db'), '--log-level', 'warn'], { stdio: 'ignore' });
    const sqliteUrl = `http://${NET}.21:3001`;
    await waitReady(`${sqliteUrl}/readyz`);

    const targets = [
      { name: 'nginx → 2 app hosts, PostgreSQL', url: `http://${NET}.10/` },
      { name: '1 app host directly, PostgreSQL', url: `${app(1)}/` },
      { name: '1 app host directly, SQLite', url: `${sqliteUrl}/` },
    ];
    const runs: Record<string, WrkResult[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (const t of targets) wrk(t.url, script, 3); // warm-up
    const splitPost = [0, 0];
    const load0 = loadavg()[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const before = t === targets[0] ? await Promise.all([1, 2].map((i) => storedCount(app(i)))) : [];
        const r = wrk(t.url, script, DURATION);
        if (t === targets[0]) {
          const after = await Promise.all([1, 2].map((i) => storedCount(app(i))));
          for (const k of [0, 1]) splitPost[k]! += after[k]! - before[k]!;
        }
        runs[t.name]!.push(r);
        console.log(`round ${round + 1} ${t.name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors}`);
      }
    }
    const load1 = loadavg()[0]!;
    const rows = await (await fetch(`${app(2)}/metrics`)).text();
    const pgRows = Number(/^polarity_history_rows (\d+)$/m.exec(rows)?.[1]);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const results = targets.map((t) => {
      const rs = runs[t.name]!;
      return { target: t.name, rps: median(rs.map((r) => r.rps)), p50ms: median(rs.map((r) => r.p50ms)), p99ms: median(rs.map((r) => r.p99ms)), requests: rs.reduce((a, r) => a + r.requests, 0), errors: rs.reduce((a, r) => a + r.errors, 0), rounds: rs.map((r) => Math.round(r.rps)) };
    });
    const base = results[1]!.rps;
    const command = `npm run build && node dist/bench/cluster.js --duration ${DURATION} --connections ${CONNECTIONS} --rounds ${ROUNDS}`;
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, nginx ${/nginx\/(\S+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env['PATH']}:/usr/sbin` } }).stderr)?.[1] ?? '?'}, PostgreSQL ${/(\d+\.\d+)/.exec(spawnSync('/bin/sh', ['-c', '"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?'}`;
    const md = [
      '# Cluster benchmark',
      '',
      `Run ${new Date().toISOString()} on ${machine}.`,
      `Command (as root): \`${command}\``,
      `Load average (1 min) of the machine before and after: ${load0.toFixed(2)}, ${load1.toFixed(2)} (other work on a shared machine shows here).`,
      '',
      `The seed's mix (1 \`POST /analyze\` with \`{"text": "${SEED_TEXT}"}\` : 2 \`GET /history\`) with`,
      `\`wrk -t2 -c${CONNECTIONS} -d${DURATION}s --latency\`, ${ROUNDS} interleaved rounds after a 3 s warm-up, medians.`,
      'The topology is deploy/local-cluster\'s: nginx, two app hosts (`--workers 1` each) and PostgreSQL, each in',
      'its own network namespace on one bridge; wrk runs in the root namespace. The SQLite host is app host 1',
      'again (same namespace, address and worker count) on another port with its own SQLite file.',
      '',
      `**All of it — nginx, both app hosts, PostgreSQL and wrk — shares the same ${cpus().length} cores.** The load`,
      'balancer cannot add capacity here; what the first row shows is what the architecture costs (an extra',
      'proxy hop, a database over the network). On real VMs each app host brings cores of its own.',
      '',
      '| target | req/s | vs 1 host (PostgreSQL) | p50 ms | p99 ms | requests | errors | rounds req/s |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
      ...results.map((r) => `| ${r.target} | ${r.rps.toFixed(0)} | ${((r.rps / base) * 100).toFixed(0)}% | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.requests} | ${r.errors} | ${r.rounds.join(', ')} |`),
      '',
      `Through the load balancer, the analyses stored during the measured runs split ${splitPost[0]} / ${splitPost[1]} between the two app hosts`,
      `(round robin), and ${pgRows} rows were in PostgreSQL at the end (the table grows during the run; \`GET /history\``,
      'reads the newest 50 by primary key, whose cost does not depend on the table\'s size).',
      '',
    ].join('\n');
    mkdirSync(values.out!, { recursive: true });
    writeFileSync(join(values.out!, 'cluster.md'), md);
    writeFileSync(join(values.out!, 'cluster.json'), JSON.stringify({ date: new Date().toISOString(), machine, command, duration: DURATION, connections: CONNECTIONS, rounds: ROUNDS, results, postsPerHost: splitPost, postgresRows: pgRows, loadavg: [load0, load1] }, null, 2) + '\n');
    console.log(md);
  } finally {
    sqlite?.kill('SIGKILL');
    cluster('down');
    rmSync(dir, { recursive: true, force: true });
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
