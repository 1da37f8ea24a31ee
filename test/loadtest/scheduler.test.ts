// The scheduler in virtual time: spawn rate, on-start then first task at once, weights, think
// times, stop at the duration with in-flight requests finishing, bounds, failure rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRandom } from '../../src/loadtest/prng.js';
import { Runner, spawnPlan, TaskPicker, type RunnerOptions } from '../../src/loadtest/runner.js';
import { loadScenario, parseScenario, type Scenario } from '../../src/loadtest/scenario.js';
import { TimerWheel } from '../../src/loadtest/timer-wheel.js';
import { FakeTransport, VirtualClock } from './virtual.js';

const seed = loadScenario('seed');

function setUp(over: Partial<RunnerOptions> & { latency?: number; respond?: ConstructorParameters<typeof FakeTransport>[2] } = {}) {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, () => over.latency ?? 10, over.respond);
  const ticks: { t: number; users: number }[] = [];
  const runner = new Runner({
    scenario: seed,
    users: 10,
    spawnRate: 1,
    durationMs: 60_000,
    timeoutMs: 60_000,
    stopTimeoutMs: 10_000,
    maxRequests: Infinity,
    noWait: false,
    random: createRandom(42),
    transport,
    clock,
    onTick: (r) => ticks.push({ t: r.elapsed(), users: r.userCount }),
    ...over,
  });
  return { clock, transport, runner, ticks };
}

async function runToEnd(s: ReturnType<typeof setUp>): Promise<void> {
  const done = s.runner.run();
  s.clock.runAll();
  await done;
}

test('spawn plan: max(1, ⌊rate⌋) users every batch/rate seconds (Locust UsersDispatcher)', () => {
  assert.deepEqual(spawnPlan(1), { batch: 1, intervalMs: 1000 });
  assert.deepEqual(spawnPlan(0.5), { batch: 1, intervalMs: 2000 });
  assert.deepEqual(spawnPlan(2.5), { batch: 2, intervalMs: 800 });
  assert.deepEqual(spawnPlan(50), { batch: 50, intervalMs: 1000 });
  assert.deepEqual(spawnPlan(500), { batch: 500, intervalMs: 1000 });
});

test('users start at the spawn rate: 100 users at 10/s are all running after 9 s, in batches of 10', async () => {
  const s = setUp({ users: 100, spawnRate: 10, durationMs: 15_000 });
  await runToEnd(s);
  const starts = new Map<number, number>();
  for (const r of s.transport.sent) if (!starts.has(r.user)) starts.set(r.user, r.at);
  assert.equal(starts.size, 100);
  const perSecond = new Map<number, number>();
  for (const at of starts.values()) perSecond.set(at, (perSecond.get(at) ?? 0) + 1);
  assert.deepEqual(
    [...perSecond].sort((a, b) => a[0] - b[0]),
    Array.from({ length: 10 }, (_, i) => [i * 1000, 10]),
  );
  // The per-second samples see each batch complete (a sample taken at the very instant of a
  // batch may see it partly started: batches start in slices of 4 users).
  for (const t of s.ticks.filter((x) => x.t >= 1 && x.t < 10)) assert.ok(t.users >= 10 * t.t && t.users <= 10 * t.t + 10, `${t.users} at ${t.t}`);
  assert.equal(s.ticks.find((x) => x.t === 10)!.users, 100);
  assert.equal(s.runner.peakUsers, 100);
});

test('a fractional rate spawns one user every 1/rate seconds', async () => {
  const s = setUp({ users: 3, spawnRate: 0.5, durationMs: 10_000 });
  await runToEnd(s);
  const firsts = [...new Set(s.transport.sent.map((r) => r.user))].map((u) => s.transport.sent.find((r) => r.user === u)!.at);
  assert.deepEqual(firsts, [0, 2000, 4000]);
});

