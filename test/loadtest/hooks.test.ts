// The library API's per-request hooks (loop.ts RequestHooks) and the options the repository's own
// load clients need (test/cluster/load.ts, bench/overload-client.ts): a request built per run of a
// task, each response handed back with the headers and body asked for, tasks in turn, a number of
// requests per user, every user connecting at once, a local address. In virtual time with a fake
// transport where the scheduler is concerned; against a local server for the sockets.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HttpConnection, prepareRequest, type PreparedRequest, type Target } from '../../src/loadtest/http-client.js';
import { OpenRunner } from '../../src/loadtest/open-runner.js';
import { createRandom } from '../../src/loadtest/prng.js';
import { runLoad } from '../../src/loadtest/run.js';
import { Runner, type ResponseRecord, type RunnerOptions } from '../../src/loadtest/runner.js';
import { loadScenario, parseScenario } from '../../src/loadtest/scenario.js';
import { stubServer } from './helpers.js';
import { FakeTransport, VirtualClock } from './virtual.js';

const MIX = parseScenario(
  {
    wait: { min: 1, max: 2 },
    tasks: [
      { method: 'POST', path: '/analyze', json: { text: 'x' }, weight: 1 },
      { method: 'GET', path: '/history', weight: 2 },
    ],
  },
  'mix',
);

/** What every runner here takes: virtual time, a fake transport that keeps each request sent. */
function virtual(latencyMs = 10, respond?: ConstructorParameters<typeof FakeTransport>[2]) {
  const clock = new VirtualClock();
  const sent: PreparedRequest[] = [];
  const transport = new FakeTransport(
    clock,
    (req) => {
      sent.push(req);
      return latencyMs;
    },
    respond,
  );
  const options = { scenario: MIX, timeoutMs: 60_000, stopTimeoutMs: 5000, maxRequests: Infinity, random: createRandom(3), transport, clock };
  return { clock, transport, sent, options };
}

function closed(over: Partial<RunnerOptions>, respond?: ConstructorParameters<typeof FakeTransport>[2]) {
  const v = virtual(10, respond);
  const runner = new Runner({ ...v.options, users: 3, spawnRate: 3, durationMs: 20_000, noWait: false, ...over });
  return { ...v, runner };
}

async function runToEnd(s: { clock: VirtualClock; runner: { run(): Promise<void> } }): Promise<void> {
  const done = s.runner.run();
  s.clock.runAll();
  await done;
}

test('a task with a builder sends a request built for each run of it; the others the one serialised before the run', async () => {
  const records: ResponseRecord[] = [];
  const asked: string[] = [];
  const s = closed(
    {
      requests: {
        customize: (task) => {
          asked.push(`${task.method} ${task.path}`);
          if (task.method !== 'POST') return null;
          return (n, user) => ({ body: `{"text": "n${n} u${user}"}`, headers: { 'Idempotency-Key': `k${n}` }, tag: { n, user } });
        },
        onResponse: (r) => records.push(r),
      },
    },
    (_req, n) => (n % 5 === 4 ? 500 : 200),
  );
  await runToEnd(s);
  assert.deepEqual(asked, ['POST /analyze', 'GET /history'], 'asked once per task, before the run');
  const gets = s.sent.filter((r) => r.spec.method === 'GET');
  assert.ok(gets.length > 10 && gets.every((r) => r === gets[0]), 'every GET is the one request prepared before the run');
  const posts = s.sent.filter((r) => r.spec.method === 'POST');
  assert.equal(new Set(posts.map((r) => r.spec.body)).size, posts.length, 'each POST its own body');
  for (const p of posts) {
    const { n, user } = p.tag as { n: number; user: number };
    assert.equal(p.spec.body, `{"text": "n${n} u${user}"}`);
    assert.equal(p.spec.headers['Idempotency-Key'], `k${n}`);
    assert.equal(p.spec.headers['Content-Type'], 'application/json', "the task's own headers stay");
    assert.equal(s.sent[n], p, "n counts the run's requests from 0");
  }

  // One record per request, in the statistics' terms.
  assert.equal(records.length, s.sent.length);
  assert.equal(records.length, s.runner.stats.total.numRequests);
  for (const r of records) {
    assert.ok(r.user >= 0 && r.user < 3);
    assert.equal(r.responseTimeMs, 10);
    assert.equal(r.headers, null, 'the fake transport keeps nothing');
  }
  const failed = records.filter((r) => r.status === 500);
  assert.equal(failed.length, s.runner.stats.total.numFailures);
  assert.ok(failed.every((r) => r.error!.startsWith("HTTPError('500 Server Error")));
  assert.ok(records.filter((r) => r.status === 200).every((r) => r.error === null));
  assert.deepEqual(
    records.map((r) => r.request),
    s.sent,
    'each record holds the request sent',
  );
});

