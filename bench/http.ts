// HTTP benchmark: Polarity against a bare node:http server on the same machine, in one run.
//
//   npm run build && node dist/bench/http.js [--duration 10] [--connections 64]
//
// Needs wrk (Debian package `wrk`). Each scenario: 3 s warm-up, then `wrk -t2 -cN -dD --latency`.
// The reference is a one-process node:http server answering a fixed 17-byte JSON body; Polarity
// runs with --workers 1 (same process count as the reference) and --workers 2 (its default here).
// Results go to bench/results/http.md and http.json. Loopback only; every run is bounded in time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SqliteHistoryStore } from '../src/store/sqlite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED_TEXT = 'This is a test text for sentiment analysis.';
const HISTORY_ROWS = 100_000;

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, out: { type: 'string', default: join(ROOT, 'bench/results') } } });
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
}

const LUA = {
  post: `wrk.method = "POST"\nwrk.path = "/analyze"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '{"text": "${SEED_TEXT}"}'\n`,
  get: `wrk.method = "GET"\nwrk.path = "/history"\n`,
  // The seed's Locust weights: 1 POST /analyze for every 2 GET /history.
  mix: `local n = 0
local post, get
request = function()
  -- built on first use: wrk.format needs the thread's host, unknown while the script loads
  if post == nil then
    post = wrk.format("POST", "/analyze", {["Content-Type"] = "application/json"}, '{"text": "${SEED_TEXT}"}')
    get = wrk.format("GET", "/history", nil, nil)
  end
  n = n + 1
  if n % 3 == 0 then return post end
  return get
end
`,
};

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function wrk(url: string, script: string, seconds: number): WrkResult {
  const r = spawnSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50ms = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99ms = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50ms, p99ms, requests, errors };
}

async function waitForPort(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no answer from ${url}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

async function seed(dbPath: string): Promise<void> {
  const store = new SqliteHistoryStore(dbPath);
  const batch = Array.from({ length: 1000 }, (_, i) => ({ text: `seeded row ${i}: ${SEED_TEXT}`, sentiment: 0, subjectivity: 0 }));
  for (let i = 0; i < HISTORY_ROWS / 1000; i++) await store.insert(batch);
  await store.close();
}

async function run(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('wrk is not installed (apt-get install wrk)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-bench-'));
  const scripts = Object.fromEntries(Object.entries(LUA).map(([k, v]) => {
    const f = join(dir, `${k}.lua`);
    writeFileSync(f, v);
    return [k, f];
  })) as Record<keyof typeof LUA, string>;

  const targets: { name: string; start: () => ChildProcess; url: string }[] = [
    {
      name: 'bare node:http (reference)',
      url: 'http://127.0.0.1:18080',
      start: () => spawn(process.execPath, [join(ROOT, 'dist/bench/bare-server.js'), '18080'], { detached: true, stdio: 'ignore' }),
    },
    ...[1, 2].map((workers) => ({
      name: `polarity --workers ${workers}`,
      url: `http://127.0.0.1:${18080 + workers}`,
      start: () =>
        spawn(process.execPath, [join(ROOT, 'bin/polarity.js'), 'serve', '--port', String(18080 + workers), '--workers', String(workers), '--db', join(dir, `w${workers}.db`)], {
          detached: true,
          stdio: 'ignore',
          env: { ...process.env, LOG_LEVEL: 'warn' },
        }),
    })),
  ];

  const results: Record<string, Record<string, WrkResult>> = {};
  for (const target of targets) {
    if (target.name.startsWith('polarity')) await seed(join(dir, `w${target.name.at(-1)}.db`));
    const child = target.start();
    await waitForPort(target.url + '/livez');
    results[target.name] = {};
    for (const scenario of ['post', 'get', 'mix'] as const) {
      wrk(target.url, scripts[scenario], 3); // warm-up
      const r = wrk(target.url, scripts[scenario], DURATION);
      results[target.name]![scenario] = r;
      console.log(`${target.name.padEnd(28)} ${scenario.padEnd(5)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors}`);
    }
    await stop(child);
  }
  rmSync(dir, { recursive: true, force: true });

  const bare = results['bare node:http (reference)']!;
  const label = { post: 'POST /analyze (storing)', get: `GET /history (50 newest of ${HISTORY_ROWS.toLocaleString('en')}+ rows)`, mix: 'seed mix 1 POST : 2 GET' };
  const lines = [
    `# HTTP benchmark`,
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `Command: \`npm run build && node dist/bench/http.js --duration ${DURATION} --connections ${CONNECTIONS}\``,
    `wrk -t2 -c${CONNECTIONS} -d${DURATION}s after a 3 s warm-up, on the same machine (so every figure is a lower bound).`,
    'The reference answers a fixed 17-byte JSON body from one node:http process.',
    '',
    '| scenario | server | req/s | vs bare | p50 ms | p99 ms | errors |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of ['post', 'get', 'mix'] as const) {
    for (const [name, r] of Object.entries(results)) {
      const s = r[scenario]!;
      const ratio = s.rps / bare[scenario]!.rps;
      lines.push(`| ${label[scenario]} | ${name} | ${s.rps.toFixed(0)} | ${(ratio * 100).toFixed(0)}% | ${s.p50ms.toFixed(2)} | ${s.p99ms.toFixed(2)} | ${s.errors} |`);
    }
  }
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'http.md'), lines.join('\n') + '\n');
  writeFileSync(join(values.out!, 'http.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, duration: DURATION, connections: CONNECTIONS, results }, null, 2) + '\n');
  console.log(`\nwritten to ${join(values.out!, 'http.md')}`);
}

await run();