test('each user runs its on-start request, then its first task at once, then waits after every task', async () => {
  const s = setUp({ users: 20, spawnRate: 20, durationMs: 30_000, latency: 10 });
  await runToEnd(s);
  for (let u = 0; u < 20; u++) {
    const mine = s.transport.sent.filter((r) => r.user === u);
    assert.equal(mine[0]!.method, 'POST', 'on-start posts');
    assert.equal(mine[0]!.path, '/analyze');
    assert.equal(mine[1]!.at, mine[0]!.doneAt, 'first task right after on-start');
    for (let i = 2; i < mine.length; i++) {
      const gap = mine[i]!.at - mine[i - 1]!.doneAt!;
      assert.ok(gap >= 1000 && gap <= 5000, `think time ${gap} ms within 1–5 s`);
    }
  }
});

test('think times are uniform over [1 s, 5 s] (seeded: deterministic)', async () => {
  const s = setUp({ users: 200, spawnRate: 200, durationMs: 300_000, latency: 1 });
  await runToEnd(s);
  const gaps: number[] = [];
  for (let u = 0; u < 200; u++) {
    const mine = s.transport.sent.filter((r) => r.user === u);
    for (let i = 2; i < mine.length; i++) gaps.push(mine[i]!.at - mine[i - 1]!.doneAt!);
  }
  assert.ok(gaps.length > 15_000, `${gaps.length} gaps`);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean - 3000) < 30, `mean think time ${mean} ms ≈ 3000`);
  // Four equal bins of the range hold a quarter each (±1.5 points), as a uniform distribution does.
  const bins = [0, 0, 0, 0];
  for (const g of gaps) bins[Math.min(3, Math.floor((g - 1000) / 1000))]!++;
  for (const b of bins) assert.ok(Math.abs(b / gaps.length - 0.25) < 0.015, `bins ${bins}`);
  // Variance of U(1000, 5000) is 4000²/12.
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length;
  assert.ok(Math.abs(variance / (4000 ** 2 / 12) - 1) < 0.03, `variance ratio ${variance / (4000 ** 2 / 12)}`);
});

test('tasks are chosen in proportion to their weights (1 POST : 2 GET)', async () => {
  const s = setUp({ users: 200, spawnRate: 200, durationMs: 300_000, latency: 1 });
  await runToEnd(s);
  // Leave out each user's on-start request.
  const seen = new Set<number>();
  let post = 0;
  let get = 0;
  for (const r of s.transport.sent) {
    if (!seen.has(r.user)) {
      seen.add(r.user);
      continue;
    }
    if (r.method === 'POST') post++;
    else get++;
  }
  const n = post + get;
  assert.ok(Math.abs(get / n - 2 / 3) < 0.01, `GET share ${get / n}`);
  // And the picker maps the unit interval onto cumulative weights exactly.
  const picker = new TaskPicker(['a', 'b', 'c'], [1, 0, 3]);
  assert.equal(picker.pick(0), 'a');
  assert.equal(picker.pick(0.2499), 'a');
  assert.equal(picker.pick(0.25), 'c');
  assert.equal(picker.pick(0.9999), 'c');
});

test('the same seed gives the same run; another seed a different one', async () => {
  const trace = async (seedValue: number): Promise<string> => {
    const s = setUp({ users: 5, spawnRate: 5, durationMs: 20_000, random: createRandom(seedValue) });
    await runToEnd(s);
    return s.transport.sent.map((r) => `${r.user}${r.method}${r.at}`).join(',');
  };
  assert.equal(await trace(7), await trace(7));
  assert.notEqual(await trace(7), await trace(8));
});

test('the RPS of N users converges to N / (mean think time + latency)', async () => {
  const s = setUp({ users: 300, spawnRate: 300, durationMs: 600_000, latency: 50 });
  await runToEnd(s);
  const expected = 300 / (3 + 0.05);
  // Skip the first minute (start-up burst), count the rest.
  const late = s.transport.sent.filter((r) => r.at >= 60_000).length / 540;
  assert.ok(Math.abs(late / expected - 1) < 0.02, `${late} req/s vs ${expected}`);
});