test("taskOrder 'cycle': the run's n-th request is the weighted list's (n mod 3)-th task, exactly 1 POST : 2 GET", async () => {
  const s = closed({ taskOrder: 'cycle', noWait: true, maxRequests: 600, users: 6, spawnRate: Infinity });
  await runToEnd(s);
  assert.equal(s.sent.length, 600);
  s.sent.forEach((r, n) => assert.equal(r.spec.method, n % 3 === 0 ? 'POST' : 'GET', `request ${n}`));
});

test('requestsPerUser: each user sends exactly K requests, then the run ends by itself', async () => {
  const s = closed({ requestsPerUser: 4, users: 5, spawnRate: 5, durationMs: 600_000 });
  await runToEnd(s);
  const perUser = new Map<number, number>();
  for (const r of s.transport.sent) perUser.set(r.user, (perUser.get(r.user) ?? 0) + 1);
  assert.deepEqual([...perUser.values()], [4, 4, 4, 4, 4]);
  assert.equal(s.runner.stopReason, 'max-requests');
  assert.ok(s.clock.now() < 60_000, `it ended long before the duration (${s.clock.now()} ms)`);
  assert.equal(s.runner.userCount, 0);
  assert.equal(s.transport.closed, 5);
});

test('spawnAtOnce: every user of a batch connects in one go (without it, in slices of 4)', () => {
  for (const [atOnce, expected] of [
    [true, 50],
    [false, 4],
  ] as const) {
    const s = closed({ users: 50, spawnRate: Infinity, noWait: true, spawnAtOnce: atOnce });
    void s.runner.run();
    assert.equal(s.transport.connections, expected, `spawnAtOnce ${atOnce}`);
    s.runner.abort();
  }
});

test('the open model hands back the same records, timed from the intended send', () => {
  const { clock, options } = virtual(30);
  const records: ResponseRecord[] = [];
  const runner = new OpenRunner({ ...options, ratePerS: 100, rampMs: 0, durationMs: 1000, maxConnections: 1, taskOrder: 'cycle', requests: { onResponse: (r) => records.push(r) } });
  void runner.run();
  clock.runAll();
  // One connection answering in 30 ms, a request due every 10 ms: the k-th is sent at 30·k and
  // its response time counts from its intended 10·k; in turn, every third is the POST.
  assert.equal(records.length, 34);
  records.forEach((r, k) => {
    assert.equal(r.user, 0);
    assert.equal(r.sentAt, 30 * k);
    assert.equal(r.responseTimeMs, 20 * k + 30);
    assert.equal(r.request.spec.method, k % 3 === 0 ? 'POST' : 'GET');
  });
});

