// wrk (Debian package `wrk`) for bench/http.ts: the seed's request scripts and the parsing of
// wrk's report. It stays beside the product's load tester for one reason: bench/http compares
// Polarity with a bare node:http server at tens of thousands of requests a second on two cores,
// where the client's own CPU decides the figures — wrk (C, two threads) leaves the servers more of
// the machine than a Node.js client can, and its recorded results are the baseline every change
// to the HTTP layer is held to. Everything else (bench/cluster, bench/plan-validate, calibration)
// uses src/loadtest through src/lab/measure.ts.
import { spawnSync } from 'node:child_process';

export const SEED_TEXT = 'This is a test text for sentiment analysis.';

/** Lua scripts: POST /analyze, GET /history, and the seed's Locust weights (1 POST : 2 GET). */
export const WRK_LUA = {
  post: `wrk.method = "POST"\nwrk.path = "/analyze"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '{"text": "${SEED_TEXT}"}'\n`,
  get: `wrk.method = "GET"\nwrk.path = "/history"\n`,
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
} as const;

export interface WrkReport {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Runs `wrk -t2 -cN -dS --latency -s script url` and parses its report. */
export function runWrk(url: string, script: string, seconds: number, connections: number, prefix: string[] = []): WrkReport {
  const argv = [...prefix, 'wrk', '-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50ms: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99ms: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    errors: non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}
