// Merging runs: the --processes children of one run and `polarity loadtest merge` of --json results.
// Exact: a run's request log split in two and merged gives the report of the whole log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { mergeReports, MergeError } from '../../src/loadtest/merge.js';
import { headline } from '../../src/loadtest/text-report.js';
import { runProcesses, splitSpec } from '../../src/loadtest/processes.js';
import { createRandom } from '../../src/loadtest/prng.js';
import type { RunSpec } from '../../src/loadtest/run.js';
import { loadScenario, parseScenario } from '../../src/loadtest/scenario.js';
import { reportFromLogs, sink, stubServer, type LoggedRequest } from './helpers.js';

/** 5,000 requests over 60 s, response times spread over all of Locust's bucket widths, 2% failed. */
function logs(seed: number): LoggedRequest[] {
  const r = createRandom(seed);
  return Array.from({ length: 5000 }, (_, i) => {
    const u = r.next();
    const ms = u < 0.7 ? r.next() * 100 : u < 0.95 ? 100 + r.next() * 900 : u < 0.99 ? 1000 + r.next() * 9000 : 10_000 + r.next() * 20_000;
    const post = r.next() < 0.33;
    return { method: post ? 'POST' : 'GET', name: post ? '/analyze' : '/history', ms, at: (i / 5000) * 60, bytes: post ? 17 : 900, ...(r.next() < 0.02 ? { error: 'E' } : {}) };
  });
}

test('merging is exact: a log split in two and merged equals the report of the whole log', () => {
  const all = logs(7);
  const whole = reportFromLogs(all);
  const r = createRandom(8);
  const a: LoggedRequest[] = [];
  const b: LoggedRequest[] = [];
  for (const l of all) (r.next() < 0.4 ? a : b).push(l);
  const merged = mergeReports([reportFromLogs(a), reportFromLogs(b)]);
  const strip = (e: (typeof whole)['aggregated']) => ({ ...e, mean: Math.round(e.mean * 1e9), totalResponseTime: Math.round(e.totalResponseTime * 1e6) });
  assert.deepEqual(merged.entries.map(strip), whole.entries.map(strip));
  assert.deepEqual(strip(merged.aggregated), strip(whole.aggregated));
  assert.equal(merged.requests, 5000);
  assert.equal(merged.failures, whole.failures);
  assert.equal(merged.avgRps, whole.avgRps);
  assert.deepEqual(merged.failureList.map((f) => f.occurrences).sort(), whole.failureList.map((f) => f.occurrences).sort());
  assert.equal(merged.mergedFrom, 2);
  assert.throws(() => mergeReports([whole, { ...whole, aggregated: { ...whole.aggregated, histogram: undefined } } as never]), MergeError);
});

test('runs that started at different times: RPS over the span from the earliest start to the last request', () => {
  const a = reportFromLogs([{ method: 'GET', name: '/', ms: 5, at: 10 }], 1000);
  const b = reportFromLogs([{ method: 'GET', name: '/', ms: 7, at: 5 }], 1010); // its request at 1015
  const m = mergeReports([a, b]);
  assert.equal(m.startTime, 1000);
  assert.equal(m.lastRequestTime, 1015);
  assert.equal(m.avgRps, 2 / 15);
  assert.equal(m.aggregated.min, 5);
  assert.equal(m.aggregated.max, 7);
});

test('splitting a run between processes: the shares add up to the whole', () => {
  const spec: RunSpec = {
    host: 'http://x',
    scenario: loadScenario('seed'),
    users: 101,
    spawnRate: 10,
    durationS: 1,
    timeoutS: 1,
    stopTimeoutS: 1,
    maxRequests: 1001,
    mode: 'users',
    seed: 4294967295,
    data: { file: 'f', texts: ['a', 'b', 'c', 'd'], order: 'round-robin' },
  };
  const parts = [0, 1, 2].map((i) => splitSpec(spec, i, 3));
  assert.deepEqual(
    parts.map((p) => p.users),
    [34, 34, 33],
  );
  assert.equal(
    parts.reduce((a, p) => a + p.spawnRate, 0),
    10,
  );
  assert.equal(
    parts.reduce((a, p) => a + p.maxRequests!, 0),
    1001,
  );
  assert.deepEqual(
    parts.map((p) => p.seed),
    [4294967295, 0, 1],
  );
  assert.deepEqual(
    parts.map((p) => p.data!.offset),
    [0, 1, 2],
  );
  const open = splitSpec({ ...spec, mode: 'rate', rate: { perS: 900, rampS: 5, connections: 10 } }, 1, 2);
  assert.deepEqual(open.rate, { perS: 450, rampS: 5, connections: 5, slice: { index: 1, of: 2 } });
});