/** A raw server on 127.0.0.1 answering each GET (no body) with `reply(n)`, written in 7-byte pieces. */
async function rawServer(t: { after(fn: () => void): void }, reply: (n: number) => string): Promise<Target> {
  let n = 0;
  const server: Server = createServer((socket) => {
    socket.on('data', (d: Buffer) => {
      for (let at = d.indexOf('\r\n\r\n'); at >= 0; at = d.indexOf('\r\n\r\n', at + 4)) {
        const r = reply(n++);
        // In pieces, so that heads, bodies and UTF-8 characters are read across several reads.
        const bytes = Buffer.from(r, 'utf8');
        for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
        if (r.includes('Connection: close')) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  return { baseUrl: `http://127.0.0.1:${port}`, address: '127.0.0.1', port, hostHeader: `127.0.0.1:${port}` };
}

test('the client keeps the headers asked for (values as sent) and the body, in every framing; nothing unless asked', async (t) => {
  const bodies = ['{"id":7,"text":"é"}', '[1,2,3]', 'until the end'];
  const target = await rawServer(t, (n) => {
    if (n % 3 === 0) return `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: Application/Problem+JSON\r\nContent-Length: ${Buffer.byteLength(bodies[0]!)}\r\n\r\n${bodies[0]}`;
    if (n % 3 === 1) return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n4\r\n2,3]\r\n0\r\n\r\n';
    return `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${bodies[2]}`;
  });
  const request = prepareRequest(target, parseScenario({ tasks: [{ path: '/' }] }).tasks[0]!);
  const send = (c: HttpConnection) => new Promise<number>((resolve) => c.send(request, (status) => resolve(status)));
  const keeping = new HttpConnection(target, { keepHeaders: ['retry-after', 'CONTENT-TYPE', 'x-absent'], keepBody: true });
  assert.equal(await send(keeping), 503);
  assert.deepEqual(keeping.keptHeaders(), { 'retry-after': '2', 'content-type': 'Application/Problem+JSON' });
  assert.equal(keeping.keptBody(), bodies[0]);
  assert.equal(await send(keeping), 200);
  assert.deepEqual(keeping.keptHeaders(), {});
  assert.equal(keeping.keptBody(), bodies[1]);
  assert.equal(await send(keeping), 200);
  assert.equal(keeping.keptBody(), bodies[2]);
  keeping.close();

  const plain = new HttpConnection(target);
  assert.equal(await send(plain), 503);
  assert.equal(plain.keptHeaders(), null);
  assert.equal(plain.keptBody(), null);
  plain.close();
});

test('runLoad with hooks against a local server: built requests arrive, records carry kept headers and bodies, connections come from the local address', async (t) => {
  const from = new Set<string>();
  const keys: string[] = [];
  const server = await stubServer(t, (req, res, body, n) => {
    from.add(req.socket.remoteAddress ?? '');
    if (req.method === 'POST') keys.push(String(req.headers['idempotency-key']));
    const text = req.method === 'POST' ? (JSON.parse(body) as { text: string }).text : '';
    if (n % 4 === 0) res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' }).end('{"code":"overloaded"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: n, text }));
  });
  const records: ResponseRecord[] = [];
  const { report } = await runLoad(
    {
      host: server.url,
      scenario: loadScenario('seed'),
      users: 4,
      spawnRate: 4,
      durationS: 30,
      timeoutS: 10,
      stopTimeoutS: 5,
      maxRequests: null,
      mode: 'max',
      seed: 1,
      localAddress: '127.0.0.2',
      requestsPerUser: 6,
      spawnAtOnce: true,
      taskOrder: 'cycle',
    },
    {
      progress: null,
      handleSignals: false,
      requests: {
        customize: (task) => (task.method === 'POST' ? (n, user) => ({ body: JSON.stringify({ text: `t${n}` }), headers: { 'Idempotency-Key': `u${user}-${n}` }, tag: `t${n}` }) : null),
        onResponse: (r) => records.push(r),
        keepHeaders: ['Retry-After', 'content-type'],
        keepBody: true,
      },
    },
  );
  assert.deepEqual([...from], ['127.0.0.2']);
  assert.equal(report.requests, 24);
  assert.equal(records.length, 24);
  assert.equal(report.stopReason, 'max-requests');
  assert.equal(records.filter((r) => r.request.spec.method === 'POST').length, 8, 'in turn: 1 POST : 2 GET');
  assert.equal(keys.length, 8);
  for (const r of records) {
    if (r.status === 503) {
      assert.deepEqual(r.headers, { 'retry-after': '1', 'content-type': 'application/problem+json' });
      assert.equal(r.body, '{"code":"overloaded"}');
      assert.match(r.error!, /^HTTPError\('503 Server Error/);
    } else {
      assert.equal(r.status, 200);
      assert.equal(r.headers!['content-type'], 'application/json');
      const doc = JSON.parse(r.body!) as { id: number; text: string };
      if (r.request.spec.method === 'POST') assert.equal(doc.text, r.request.tag, 'the body answers the request built for it');
    }
  }
  assert.equal(records.filter((r) => r.status === 503).length, report.failures);
});
