// The open model (--rate): arrival times along a constant rate or a ramp, and what it is for —
// against a server that stalls for one second, the closed model (users waiting for their answer)
// sends almost nothing during the stall and under-reports p99; the open model keeps sending on
// schedule and times each request from its intended send time, so the stall shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intendedTimeMs, OpenRunner } from '../../src/loadtest/open-runner.js';
import { createRandom } from '../../src/loadtest/prng.js';
import { FakeTransport, VirtualClock } from './virtual.js';
import { runLoad, type RunSpec } from '../../src/loadtest/run.js';
import { parseScenario } from '../../src/loadtest/scenario.js';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { sink, stubServer } from './helpers.js';

test('arrivals: k/rate at a constant rate; along a linear ramp, N(t) = rate·t²/(2·ramp) until the ramp ends', () => {
  assert.equal(intendedTimeMs(0, 100, 0), 0);
  assert.equal(intendedTimeMs(250, 100, 0), 2500);
  // 100/s reached after a 2-s ramp: 100 requests due during the ramp, then one every 10 ms.
  assert.equal(intendedTimeMs(0, 100, 2000), 0);
  assert.equal(intendedTimeMs(25, 100, 2000), 1000); // half-way: a quarter of the ramp's requests
  assert.equal(intendedTimeMs(100, 100, 2000), 2000);
  assert.equal(intendedTimeMs(150, 100, 2000), 2500);
  for (let k = 1; k < 400; k++) assert.ok(intendedTimeMs(k, 100, 2000) > intendedTimeMs(k - 1, 100, 2000), 'increasing');
});

test('in virtual time: one connection answering in 30 ms, 100 requests/s wanted — each timed from its intended send, late and never-sent counted', () => {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, () => 30);
  const runner = new OpenRunner({
    scenario: parseScenario({ tasks: [{ method: 'GET', path: '/' }] }, 'get'),
    ratePerS: 100,
    rampMs: 0,
    durationMs: 1000,
    timeoutMs: 10_000,
    stopTimeoutMs: 5000,
    maxRequests: Infinity,
    maxConnections: 1,
    random: createRandom(1),
    transport,
    clock,
  });
  void runner.run();
  clock.runAll();
  // Request k is due at 10·k ms but the one connection frees every 30 ms: sent at 30·k, answered at
  // 30·k + 30, so its response time from the intended send is 20·k + 30 ms. Sends at 0, 30, …, 990.
  assert.deepEqual(
    transport.sent.map((r) => r.at),
    Array.from({ length: 34 }, (_, k) => 30 * k),
  );
  assert.equal(runner.stats.total.numRequests, 34);
  assert.equal(runner.stats.total.minResponseTime, 30);
  assert.equal(runner.stats.total.maxResponseTime, 20 * 33 + 30);
  assert.equal(
    runner.stats.total.totalResponseTime,
    Array.from({ length: 34 }, (_, k) => 20 * k + 30).reduce((a, b) => a + b),
  );
  assert.deepEqual(runner.info(), { intended: 100, late: 33, unsent: 66, lateAfterMs: 10, maxLagMs: 660 });
  assert.equal(runner.peakUsers, 1);
  assert.equal(runner.state, 'stopped');
});

test("in virtual time: enough connections, every request on time, response time = the server's", () => {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, (_req, n) => (n % 10 === 0 ? 250 : 5));
  const runner = new OpenRunner({
    scenario: parseScenario({ tasks: [{ method: 'GET', path: '/' }] }, 'get'),
    ratePerS: 200,
    rampMs: 1000,
    durationMs: 3000,
    timeoutMs: 10_000,
    stopTimeoutMs: 5000,
    maxRequests: Infinity,
    maxConnections: 100,
    random: createRandom(1),
    transport,
    clock,
  });
  void runner.run();
  clock.runAll();
  // 100 due during the 1-s ramp, then 200/s for 2 s.
  assert.equal(runner.info().intended, 500);
  assert.equal(runner.stats.total.numRequests, 500);
  assert.equal(runner.info().late, 0);
  assert.equal(runner.stats.total.buckets.get(250), 50);
  assert.equal(runner.stats.total.buckets.get(5), 450);
  // Little's law: 200/s × (0.1 × 250 ms + 0.9 × 5 ms) ≈ 6 requests in flight, so about 6 connections.
  assert.ok(runner.peakUsers >= 5 && runner.peakUsers <= 8, `connections: ${runner.peakUsers}`);
});

