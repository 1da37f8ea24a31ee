// The suite's search, with a modelled server instead of the network: where it stops, what it
// answers and why, and what its report says.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { RunReport } from '../../src/loadtest/report.js';
import { loadScenario } from '../../src/loadtest/scenario.js';
import { QUICK_SUITE, runSuite, type SuiteOptions, type SuiteRunRequest } from '../../src/loadtest/suite.js';
import { renderSuiteHtml, renderSuiteMarkdown } from '../../src/loadtest/suite-report.js';
import { runSuiteCommand } from '../../src/loadtest/suite-cli.js';

/** A server that serves users/3 RPS up to `capacity`, and fails once more than `failAbove` users are on. */
function model(capacity: number, failAbove: number, cpuPerUser = 0.001) {
  const calls: SuiteRunRequest[] = [];
  const run = async (req: SuiteRunRequest): Promise<RunReport> => {
    calls.push(req);
    const peak = Math.min(req.users, Math.floor(req.spawnRate * req.durationS));
    const history = Array.from({ length: req.durationS + 1 }, (_, t) => {
      const users = Math.min(req.users, Math.max(1, Math.floor(req.spawnRate)) * (t + 1));
      return { t, users, rps: 0, failPerSec: 0, p50: 0, p95: 0, p99: 0, requests: t * 10, failures: users > failAbove ? 1 + t : 0 };
    });
    const failures = peak > failAbove ? 10 : 0;
    const avgRps = Math.min(peak / 3, capacity);
    return {
      avgRps,
      failures,
      requests: 1000,
      peakUsers: peak,
      history,
      aggregated: {
        method: '',
        name: 'Aggregated',
        requests: 1000,
        failures,
        median: 5,
        mean: 6,
        min: 1,
        max: 50,
        avgContentLength: 17,
        rps: avgRps,
        failPerSec: 0,
        percentiles: { '95%': 20, '99%': 30 },
      },
      entries: [],
      failureList: [],
      loadGenerator: {
        cpuPercent: req.users * cpuPerUser * 100,
        cpuUserS: 0,
        cpuSystemS: 0,
        eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
        eventLoopDelayAfterRampMs: null,
        requestsSent: 1000,
        abandoned: 0,
      },
      parameters: {
        host: 'http://127.0.0.1:3000',
        users: req.users,
        spawnRate: req.spawnRate,
        durationS: req.durationS,
        timeoutS: 60,
        stopTimeoutS: 10,
        maxRequests: null,
        mode: 'users',
        seed: 5,
        scenario: loadScenario('seed'),
      },
    } as unknown as RunReport;
  };
  return { run, calls };
}

const opts: SuiteOptions = { durationS: 60, spawnRates: [50, 100, 200, 500], startUsers: 500, maxUsers: 20_000, rampS: 10, refineRuns: 2, cpuLimitPercent: 90 };

test('max RPS: users double until the RPS stops growing; the best clean run is the answer', async () => {
  const m = model(1200, Infinity, 0.00001);
  const res = await runSuite(opts, m.run);
  const rpsRuns = m.calls.filter((c) => c.purpose === 'max-rps').map((c) => c.users);
  assert.deepEqual(rpsRuns, [500, 1000, 2000, 4000, 8000]); // 8000 users add nothing over 4000 (capped at 1200 RPS)
  assert.equal(res.maxRps.limitedBy, 'server-saturated');
  assert.equal(res.maxRps.run!.report.avgRps, 1200);
  assert.equal(m.calls[0]!.spawnRate, 50, 'RPS runs ramp in rampS seconds');
});

test('max RPS: a failing run is bisected against the last clean one', async () => {
  const m = model(1e9, 3000, 0.00001);
  const res = await runSuite(opts, m.run);
  const rps = m.calls.filter((c) => c.purpose.startsWith('max-rps')).map((c) => c.users);
  assert.deepEqual(rps, [500, 1000, 2000, 4000, 3000, 3500]);
  assert.equal(res.maxRps.limitedBy, 'failures');
  assert.equal(res.maxRps.run!.users, 3000);
});

test('peak concurrency: a clean probe answers with the users its ramp reached; a failing one is verified lower', async () => {
  const m = model(1e9, 5000, 0.00001);
  const res = await runSuite(opts, m.run);
  const byRate = Object.fromEntries(res.peaks.map((p) => [p.spawnRate, [p.peakUsers, p.limitedBy]]));
  assert.deepEqual(byRate[50], [3000, 'ramp']); // 50/s × 60 s: no failure, the ramp is the limit
  // 100/s reaches 6000 > 5000: the last clean second had 5000 users → a run at 5000 is clean.
  assert.deepEqual(byRate[100], [5000, 'failures']);
  assert.deepEqual(byRate[500], [5000, 'failures']);
  const verify = m.calls.filter((c) => c.purpose === 'peak-verify');
  assert.ok(verify.every((c) => c.users === 5000));
});

test('a load tester near a full core stops the search and says so', async () => {
  const m = model(1e9, Infinity, 0.0004); // 90% CPU at 2,250 users
  const res = await runSuite(opts, m.run);
  assert.equal(res.maxRps.limitedBy, 'load-tester-cpu');
  assert.equal(res.maxRps.run!.users, 4000, 'the saturated run still counts if clean, but the search stops');
});

test('the report states both answers, their limits, every run with its command, machine and parameters', async () => {
  const m = model(1200, 5000, 0.00001);
  const res = await runSuite(QUICK_SUITE, m.run);
  const meta = {
    host: 'http://127.0.0.1:3000',
    scenario: 'seed',
    quick: true,
    startedAt: '2026-11-27T00:00:00.000Z',
    endedAt: '2026-11-27T00:10:00.000Z',
    machine: { cpuModel: 'Test CPU', cpus: 2, memoryGiB: 4, os: 'linux', node: 'v20', polarity: '0.1.0' },
    command: 'polarity loadtest suite --host http://127.0.0.1:3000 --quick',
  };
  const md = renderSuiteMarkdown(res, meta);
  assert.match(md, /Highest average RPS over 5 s with 0% failures:\*\* \*\*333\.3 RPS\*\*/);
  assert.match(md, /\| 50\/s \| \*\*250\*\* \|/);
  assert.match(md, /--quick/);
  assert.match(md, /polarity loadtest --host http:\/\/127\.0\.0\.1:3000 --users 100 --spawn-rate 50 --duration 5s --seed 5/);
  assert.match(md, /2 × Test CPU/);
  const html = renderSuiteHtml(res, meta, md);
  assert.match(html, /<table>/);
  assert.doesNotMatch(html, /<script|\ssrc=/);
});

/** A stream that keeps what is written to it. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('a bad duration on the suite command line is a usage error (one line, exit 2), not a crash', async () => {
  for (const flag of ['--duration', '--ramp', '--pause', '--timeout']) {
    const [out, err] = [sink(), sink()];
    const code = await runSuiteCommand(['--host', 'http://127.0.0.1:9', flag, 'abc'], { stdout: out.stream, stderr: err.stream });
    assert.equal(code, 2, `${flag}: ${err.text()}`);
    assert.match(err.text(), new RegExp(`^polarity loadtest suite: ${flag}: `), flag);
    assert.doesNotMatch(err.text(), /\n\s+at /, `${flag}: no stack trace`);
    assert.equal(out.text(), '');
  }
});
