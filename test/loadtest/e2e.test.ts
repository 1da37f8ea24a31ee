// End to end, on 127.0.0.1: the load tester against a real Polarity app started in this process
// (counts agree with what the server saw and stored; a store failing on a known fraction of
// inserts gives exactly that many failures), against a server injecting 500s and dropped
// connections, and the `polarity loadtest` command with its CSV, HTML and JSON outputs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testConfig } from '../helpers.js';
import { buildApp } from '../../src/http/app.js';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { FAILURES_COLUMNS, HISTORY_COLUMNS, STATS_COLUMNS } from '../../src/loadtest/csv.js';
import { runLoad, type RunSpec } from '../../src/loadtest/run.js';
import { loadScenario, parseScenario } from '../../src/loadtest/scenario.js';
import type { HistoryStore } from '../../src/store/history-store.js';
import { SqliteHistoryStore } from '../../src/store/sqlite.js';

/** A Polarity app on a fresh SQLite file, listening on 127.0.0.1; every k-th insert fails if asked. */
async function polarity(t: TestContext, failEveryInsert = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-loadtest-'));
  const sqlite = new SqliteHistoryStore(join(dir, 'history.db'));
  let inserts = 0;
  let failedInserts = 0;
  const store: HistoryStore = Object.create(sqlite, {
    insert: {
      value: (rows: Parameters<HistoryStore['insert']>[0]) => {
        if (failEveryInsert > 0 && ++inserts % failEveryInsert === 0) {
          failedInserts++;
          return Promise.reject(new Error('injected store failure'));
        }
        return sqlite.insert(rows);
      },
    },
  });
  const app: FastifyInstance = await buildApp({ config: testConfig({ dbPath: join(dir, 'history.db') }), store, logger: false });
  let requests = 0;
  app.server.on('request', () => requests++);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app.close();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (app.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, sqlite, requests: () => requests, failedInserts: () => failedInserts };
}

const spec = (host: string, over: Partial<RunSpec> = {}): RunSpec => ({
  host,
  scenario: loadScenario('seed'),
  users: 30,
  spawnRate: 30,
  durationS: 2,
  timeoutS: 10,
  stopTimeoutS: 5,
  maxRequests: 5000,
  mode: 'users',
  seed: 1,
  ...over,
});

test('the seed scenario against a real Polarity app: every request counted, every POST stored, no failure', async (t) => {
  const server = await polarity(t);
  const { report, runner } = await runLoad(spec(server.url), { progress: null, handleSignals: false });
  assert.equal(report.failures, 0, JSON.stringify(report.failureList));
  assert.equal(report.peakUsers, 30);
  assert.equal(report.requests, runner.requestsSent);
  assert.equal(report.requests, server.requests(), 'the server saw exactly the requests counted');
  assert.ok(report.requests >= 60, `each user posts on start and runs a task at once (${report.requests})`);
  const post = report.entries.find((e) => e.method === 'POST' && e.name === '/analyze')!;
  const get = report.entries.find((e) => e.method === 'GET' && e.name === '/history')!;
  assert.equal(post.requests + get.requests, report.requests);
  assert.equal(await server.sqlite.count(), post.requests, 'every 200 from POST /analyze is a stored row');
  assert.ok(get.avgContentLength > 100, 'GET /history returned the stored rows');
  assert.ok(report.avgRps > 0 && report.durationS > 1.5 && report.durationS < 4);
  // A sample at the start (t counts from the runner's creation, so a loaded machine may show 0.001 s), then one a second.
  assert.ok(report.history.length >= 2, `${report.history.length} samples`);
  assert.ok(report.history[0]!.t < 0.1, `first sample at ${report.history[0]!.t} s`);
});

test('a Polarity app failing a known fraction of inserts (503): exactly those requests are failures', async (t) => {
  const server = await polarity(t, 3);
  const { report } = await runLoad(spec(server.url), { progress: null, handleSignals: false });
  assert.ok(server.failedInserts() >= 5, `${server.failedInserts()} injected failures`);
  assert.equal(report.failures, server.failedInserts());
  assert.deepEqual(
    report.failureList.map((f) => [f.method, f.name, f.error]),
    [['POST', '/analyze', `HTTPError('503 Server Error: Service Unavailable for url: ${server.url}/analyze')`]],
  );
  assert.equal(report.entries.find((e) => e.name === '/history')!.failures, 0);
});