/** The send times (virtual ms) of an open-model run at `ratePerS` (this process's share) as process `index` of `of`; and its timer wake-ups. */
function sendTimes(ratePerS: number, rampMs: number, slice: { index: number; of: number } | null): { at: number[]; wakes: number } {
  const clock = new VirtualClock();
  let wakes = 0;
  const counting = {
    ...clock,
    now: () => clock.now(),
    wall: () => clock.wall(),
    clearTimeout: (h: unknown) => clock.clearTimeout(h),
    setTimeout: (fn: () => void, ms: number) => clock.setTimeout(() => (wakes++, fn()), ms),
  };
  const transport = new FakeTransport(clock, () => 0.2);
  const runner = new OpenRunner({
    scenario: parseScenario({ tasks: [{ method: 'GET', path: '/' }] }, 'get'),
    ratePerS,
    rampMs,
    durationMs: 2000,
    timeoutMs: 10_000,
    stopTimeoutMs: 5000,
    maxRequests: Infinity,
    maxConnections: 100,
    random: createRandom(1),
    transport,
    clock: counting,
    slice,
  });
  void runner.run();
  clock.runAll();
  assert.equal(runner.info().late, 0);
  return { at: transport.sent.map((r) => r.at), wakes };
}

test("arrivals go out a 1-ms window at a time; --processes N: the windows shared out, together exactly one process's sends", () => {
  for (const [rate, ramp] of [
    [2500, 0],
    [1500, 500],
    [90, 0],
  ] as const) {
    const one = sendTimes(rate, ramp, null);
    // Each window's requests leave together, when its last one is due: at most 1 ms late.
    one.at.forEach((at, k) => {
      const due = intendedTimeMs(k, rate, ramp);
      assert.ok(at >= due && at < due + 1, `request ${k} due at ${due} sent at ${at}`);
    });
    const halves = [0, 1].map((index) => sendTimes(rate / 2, ramp, { index, of: 2 }));
    assert.deepEqual(
      [...halves[0]!.at, ...halves[1]!.at].sort((a, b) => a - b),
      one.at,
      `rate ${rate}: the two halves send what one process sends, at the same times`,
    );
    const [a, b] = [halves[0]!.at.length, halves[1]!.at.length];
    assert.ok(Math.abs(a - b) <= Math.max(2, 0.05 * one.at.length), `rate ${rate}: shares ${a} and ${b}`);
    // Not one wake-up per request at half the rate: about as many requests per wake-up as one process.
    if (rate >= 1000) assert.ok(halves[0]!.wakes + halves[1]!.wakes <= one.wakes * 1.1, `rate ${rate}: wake-ups ${halves[0]!.wakes} + ${halves[1]!.wakes} vs ${one.wakes}`);
  }
});

const GET_ONLY = parseScenario({ wait: { min: 0.01, max: 0.01 }, tasks: [{ method: 'GET', path: '/' }] }, 'get');

/** A server answering at once, except that requests arriving in [1 s, 2 s) after its first one wait until 2 s. */
async function stallingServer(t: Parameters<typeof stubServer>[0]) {
  let first = 0;
  return stubServer(t, (_req, res) => {
    const now = performance.now();
    if (first === 0) first = now;
    const answer = (): void => void res.writeHead(200, { 'content-length': 2 }).end('{}');
    const at = now - first;
    if (at >= 1000 && at < 2000) setTimeout(answer, 2000 - at);
    else answer();
  });
}

const base = (host: string, over: Partial<RunSpec>): RunSpec => ({
  host,
  scenario: GET_ONLY,
  users: 10,
  spawnRate: 10,
  durationS: 4,
  timeoutS: 10,
  stopTimeoutS: 3,
  maxRequests: 20_000,
  mode: 'users',
  seed: 1,
  ...over,
});

