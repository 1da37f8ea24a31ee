// Overload: 20,000 concurrent connections, each posting at once, against one Polarity server
// (2 workers, --max-inflight 256). What must hold: excess work is shed with a fast 503 +
// Retry-After (not unbounded latency), memory stays bounded, the server recovers by itself, and
// every acknowledged write is in the history afterwards.
//
//   npm run build && node dist/bench/overload.js [--connections 20000] [--requests 2] [--max-inflight 256]
//
// Loopback only (four client processes on 127.0.0.2–5, so no process needs more than 5,000
// sockets and no source address runs out of ports); bounded: each connection sends --requests
// requests, each client stops after 60 s. Each client is the product's load tester (runLoad, in
// bench/overload-client.ts) with per-request records. Results: bench/results/overload.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CleanupStack } from '../src/lab/cleanup.js';
import { treeRssBytes } from '../src/lab/proc.js';
import { serve } from '../src/lab/serve.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '20000' },
    requests: { type: 'string', default: '2' },
    'max-inflight': { type: 'string', default: '256' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const CONNECTIONS = Number(values.connections);
const REQUESTS = Number(values.requests);
const MAX_INFLIGHT = Number(values['max-inflight']);
const CLIENTS = 4;
const PORT = 18300;

interface Outcome {
  status: number;
  error?: string;
  ms: number;
  id?: number;
  text: string;
}

const rssOfTree = treeRssBytes;

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const dir = mkdtempSync(join(tmpdir(), 'polarity-overload-'));
const db = join(dir, 'h.db');
// Descriptors: each process here may hold 20,000 (ulimit -Hn); the connections are spread over two
// workers and four clients, so none comes near it.
const stack = new CleanupStack((l) => console.error(l));
process.once('exit', () => void stack.unwind()); // a failure below: the server does not outlive the benchmark
const server = await serve(stack, { args: ['--workers', '2', '--db', db, '--max-inflight', String(MAX_INFLIGHT)], port: PORT, logLevel: 'error', detached: true, home: dir });
const url = server.url;
const serverPid = server.pid;
await fetch(`${url}/history`); // warm
const rssBefore = rssOfTree(serverPid);

let rssMax = rssBefore;
const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssOfTree(serverPid))), 100);
const started = performance.now();
const perClient = Math.ceil(CONNECTIONS / CLIENTS);
const results = await Promise.all(
  Array.from(
    { length: CLIENTS },
    (_, i) =>
      new Promise<{ outcomes: Outcome[]; maxOpen: number; timedOut: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'dist/bench/overload-client.js'), '127.0.0.1', String(PORT), String(perClient), String(REQUESTS), `127.0.0.${i + 2}`], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', () => {
          try {
            resolve(JSON.parse(out));
          } catch (err) {
            reject(err);
          }
        });
      }),
  ),
);
const elapsed = (performance.now() - started) / 1000;
clearInterval(sampler);

// Recovery: how long until /readyz and a POST answer 200 again.
const t0 = performance.now();
let recoveredMs = NaN;
for (let i = 0; i < 100; i++) {
  const ready = await fetch(`${url}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  const post = await fetch(`${url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"after the storm"}' }).then(
    (r) => r.status,
    () => 0,
  );
  if (ready === 200 && post === 200) {
    recoveredMs = performance.now() - t0;
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
const rssAfter = rssOfTree(serverPid);
await server.stop();

// Every acknowledged write must be in the history, with its text.
const store = new SqliteHistoryStore(db);
const stored = new Map<number, string>();
for (let after = 0; ; ) {
  const rows = await store.rowsAfter(after, 10_000);
  if (rows.length === 0) break;
  for (const r of rows) stored.set(r.id, r.text);
  after = rows.at(-1)!.id;
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const all = results.flatMap((r) => r.outcomes);
const ok = all.filter((o) => o.status === 200);
const shed = all.filter((o) => o.status === 503);
const other = all.filter((o) => o.status !== 200 && o.status !== 503);
const lost = ok.filter((o) => stored.get(o.id!) !== o.text).length;
const okMs = ok.map((o) => o.ms).sort((a, b) => a - b);
const shedMs = shed.map((o) => o.ms).sort((a, b) => a - b);
// A connection's first request is timed from before its connect (the load tester's rule, and
// Locust's); its later ones (texts "… rK", K > 0) are the server's answer time alone.
const later = (os: Outcome[]) =>
  os
    .filter((o) => !o.text.endsWith(' r0'))
    .map((o) => o.ms)
    .sort((a, b) => a - b);
const [okLaterMs, shedLaterMs] = [later(ok), later(shed)];
/** "n × error, …", most frequent first. */
function tally(os: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of os) {
    const kind = o.error ?? `status ${o.status}`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([e, n]) => `${n} × \`${e}\``)
    .join(', ');
}
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

const lines = [
  '# Overload benchmark',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; clients and server share the machine.`,
  `Command: \`npm run build && node dist/bench/overload.js --connections ${CONNECTIONS} --requests ${REQUESTS} --max-inflight ${MAX_INFLIGHT}\``,
  '',
  `${CONNECTIONS} connections opened at once by ${CLIENTS} client processes, each sending ${REQUESTS} POST /analyze in turn, against \`polarity serve --workers 2 --max-inflight ${MAX_INFLIGHT}\` (SQLite).`,
  '',
  '| figure | value |',
  '|---|---:|',
  `| requests sent | ${all.length} |`,
  `| most connections in use at once (sum over clients; from a connection's first send, connect included, to its last answer) | ${results.reduce((a, r) => a + r.maxOpen, 0)} |`,
  `| answered 200 (stored) | ${ok.length} |`,
  `| shed with 503 + Retry-After | ${shed.length} |`,
  `| other outcomes (connection errors, timeouts, other statuses) | ${other.length}${other.length ? ': ' + tally(other) : ''} |`,
  `| 200 latency p50 / p99 / max (a connection's first request includes its connect) | ${percentile(okMs, 0.5).toFixed(0)} / ${percentile(okMs, 0.99).toFixed(0)} / ${(okMs.at(-1) ?? NaN).toFixed(0)} ms |`,
  `| 503 latency p50 / p99 / max (the same) | ${percentile(shedMs, 0.5).toFixed(0)} / ${percentile(shedMs, 0.99).toFixed(0)} / ${(shedMs.at(-1) ?? NaN).toFixed(0)} ms |`,
  `| 200 / 503 latency p50 / p99, later requests only (no connect: ${okLaterMs.length} / ${shedLaterMs.length}) | ${percentile(okLaterMs, 0.5).toFixed(0)} / ${percentile(okLaterMs, 0.99).toFixed(0)} ms, ${percentile(shedLaterMs, 0.5).toFixed(0)} / ${percentile(shedLaterMs, 0.99).toFixed(0)} ms |`,
  `| whole storm | ${elapsed.toFixed(1)} s |`,
  `| server RSS before / peak / after (all processes) | ${mb(rssBefore)} / ${mb(rssMax)} / ${mb(rssAfter)} MiB |`,
  `| recovered (readyz and a POST both 200) after | ${recoveredMs.toFixed(0)} ms |`,
  `| acknowledged writes missing from the history | ${lost} of ${ok.length} |`,
  '',
];
console.log(lines.join('\n'));
mkdirSync(values.out!, { recursive: true });
writeFileSync(join(values.out!, 'overload.md'), lines.join('\n'));
if (lost > 0 || Number.isNaN(recoveredMs)) process.exitCode = 1;