async function faultServer(t: TestContext, errorEvery: number, dropEvery: number) {
  const counts = { requests: 0, errors500: 0, dropped: 0 };
  const server: Server = createServer((req, res) => {
    const n = ++counts.requests;
    req.resume();
    req.on('end', () => {
      if (n % dropEvery === 0) {
        counts.dropped++;
        req.socket.destroy();
      } else if (n % errorEvery === 0) {
        counts.errors500++;
        res.writeHead(500, { 'content-length': 2 }).end('{}');
      } else res.writeHead(200, { 'content-length': 17 }).end('{"sentiment":0.5}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}

test('500s and dropped connections from a faulty server are counted exactly as injected', async (t) => {
  const server = await faultServer(t, 10, 25);
  const scenario = parseScenario({ ...JSON.parse(JSON.stringify(SHORT_WAIT)) }, 'short-wait');
  const { report } = await runLoad(spec(server.url, { scenario, users: 20, spawnRate: 20, durationS: 1.5 }), { progress: null, handleSignals: false });
  assert.equal(report.requests, server.counts.requests);
  assert.ok(server.counts.errors500 > 5 && server.counts.dropped > 5, JSON.stringify(server.counts));
  assert.equal(report.failures, server.counts.errors500 + server.counts.dropped);
  const byKind = (re: RegExp): number => report.failureList.filter((f) => re.test(f.error)).reduce((a, f) => a + f.occurrences, 0);
  assert.equal(byKind(/^HTTPError\('500 Server Error: Internal Server Error for url: /), server.counts.errors500);
  assert.equal(byKind(/^RemoteDisconnected\('Remote end closed connection without response'\)$/), server.counts.dropped);
});

const SHORT_WAIT = {
  name: 'short-wait',
  wait: { min: 0.01, max: 0.05 },
  onStart: [{ method: 'POST', path: '/analyze', json: { text: 'This is a test text for sentiment analysis.' } }],
  tasks: [
    { method: 'POST', path: '/analyze', json: { text: 'This is a test text for sentiment analysis.' }, weight: 1 },
    { method: 'GET', path: '/history', weight: 2 },
  ],
};

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

test('polarity loadtest writes Locust CSV files, a self-contained HTML report and JSON; exit 1 on failures', async (t) => {
  const server = await faultServer(t, 7, 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'polarity-loadtest-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scenarioFile = join(dir, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(SHORT_WAIT));
  const out = sink();
  const err = sink();
  const code = await runLoadtest(
    [
      '--host',
      server.url,
      '-u',
      '10',
      '-r',
      '10',
      '-t',
      '1s',
      '--scenario',
      scenarioFile,
      '--max-requests',
      '5000',
      '--seed',
      '9',
      '--csv',
      join(dir, 'run'),
      '--csv-full-history',
      '--html',
      join(dir, 'report.html'),
      '--json',
    ],
    { stdout: out.stream, stderr: err.stream },
  );
  assert.equal(code, 1, 'failures → exit code 1, as Locust');
  const report = JSON.parse(out.text());
  assert.equal(report.requests, server.counts.requests);
  assert.equal(report.failures, server.counts.errors500);
  assert.equal(report.parameters.seed, 9);
  const csv = (name: string): string[] => readFileSync(join(dir, `run_${name}.csv`), 'utf8').split('\r\n');
  assert.equal(csv('stats')[0], STATS_COLUMNS.join(','));
  assert.match(csv('stats')[3]!, new RegExp(`^,Aggregated,${report.requests},${report.failures},`));
  assert.equal(csv('stats_history')[0], HISTORY_COLUMNS.join(','));
  assert.ok(
    csv('stats_history').some((l) => l.includes(',POST,/analyze,')),
    'full history has a row per endpoint',
  );
  assert.equal(csv('failures')[0], FAILURES_COLUMNS.join(','));
  assert.equal(csv('exceptions')[0], 'Count,Message,Traceback,Nodes');
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok((html.match(/<svg /g) ?? []).length >= 4, 'charts of users, RPS, failures, percentiles');
  assert.doesNotMatch(html, /<script|<link|\ssrc=|url\(/i, 'nothing to fetch: opens without a network');
  assert.match(html, /\/analyze/);
  // Usage errors are exit code 2 with a message.
  const bad = sink();
  assert.equal(await runLoadtest(['--users', '5'], { stdout: sink().stream, stderr: bad.stream }), 2);
  assert.match(bad.text(), /--host is required/);
});