test('at the end no request starts; those in flight finish and are counted', async () => {
  const s = setUp({ users: 50, spawnRate: 50, durationMs: 10_000, latency: 700 });
  await runToEnd(s);
  assert.ok(
    s.transport.sent.every((r) => r.at <= 10_000),
    'nothing sent after the duration',
  );
  const late = s.transport.sent.filter((r) => r.doneAt! > 10_000);
  assert.ok(late.length > 0, 'some requests were in flight at the end');
  assert.equal(s.runner.stats.total.numRequests, s.transport.sent.length, 'every request, including late ones, counted');
  assert.equal(s.runner.abandoned, 0);
  assert.equal(s.runner.stopReason, 'duration');
  assert.equal(s.runner.userCount, 0);
  assert.equal(s.transport.closed, 50, 'every connection closed');
});

test('requests still in flight when the stop timeout runs out are dropped and reported as abandoned', async () => {
  const s = setUp({ users: 4, spawnRate: 4, durationMs: 1_000, latency: Infinity, stopTimeoutMs: 2_000 });
  await runToEnd(s);
  assert.equal(s.runner.abandoned, 4);
  assert.equal(s.runner.stats.total.numRequests, 0);
  assert.equal(s.runner.state, 'stopped');
});

test('--max-requests bounds a run', async () => {
  const s = setUp({ users: 10, spawnRate: 10, durationMs: 600_000, maxRequests: 123 });
  await runToEnd(s);
  assert.equal(s.transport.sent.length, 123);
  assert.equal(s.runner.stopReason, 'max-requests');
});

test("failures are Locust's: status >= 400, connection errors and timeouts; 3xx is not one", async () => {
  const outcome = (n: number): number | string => [200, 302, 399, 400, 404, 500, 503, "RemoteDisconnected('Remote end closed connection without response')"][n % 8]!;
  const s = setUp({ users: 8, spawnRate: 8, durationMs: 60_000, respond: (_r, n) => outcome(n) });
  await runToEnd(s);
  const total = s.runner.stats.total;
  const expectedFailures = s.transport.sent.filter((_r, n) => ![200, 302, 399].includes(outcome(n) as number)).length;
  assert.equal(total.numFailures, expectedFailures);
  assert.equal(total.numRequests, s.transport.sent.length);
  const errors = [...s.runner.stats.failures.values()].map((f) => f.error).sort();
  assert.ok(errors.some((e) => /^HTTPError\('404 Client Error: .* for url: http:\/\/127\.0\.0\.1:9\/(analyze|history)'\)$/.test(e)));
  assert.ok(errors.some((e) => e.startsWith("HTTPError('503 Server Error")));
  assert.ok(errors.includes("RemoteDisconnected('Remote end closed connection without response')"));
});

test('a request without an answer fails as a timeout and the user goes on', async () => {
  const clock = new VirtualClock();
  let n = 0;
  const transport = new FakeTransport(clock, () => (n++ === 0 ? Infinity : 10));
  const runner = new Runner({
    scenario: seed,
    users: 1,
    spawnRate: 1,
    durationMs: 20_000,
    timeoutMs: 3_000,
    stopTimeoutMs: 1_000,
    maxRequests: Infinity,
    noWait: false,
    random: createRandom(1),
    transport,
    clock,
  });
  const done = runner.run();
  clock.runAll();
  await done;
  const failures = [...runner.stats.failures.values()];
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.error, /^ReadTimeout\(.*Read timed out\. \(read timeout=3\)/);
  assert.ok(runner.stats.total.numRequests > 2, 'the user carried on after the timeout');
  assert.ok(runner.stats.total.maxResponseTime >= 3000 && runner.stats.total.maxResponseTime < 4100);
});

