// The app's own per-request CPU (hooks, routing, validation, handler, serialization — no socket),
// this build against another build of Polarity, in one process with interleaved rounds, so the
// machine's load hits both alike. Used to check that a refactor of src/http kept its cost.
//
//   git worktree add /tmp/before <rev> && (cd /tmp/before && npm ci && npx tsc -p tsconfig.json)
//   npm run build && node dist/bench/app-compare.js --before /tmp/before [--requests 4000] [--rounds 7]
//
// app.inject() requests: POST /analyze (stored), GET /history, and a 405. Medians of CPU µs per request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { before: { type: 'string' }, requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '7' } } });
if (values.before === undefined) {
  console.error('usage: node dist/bench/app-compare.js --before DIR (a built checkout of another revision)');
  process.exit(2);
}
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);

interface Injectable {
  inject(req: object): Promise<unknown>;
  close(): Promise<unknown>;
}

async function load(root: string): Promise<{ app: Injectable; dir: string }> {
  const { buildApp } = await import(join(root, 'dist/src/http/app.js'));
  const { SqliteHistoryStore } = await import(join(root, 'dist/src/store/sqlite.js'));
  const { loadConfig } = await import(join(root, 'dist/src/config.js'));
  const dir = mkdtempSync(join(tmpdir(), 'polarity-app-compare-'));
  const dbPath = join(dir, 'h.db');
  const config = { ...loadConfig({}, []), dbPath, workers: 1, logLevel: 'silent' };
  const app = await buildApp({ config, store: new SqliteHistoryStore(dbPath), logger: false });
  await app.ready();
  return { app, dir };
}

const REQUESTS = {
  'POST /analyze': { method: 'POST', url: '/analyze', headers: { 'content-type': 'application/json' }, payload: '{"text":"This is a test text for sentiment analysis."}' },
  'GET /history': { method: 'GET', url: '/history' },
  'PUT /history (405)': { method: 'PUT', url: '/history' },
} as const;

const builds = { before: await load(resolve(values.before)), after: await load(ROOT) };
const samples: Record<string, Record<'before' | 'after', number[]>> = {};
for (let round = 0; round <= ROUNDS; round++) {
  for (const [kind, req] of Object.entries(REQUESTS)) {
    for (const name of round % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
      const { app } = builds[name];
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, () => app.inject(req)));
      const c = process.cpuUsage(c0);
      if (round === 0) continue; // warm-up
      (samples[kind] ??= { before: [], after: [] })[name].push((c.user + c.system) / N);
    }
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(`| request | before µs | after µs | after / before |\n|---|---:|---:|---:|`);
for (const [kind, s] of Object.entries(samples)) {
  console.log(`| ${kind} | ${median(s.before).toFixed(1)} | ${median(s.after).toFixed(1)} | ${(median(s.after) / median(s.before)).toFixed(3)} |`);
}
for (const { app, dir } of Object.values(builds)) {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
