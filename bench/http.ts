// HTTP benchmark: Polarity against a bare node:http server on the same machine, in one run.
//
//   npm run build && node dist/bench/http.js [--duration 10] [--connections 64] [--rounds 3]
//
// Needs wrk (Debian package `wrk`). Each scenario: a 2 s warm-up per server, then ROUNDS
// interleaved runs of `wrk -t2 -cN -dD --latency` per server; medians are reported.
// The reference is a one-process node:http server answering a fixed 17-byte JSON body; Polarity
// runs with --workers 1 (same process count as the reference) and --workers 2 (its default here).
// Results go to bench/results/http.md and http.json. Loopback only; every run is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWrk, SEED_TEXT, WRK_LUA } from './wrk.js';
import { type CleanupStack, withCleanup } from '../src/lab/cleanup.js';
import { waitForOk } from '../src/lab/local-cluster.js';
import { treeCpuSeconds } from '../src/lab/proc.js';
import { serve } from '../src/lab/serve.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HISTORY_ROWS = 100_000;

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

interface WrkResult {
  /** This run's req/s over the reference's in the same round (1 for the reference). */
  ratio?: number;
  rps: number;
  /** CPU time (user + system, all threads and worker processes) the server spent per request. */
  cpuUs: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
}

const LUA = WRK_LUA;

function wrk(url: string, script: string, seconds: number, pid: number): WrkResult {
  const cpu0 = treeCpuSeconds(pid);
  const r = runWrk(url, script, seconds, CONNECTIONS);
  return { ...r, cpuUs: ((treeCpuSeconds(pid) - cpu0) * 1e6) / r.requests };
}

/** The reference server (not Polarity: it has no listening line), answering once its port is open. */
async function startBare(stack: CleanupStack, bodies: string): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/bench/bare-server.js'), '18080', bodies], { stdio: 'ignore' });
  stack.defer('the reference server', () => void child.kill('SIGTERM'));
  const url = 'http://127.0.0.1:18080';
  await waitForOk(`${url}/livez`, 10, () => child.exitCode === null);
  return { url, pid: child.pid! };
}

async function seed(dbPath: string): Promise<void> {
  const store = new SqliteHistoryStore(dbPath);
  const batch = Array.from({ length: 1000 }, (_, i) => ({ text: `seeded row ${i}: ${SEED_TEXT}`, sentiment: 0, subjectivity: 0, engine: 'textblob' as const }));
  for (let i = 0; i < HISTORY_ROWS / 1000; i++) await store.insert(batch);
  await store.close();
}