test('--max: every connection at once, no think time, no on-start', async () => {
  const s = setUp({ users: 16, spawnRate: Infinity, durationMs: 2_000, latency: 5, noWait: true });
  await runToEnd(s);
  const firsts = new Set(s.transport.sent.filter((r) => r.at === 0).map((r) => r.user));
  assert.equal(firsts.size, 16);
  // 16 connections × 2000 ms / 5 ms per request
  assert.ok(Math.abs(s.transport.sent.length - 16 * 400) <= 16, `${s.transport.sent.length}`);
  for (let u = 0; u < 16; u++) {
    const mine = s.transport.sent.filter((r) => r.user === u);
    for (let i = 1; i < mine.length; i++) assert.equal(mine[i]!.at, mine[i - 1]!.doneAt);
  }
});

test('scenario files are validated with the place of the error', () => {
  const ok: Scenario = parseScenario({
    wait: { min: 0.5, max: 2 },
    headers: { 'X-Key': 'k' },
    tasks: [{ method: 'put', path: '/a?x=1', json: { é: 1 }, weight: 3, name: 'A' }, { path: '/b' }],
  });
  assert.equal(ok.tasks[0]!.method, 'PUT');
  assert.equal(ok.tasks[0]!.body, '{"\\u00e9": 1}');
  assert.equal(ok.tasks[0]!.headers['Content-Type'], 'application/json');
  assert.equal(ok.tasks[0]!.headers['X-Key'], 'k');
  assert.equal(ok.tasks[1]!.method, 'GET');
  assert.equal(ok.tasks[1]!.weight, 1);
  assert.equal(ok.tasks[1]!.name, '/b');
  const bad: [unknown, RegExp][] = [
    [{ tasks: [] }, /"tasks" must be a non-empty array/],
    [{ tasks: [{ path: 'x' }] }, /tasks\[0\].*"path" must start with "\/"/],
    [{ tasks: [{ path: '/x', weight: 1.5 }] }, /tasks\[0\].*whole number/],
    [{ tasks: [{ path: '/x', weight: 0 }] }, /at least one task needs a weight/],
    [{ tasks: [{ path: '/x', colour: 1 }] }, /unknown field "colour"/],
    [{ wait: { min: 5, max: 1 }, tasks: [{ path: '/x' }] }, /0 <= min <= max/],
    [{ tasks: [{ path: '/x', json: {}, body: 'y' }] }, /not both/],
    [{ tasks: [{ path: '/x', headers: { Host: 'h' } }] }, /set by the load tester/],
    [{ onStart: {}, tasks: [{ path: '/x' }] }, /"onStart" must be an array/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseScenario(doc), re);
  assert.deepEqual(
    seed.tasks.map((t) => [t.method, t.path, t.weight, t.body]),
    [
      ['POST', '/analyze', 1, '{"text": "This is a test text for sentiment analysis."}'],
      ['GET', '/history', 2, null],
    ],
  );
  assert.deepEqual(seed.wait, { min: 1, max: 5 });
  assert.equal(seed.onStart.length, 1);
});

test('the think-time wheel fires each wait at its first millisecond tick, also past one turn of the wheel', () => {
  const clock = new VirtualClock();
  const fired: [string, number][] = [];
  type E = { id: string; wheelNext: null; wheelDue: number };
  const wheel = new TimerWheel<E>(clock, (e) => fired.push([e.id, clock.now()]));
  const entry = (id: string): E => ({ id, wheelNext: null, wheelDue: 0 });
  wheel.add(entry('a'), 1000);
  wheel.add(entry('b'), 999.2);
  wheel.add(entry('c'), 20_000); // more than one turn (8,192 ms)
  wheel.add(entry('d'), 20_000 - 8192 * 2); // same slot as c, two turns earlier
  wheel.add(entry('e'), 0.5);
  clock.runAll();
  assert.deepEqual(fired, [
    ['e', 1],
    ['b', 1000],
    ['a', 1000],
    ['d', 3616],
    ['c', 20_000],
  ]);
  assert.equal(wheel.size, 0);
  wheel.add(entry('x'), 50);
  wheel.clear();
  clock.runAll();
  assert.equal(fired.length, 5, 'cleared entries never fire');
});