test('a server stalling for 1 s: the closed model under-reports p99, the open model does not', async (t) => {
  // Closed: 10 users, 10 ms think time. During the stall each user waits on one request, so only
  // ~10 of ~2,000+ requests see it: p99 stays small though the server answered nothing for a second.
  const closedServer = await stallingServer(t);
  const closed = (await runLoad(base(closedServer.url, {}), { progress: null, handleSignals: false })).report;
  // Open: 200 requests/s whatever happens; the ~200 due during the stall wait up to 1 s.
  const openServer = await stallingServer(t);
  const open = (await runLoad(base(openServer.url, { mode: 'rate', rate: { perS: 200, rampS: 0, connections: 500 } }), { progress: null, handleSignals: false })).report;

  const p99 = (r: typeof open): number => r.aggregated.percentiles['99%']!;
  assert.equal(closed.failures + open.failures, 0);
  assert.ok(closed.aggregated.max >= 900, `the closed model met the stall too (max ${closed.aggregated.max} ms)`);
  assert.ok(p99(closed) < 100, `closed model p99 ${p99(closed)} ms: the stall is hidden`);
  assert.ok(p99(open) >= 800, `open model p99 ${p99(open)} ms: the stall shows`);
  // About a quarter of the open model's requests were due in the stalled second.
  const slow = Object.entries(open.aggregated.histogram)
    .filter(([ms]) => Number(ms) >= 100)
    .reduce((a, [, n]) => a + n, 0);
  assert.ok(slow >= 120 && slow <= 260, `requests held by the stall: ${slow} of ${open.requests}`);
  assert.ok(open.requests >= 760 && open.requests <= 801, `≈ 200/s × 4 s (${open.requests})`);
  assert.equal(open.openModel!.intended, open.requests);
  assert.equal(open.openModel!.unsent, 0);
});

test('the open model with too few connections: requests wait for one, counted late, timed from their intended send', async (t) => {
  // 1 connection, each answer takes 40 ms, 100 requests/s wanted for 1 s: at most ~25 go out.
  const server = await stubServer(t, (_req, res) => setTimeout(() => res.writeHead(200, { 'content-length': 2 }).end('{}'), 40));
  const out = sink();
  const code = await runLoadtest(['--host', server.url, '--rate', '100/s', '--connections', '1', '-t', '1s', '--stop-timeout', '1s', '--json', '-q', '--threshold', 'late<5%'], {
    stdout: out.stream,
    stderr: sink().stream,
  });
  assert.equal(code, 3, 'late<5% is broken');
  const r = JSON.parse(out.text());
  const o = r.openModel;
  assert.equal(o.intended, 100);
  assert.ok(r.requests >= 15 && r.requests <= 30, `sent ${r.requests}`);
  assert.equal(o.unsent + r.requests + r.loadGenerator.abandoned, 100, 'every due request was sent, or counted as never sent');
  assert.ok(o.late >= r.requests - 2, `nearly all sent late (${o.late} of ${r.requests})`);
  assert.ok(r.aggregated.max > 300, `the last ones sent waited for the connection: max ${r.aggregated.max} ms`);
  assert.equal(r.peakUsers, 1);
  assert.match(JSON.stringify(r.thresholds), /"threshold":"late<5%".*"passed":false/);
});

test('--rate usage: a rate per second, minute or hour; not with --users', async () => {
  const { parseRate } = await import('../../src/loadtest/cli.js');
  assert.equal(parseRate('2000/s'), 2000);
  assert.equal(parseRate('2000'), 2000);
  assert.equal(parseRate('120/m'), 2);
  assert.throws(() => parseRate('fast'));
  assert.throws(() => parseRate('0/s'));
  const err = sink();
  assert.equal(await runLoadtest(['--host', 'http://127.0.0.1:1', '--rate', '10/s', '-u', '5'], { stdout: sink().stream, stderr: err.stream }), 2);
  assert.match(err.text(), /--rate takes --connections, not --users/);
});