test("--processes 2 against a local server: the merged counts are the sum of the processes' and what the server saw", async (t) => {
  const server = await stubServer(t);
  const scenario = parseScenario(
    {
      wait: { min: 0.005, max: 0.02 },
      tasks: [
        { method: 'POST', path: '/analyze', json: { text: 'x' } },
        { method: 'GET', path: '/history', weight: 2 },
      ],
    },
    'fast',
  );
  const { report, parts } = await runProcesses({ host: server.url, scenario, users: 6, spawnRate: 100, durationS: 1.5, timeoutS: 5, stopTimeoutS: 2, maxRequests: 4000, mode: 'users', seed: 11 }, 2, {
    progress: null,
    handleSignals: false,
  });
  assert.equal(parts.length, 2);
  assert.ok(
    parts.every((p) => p.requests > 50),
    parts.map((p) => p.requests).join(', '),
  );
  assert.deepEqual(
    parts.map((p) => p.parameters.users),
    [3, 3],
  );
  assert.deepEqual(
    parts.map((p) => p.parameters.seed),
    [11, 12],
  );
  assert.equal(report.requests, parts[0]!.requests + parts[1]!.requests);
  assert.equal(report.requests, server.requests(), 'the server saw exactly the requests counted');
  for (const e of report.entries) {
    const same = parts.map((p) => p.entries.find((x) => x.method === e.method && x.name === e.name)!);
    assert.equal(e.requests, same[0]!.requests + same[1]!.requests);
    for (const [ms, n] of Object.entries(e.histogram)) assert.equal(n, (same[0]!.histogram[ms] ?? 0) + (same[1]!.histogram[ms] ?? 0));
  }
  assert.equal(report.parameters.processes, 2);
  assert.equal(report.parameters.users, 6);
  assert.equal(report.loadGenerator.requestsSent, parts[0]!.loadGenerator.requestsSent + parts[1]!.loadGenerator.requestsSent);
  assert.ok(report.history.length >= 1);
});

test('--start-at: an ISO 8601 time, or a time of day today in local time', async () => {
  const { parseStartAt } = await import('../../src/loadtest/cli.js');
  assert.equal(parseStartAt('2026-12-03T14:00:00Z'), Date.UTC(2026, 11, 3, 14, 0, 0));
  const now = new Date(2026, 11, 3, 9, 30, 0);
  assert.equal(parseStartAt('14:05', now), new Date(2026, 11, 3, 14, 5, 0).getTime());
  assert.equal(parseStartAt('14:05:30', now), new Date(2026, 11, 3, 14, 5, 30).getTime());
  for (const bad of ['soon', '25:00', '14:61', '2026-12-03', '+30s']) assert.throws(() => parseStartAt(bad, now), bad);
});

test('polarity loadtest merge a.json b.json --html: one report, thresholds applied to the merged figures', async (t) => {
  const server = await stubServer(t);
  const dir = mkdtempSync(join(tmpdir(), 'polarity-merge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files: string[] = [];
  const startAt = new Date(Date.now() + 300).toISOString();
  for (const i of [1, 2]) {
    const out = sink();
    assert.equal(
      await runLoadtest(['--host', server.url, '--max', '--connections', '2', '-t', '500ms', '-q', '--json', '--seed', String(i), '--start-at', startAt], {
        stdout: out.stream,
        stderr: sink().stream,
      }),
      0,
    );
    files.push(join(dir, `run${i}.json`));
    writeFileSync(files.at(-1)!, out.text());
  }
  const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const out = sink();
  const code = await runLoadtest(['merge', ...files, '--json', '--html', join(dir, 'm.html'), '--threshold', `requests>=${runs[0].requests + runs[1].requests}`, '--threshold', 'p50<1ms'], {
    stdout: out.stream,
    stderr: sink().stream,
  });
  const m = JSON.parse(out.text());
  assert.equal(m.requests, runs[0].requests + runs[1].requests);
  assert.equal(m.mergedFrom, 2);
  assert.deepEqual(
    m.thresholds.map((x: { passed: boolean }) => x.passed),
    [true, m.aggregated.percentiles['50%'] < 1],
  );
  assert.equal(code, m.thresholds[1].passed ? 0 : 3);
  assert.match(readFileSync(join(dir, 'm.html'), 'utf8'), /merged from 2 runs/);
  const err = sink();
  writeFileSync(join(dir, 'bad.json'), '{"tool": "locust"}');
  assert.equal(await runLoadtest(['merge', files[0]!, join(dir, 'bad.json')], { stdout: sink().stream, stderr: err.stream }), 2);
  assert.match(err.text(), /result 2 is not a polarity loadtest --json result/);
});

test('a merged run states its CPU per process: the 90% warning is per process, and a split one process could carry is pointed out', () => {
  const part = (cpuPercent: number) => {
    const r = reportFromLogs(logs(3).slice(0, 100));
    r.loadGenerator = { ...r.loadGenerator, cpuPercent };
    return r;
  };
  const asProcesses = (each: number, n: number) => {
    const m = mergeReports(Array.from({ length: n }, () => part(each)));
    m.parameters = { ...m.parameters, processes: n };
    return headline(m);
  };
  // Two processes at 60% each: 120% in all, but neither is near a core, and one would not have been.
  const busy = asProcesses(60, 2);
  assert.match(busy, /load tester CPU 120% of one core \(2 processes, 60% each on average\)/);
  assert.doesNotMatch(busy, /warning|note:/);
  // Two at 95% each: each is near a core.
  assert.match(asProcesses(95, 2), /\nwarning: the load tester used over 90% of a core per process/);
  // Two at 20% each: 40% in all, one process would have done it.
  assert.match(asProcesses(20, 2), /\nnote: one process would have carried this load \(40% of a core in all\)/);
  // One process: no merge wording; the warning as before.
  assert.match(headline(part(95)), /load tester CPU 95% of one core\nwarning: .* over 90% of a core per process/);
  assert.doesNotMatch(headline(part(40)), /warning|note:|each on average/);
});