async function run(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('wrk is not installed (apt-get install wrk)');
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-bench-'));
  const scripts = Object.fromEntries(
    Object.entries(LUA).map(([k, v]) => {
      const f = join(dir, `${k}.lua`);
      writeFileSync(f, v);
      return [k, f];
    }),
  ) as Record<keyof typeof LUA, string>;

  // Polarity with one worker (the same process count as the reference), as configured by default
  // here (--workers = 2 CPUs), and with one worker and SQLite's synchronous=FULL (an fsync per
  // group commit: what durability against power loss costs).
  const polarity = (
    [
      ['--workers', '1'],
      ['--workers', '2'],
      ['--workers', '1', '--sqlite-sync', 'full'],
    ] as const
  ).map((flags, i) => ({ name: `polarity ${flags.join(' ')}`, flags, db: join(dir, `p${i}.db`) }));
  const { runs, bodies } = await withCleanup(
    async (stack) => {
      // All servers run at once (idle when not measured); each scenario is measured in ROUNDS
      // interleaved rounds (bare, w1, w2, bare, …) and the median taken, so a burst of load from
      // elsewhere on this shared machine hits every target alike.
      for (const p of polarity) await seed(p.db);
      const servers = [];
      for (const p of polarity) servers.push({ name: p.name, ...(await serve(stack, { name: p.name, args: [...p.flags, '--db', p.db], detached: true, home: dir })) });
      // The reference answers with bodies as large as Polarity's own answers.
      const sample = servers[0]!.url;
      const post = (await (
        await fetch(`${sample}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: SEED_TEXT, store: false }) })
      ).json()) as Record<string, unknown>;
      const bodies = {
        'POST /analyze': JSON.stringify({ ...post, id: 100001, createdAt: new Date().toISOString() }),
        'GET /history': await (await fetch(`${sample}/history`)).text(),
      };
      writeFileSync(join(dir, 'bodies.json'), JSON.stringify(bodies));
      const targets = [{ name: 'bare node:http (reference)', ...(await startBare(stack, join(dir, 'bodies.json'))) }, ...servers];
      const runs: Record<string, Record<string, WrkResult[]>> = Object.fromEntries(targets.map((t) => [t.name, { post: [], get: [], mix: [] }]));
      for (const scenario of ['post', 'get', 'mix'] as const) {
        for (const target of targets) wrk(target.url, scripts[scenario], 2, target.pid); // warm-up
        for (let round = 0; round < ROUNDS; round++) {
          let reference = NaN;
          for (const target of targets) {
            const r = wrk(target.url, scripts[scenario], DURATION, target.pid);
            if (target === targets[0]) reference = r.rps;
            r.ratio = r.rps / reference;
            runs[target.name]![scenario]!.push(r);
            console.log(
              `round ${round + 1} ${target.name.padEnd(28)} ${scenario.padEnd(5)} ${r.rps.toFixed(0).padStart(7)} req/s  ${r.cpuUs.toFixed(1)} CPU µs/req  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors}`,
            );
          }
        }
      }
      return { runs, bodies };
    },
    { log: (l) => console.log(l), signals: true },
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const results: Record<string, Record<string, WrkResult>> = {};
  for (const [name, byScenario] of Object.entries(runs)) {
    results[name] = {};
    for (const [scenario, rs] of Object.entries(byScenario)) {
      results[name]![scenario] = {
        rps: median(rs.map((r) => r.rps)),
        ratio: median(rs.map((r) => r.ratio!)),
        cpuUs: median(rs.map((r) => r.cpuUs)),
        p50ms: median(rs.map((r) => r.p50ms)),
        p99ms: median(rs.map((r) => r.p99ms)),
        requests: rs.reduce((a, r) => a + r.requests, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
      };
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const label = { post: 'POST /analyze (storing)', get: `GET /history (50 newest of ${HISTORY_ROWS.toLocaleString('en')}+ rows)`, mix: 'seed mix 1 POST : 2 GET' };
  const lines = [
    `# HTTP benchmark`,
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `Command: \`npm run build && node dist/bench/http.js --duration ${DURATION} --connections ${CONNECTIONS} --rounds ${ROUNDS}\``,
    `wrk -t2 -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} interleaved rounds per server after a 2 s warm-up, medians (errors summed); wrk runs on the same 2 cores, so every figure is a lower bound.`,
    "\"vs bare\" is the median over rounds of the server's req/s divided by the reference's in the same round (run just before it): the machine's speed drifts by tens of percent over minutes, a round by much less.",
    "The reference is one node:http process answering each route with a fixed JSON body as large as Polarity's answer",
    `(POST: ${Buffer.byteLength(bodies['POST /analyze'])} bytes, GET /history: ${Buffer.byteLength(bodies['GET /history'])} bytes).`,
    '"CPU µs/req" is the user + system CPU time of the server (all its threads and worker processes) per request: less noisy than req/s on a shared machine.',
    '',
    '| scenario | server | req/s | vs bare | CPU µs/req | p50 ms | p99 ms | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of ['post', 'get', 'mix'] as const) {
    for (const [name, r] of Object.entries(results)) {
      const s = r[scenario]!;
      lines.push(`| ${label[scenario]} | ${name} | ${s.rps.toFixed(0)} | ${(s.ratio! * 100).toFixed(0)}% | ${s.cpuUs.toFixed(1)} | ${s.p50ms.toFixed(2)} | ${s.p99ms.toFixed(2)} | ${s.errors} |`);
    }
  }
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'http.md'), lines.join('\n') + '\n');
  writeFileSync(
    join(values.out!, 'http.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, duration: DURATION, connections: CONNECTIONS, results }, null, 2) + '\n',
  );
  console.log(`\nwritten to ${join(values.out!, 'http.md')}`);
}

await run();
