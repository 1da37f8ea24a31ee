// The seed's topology, tested: `deploy/local-cluster up` builds one nginx load balancer, two
// Polarity app hosts and one PostgreSQL host, each in its own network namespace on one bridge,
// and these tests drive load through the load balancer while hosts crash, the database goes away,
// and the app hosts are restarted one after the other.
//
// Needs root, iproute2, nginx and PostgreSQL's server binaries; without them every test is
// skipped with the reason. The cluster gets its own name, subnet and state directory, so a
// developer's `deploy/local-cluster up` (pol, 10.77.0.0/24) is left alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { acquireClusterLock, releaseClusterLock as releaseLock, runCluster } from '../../src/lab/local-cluster.js';
import { Load, percentile, send, summarize, type Outcome } from './load.js';

const NAME = 'polt';
const NET = '10.77.1';
const STATE = join(tmpdir(), 'polarity-cluster-test');
const LB = `http://${NET}.10`;
const APPS = [1, 2] as const;
const appUrl = (i: number) => `http://${NET}.${20 + i}:3000`;

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } }).status === 0;
  if (!has('ip')) return 'ip (iproute2) not found';
  if (!has('nginx')) return 'nginx not found (apt-get install nginx)';
  if (!has('setpriv')) return 'setpriv (util-linux) not found';
  const pg = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`)) : [];
  if (pg.length === 0) return 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin';
  return undefined;
}

const cluster = (...args: string[]): Promise<string> => runCluster({ name: NAME, net: NET, state: STATE }, args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One cluster test run at a time on a machine: several people's `npm test` in one work tree would
 * otherwise tear down each other's cluster (same names, same subnet). The lock
 * (src/lab/local-cluster.ts) holds the owner's pid; a lock whose owner is gone (a killed run) is
 * taken over, and its cluster removed.
 */
const acquireLock = (timeoutMs: number): Promise<boolean> => acquireClusterLock({ timeoutMs, pollMs: 500 });
const oneShot = new Agent({ keepAlive: false });

async function getJson<T>(url: string): Promise<{ status: number; body: T; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(url);
  const r = await send(oneShot, u, 'GET', u.pathname + u.search, undefined, 10_000);
  if (r.status === 0) throw new Error(`GET ${url}: ${r.error}`);
  return { status: r.status, body: (r.body.startsWith('[') || r.body.startsWith('{') ? JSON.parse(r.body) : r.body) as T, headers: r.headers };
}

/** Every row of the history as one host sees it, newest first (follows the Link header). */
async function fullHistory(base: string): Promise<{ id: number; text: string }[]> {
  const rows: { id: number; text: string }[] = [];
  let path: string | undefined = '/history?limit=1000';
  while (path !== undefined) {
    const r: { status: number; body: { id: number; text: string }[]; headers: Record<string, string | string[] | undefined> } = await getJson(base + path);
    assert.equal(r.status, 200, `GET ${base}${path}`);
    rows.push(...r.body.map(({ id, text }) => ({ id, text })));
    const link = r.headers['link'];
    path = typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
  }
  return rows;
}

/** polarity_analyses_total{engine="textblob",stored="true"} of one app host (each host counts its own). */
async function storedCount(base: string): Promise<number> {
  const r = await getJson<string>(`${base}/metrics`);
  const m = /^polarity_analyses_total\{engine="textblob",stored="true"\} (\d+)$/m.exec(r.body);
  return m ? Number(m[1]) : 0;
}

const accessLog = () => join(STATE, 'lb/access.log');

/** Waits until the load balancer has sent a request to app host i (and it answered 200) again. */
async function waitInRotation(i: number, timeoutMs = 20_000): Promise<number> {
  const from = statSync(accessLog()).size;
  const started = performance.now();
  const served = new RegExp(`upstream=${NET.replaceAll('.', '\\.')}\\.${20 + i}:3000 ustatus=200`);
  while (performance.now() - started < timeoutMs) {
    await getJson(`${LB}/livez`);
    if (served.test(readFileSync(accessLog()).subarray(from).toString('utf8'))) return performance.now() - started;
    await sleep(100);
  }
  throw new Error(`app${i} did not get traffic from the load balancer within ${timeoutMs} ms`);
}

/** Asserts that every acknowledged POST is in the history, as seen from each app host. */
async function assertNothingLost(outcomes: readonly Outcome[]): Promise<number> {
  const acknowledged = outcomes.filter((o) => o.kind === 'post' && o.status === 200);
  for (const i of APPS) {
    const byId = new Map((await fullHistory(appUrl(i))).map((r) => [r.id, r.text]));
    const missing = acknowledged.filter((o) => byId.get(o.id!) !== o.text);
    assert.deepEqual(
      missing.map((o) => `${o.id} ${o.text}`),
      [],
      `app${i}: acknowledged analyses missing from the history`,
    );
  }
  return acknowledged.length;
}

function describeOutcomes(outcomes: readonly Outcome[]): string {
  const s = summarize(outcomes);
  return `${s.sent} requests (${s.posts} POST, ${s.acknowledged} acknowledged), ${s.failed} failed; ${JSON.stringify(s.byStatus)}`;
}

const reason = skipReason();

describe('local cluster: nginx + 2 app hosts + PostgreSQL in network namespaces', { skip: reason ? `${reason}: cluster tests skipped` : false }, () => {
  let locked = false;
  before(
    async () => {
      await acquireLock(150_000);
      locked = true;
      await cluster('down'); // whatever an interrupted earlier run left behind
      const url = await cluster('up');
      assert.equal(url.trim(), `${LB}/`);
    },
    { timeout: 240_000 },
  );

  after(
    async () => {
      if (!locked) return; // another run's cluster: not ours to remove
      try {
        await cluster('down');
      } finally {
        releaseLock();
      }
      assert.ok(!existsSync(STATE), 'down removes the state directory');
      const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(left, new RegExp(`^${NAME}-`, 'm'), 'down removes every namespace');
    },
    { timeout: 60_000 },
  );

  test('analyses through the load balancer land on both app hosts; either host shows every one, at once', { timeout: 60_000 }, async (t) => {
    const before = await Promise.all(APPS.map((i) => storedCount(appUrl(i))));
    const logFrom = statSync(accessLog()).size;
    const load = new Load(LB, { concurrency: 6, maxMs: 20_000, maxRequests: 600, tag: 'spread' });
    const outcomes = await load.finished();
    t.diagnostic(describeOutcomes(outcomes));
    assert.deepEqual(
      outcomes.filter((o) => o.status !== 200),
      [],
    );
    assert.equal(outcomes.length, 600);

    const after = await Promise.all(APPS.map((i) => storedCount(appUrl(i))));
    const perHost = APPS.map((_, k) => after[k]! - before[k]!);
    t.diagnostic(`analyses stored per app host: ${perHost.join(' + ')}`);
    for (const n of perHost) assert.ok(n >= 50, `each host stored a fair share (${perHost.join(', ')})`);
    assert.equal(perHost[0]! + perHost[1]!, 200);
    const log = readFileSync(accessLog()).subarray(logFrom).toString('utf8');
    for (const i of APPS) assert.match(log, new RegExp(`"POST /analyze HTTP/1.1" 200 .* upstream=${NET}.${20 + i}:3000 `), `the access log shows app${i}`);

    const rows = await assertNothingLost(outcomes);
    const [h1, h2] = await Promise.all(APPS.map((i) => fullHistory(appUrl(i))));
    assert.deepEqual(h1, h2, 'both hosts show the same history');
    t.diagnostic(`${rows} acknowledged rows verified on each host; both hosts list the same ${h1!.length} rows`);

    // No stale history anywhere: a row written through one host is the newest on the next read,
    // which round robin sends to the other host.
    for (let k = 0; k < 20; k++) {
      const u = new URL(LB);
      const r = await send(oneShot, u, 'POST', '/analyze', JSON.stringify({ text: `fresh ${k}` }), 10_000);
      assert.equal(r.status, 200);
      const { id } = JSON.parse(r.body) as { id: number };
      const page = await getJson<{ id: number }[]>(`${LB}/history?limit=1`);
      assert.equal(page.body[0]!.id, id, 'the newest row is the one just written');
      assert.equal(page.headers['cache-control'], 'no-store');
    }
  });

  test('the load balancer enforces the 64 KiB body limit with a problem document, and streams live rows from any host', { timeout: 30_000 }, async () => {
    const lb = new URL(LB);
    const exactly = JSON.stringify({ text: 'a'.repeat(65536 - 11) });
    assert.equal(Buffer.byteLength(exactly), 65536);
    const atLimit = await send(oneShot, lb, 'POST', '/analyze', exactly, 10_000);
    assert.equal(atLimit.status, 422, 'a 65536-byte body passes nginx; the app refuses the text as too long');
    assert.equal((JSON.parse(atLimit.body) as { code: string }).code, 'text-too-long');
    const over = await send(oneShot, lb, 'POST', '/analyze', JSON.stringify({ text: 'a'.repeat(65536 - 10) }), 10_000);
    assert.equal(over.status, 413);
    assert.equal(over.headers['content-type'], 'application/problem+json');
    assert.equal((JSON.parse(over.body) as { code: string }).code, 'body-too-large');

    // Server-Sent Events through nginx: a row written on app2 directly arrives at once.
    const { request } = await import('node:http');
    const events: string[] = [];
    const stream = request({ host: lb.hostname, port: 80, path: '/history/stream', agent: oneShot });
    const opened = new Promise<void>((resolve, reject) => {
      stream.on('response', (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8').on('data', (d: string) => events.push(d));
        resolve();
      });
      stream.on('error', reject);
    });
    stream.end();
    await opened;
    await sleep(300);
    const r = await send(oneShot, new URL(appUrl(2)), 'POST', '/analyze', JSON.stringify({ text: 'live through nginx' }), 10_000);
    const { id } = JSON.parse(r.body) as { id: number };
    const deadline = performance.now() + 5000;
    while (!events.join('').includes(`id: ${id}\nevent: analysis\n`) && performance.now() < deadline) await sleep(50);
    stream.destroy();
    assert.ok(events.join('').includes(`id: ${id}\nevent: analysis\n`), `the event for row ${id} came through unbuffered`);
  });

  test('SIGKILL of an app host under load: the load balancer keeps answering, reads are retried, nothing acknowledged is lost', { timeout: 60_000 }, async (t) => {
    const concurrency = 8;
    const load = new Load(LB, { concurrency, maxMs: 30_000, maxRequests: 40_000, tag: 'crash' });
    await sleep(1500);
    const killedAt = performance.now();
    await cluster('kill', 'app1');
    await sleep(3000);
    const restartAt = performance.now();
    await cluster('start', 'app1');
    const back = await waitInRotation(1);
    await sleep(500);
    const outcomes = await load.stop();
    t.diagnostic(describeOutcomes(outcomes));
    t.diagnostic(`app1 restarted and back in rotation ${((performance.now() - restartAt) / 1000).toFixed(1)} s after its restart began (${(back / 1000).toFixed(1)} s after ready)`);

    const failed = outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(
      failed.filter((o) => o.kind === 'get'),
      [],
      'every GET was answered (retried on the other host)',
    );
    // Only POSTs that were already sent to app1 when it died may fail: nginx does not re-send a POST.
    assert.ok(failed.length <= concurrency, `at most one failed POST per connection in flight (${failed.length})`);
    for (const o of failed) {
      assert.equal(o.status, 502, `a failed POST is nginx's 502: ${JSON.stringify(o)}`);
      assert.ok(o.start < killedAt + 1000 && o.start + o.ms > killedAt - 50, 'it was in flight when app1 died');
    }
    const afterKill = outcomes.filter((o) => o.start > killedAt + 200 && o.start < restartAt && o.status === 200).length;
    assert.ok(afterKill > 50, `the load balancer kept answering with app1 down (${afterKill} answers)`);
    const rows = await assertNothingLost(outcomes);
    t.diagnostic(`${rows} acknowledged rows verified on both hosts; ${failed.length} POSTs in flight on app1 failed with 502`);
  });

  // GETs that failed during the database outages, checked by the last test.
  const failedReads: Outcome[] = [];

  // One load per outage; each asserts the same things.
  async function outage(t: { diagnostic: (s: string) => void }, name: string, down: () => Promise<unknown>, up: () => Promise<unknown>, downMs: number, boundMs: number) {
    const load = new Load(LB, { concurrency: 6, maxMs: 40_000, maxRequests: 40_000, tag: `db-${name}` });
    await sleep(1000);
    const downAt = performance.now();
    await down();
    await sleep(downMs);
    await up();
    const upAt = performance.now();
    // Recovery by itself: keep the load going until requests succeed again, then a little longer.
    let recoveredAt: number | undefined;
    while (performance.now() - upAt < 15_000) {
      const ok = load.results.filter((o) => o.start > upAt && o.status === 200);
      if (ok.some((o) => o.kind === 'post') && ok.some((o) => o.kind === 'get')) {
        recoveredAt = Math.min(...ok.map((o) => o.start + o.ms));
        break;
      }
      await sleep(100);
    }
    await sleep(1000);
    const outcomes = await load.stop();
    t.diagnostic(`${name}: ${describeOutcomes(outcomes)}`);

    const failed = outcomes.filter((o) => o.status !== 200);
    assert.ok(failed.length > 0, 'the outage was felt (some requests failed)');
    const latencies = failed.map((o) => o.ms);
    t.diagnostic(`${name}: failed requests answered in p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
    const allMax = Math.max(...outcomes.map((o) => o.ms));
    assert.ok(allMax < boundMs, `no request hung: the slowest took ${allMax.toFixed(0)} ms (bound ${boundMs} ms)`);
    const posts = failed.filter((o) => o.kind === 'post');
    for (const o of posts) {
      assert.equal(o.status, 503, `a failed POST is the app's 503: ${JSON.stringify(o)}`);
      assert.equal(o.code, 'store-unavailable');
      assert.equal(o.contentType, 'application/problem+json; charset=utf-8');
      assert.ok(o.retryAfter !== undefined && Number(o.retryAfter) > 0, 'with Retry-After');
    }
    const gets = failed.filter((o) => o.kind === 'get');
    const getKinds: Record<string, number> = {};
    for (const o of gets) getKinds[`${o.status} ${o.code}`] = (getKinds[`${o.status} ${o.code}`] ?? 0) + 1;
    t.diagnostic(`${name}: failed GETs by status and code: ${JSON.stringify(getKinds)}`);
    for (const o of gets) {
      assert.equal(o.contentType, 'application/problem+json; charset=utf-8', `a failed GET is a problem document: ${JSON.stringify(o)}`);
      failedReads.push(o);
    }
    for (const o of failed) assert.ok(o.start + o.ms > downAt - 100 && o.start < upAt + 10_000, 'failures only during the outage');
    assert.ok(recoveredAt !== undefined, 'reads and writes succeed again after the database is back, by themselves');
    t.diagnostic(`${name}: database down ${((upAt - downAt) / 1000).toFixed(1)} s; first success ${((recoveredAt - upAt) / 1000).toFixed(2)} s after it was back`);
    const rows = await assertNothingLost(outcomes);

    // A POST answered 503 may still have been committed (its INSERT reached the database before the
    // timeout): it is not lost, and the client was told to retry. Count them for the record.
    const all = new Set((await fullHistory(appUrl(1))).map((r) => r.text));
    const stored503 = posts.filter((o) => all.has(o.text!)).length;
    t.diagnostic(`${name}: ${rows} acknowledged rows verified on both hosts; ${stored503} of ${posts.length} POSTs answered 503 were stored anyway`);
  }

  test('the database stops (pg_ctl stop, 3 s) under load: fast 503 store-unavailable, recovery by itself, nothing acknowledged lost', { timeout: 60_000 }, async (t) => {
    await outage(
      t,
      'stopped',
      () => cluster('stop', 'db'),
      () => cluster('start', 'db'),
      3000,
      3000,
    );
  });

  test("the database hangs (SIGSTOP, 8 s) under load: 503 within the app's timeouts, recovery by itself, nothing acknowledged lost", { timeout: 60_000 }, async (t) => {
    // A hung database answers nothing: the app's pool wait (2 s) and query timeout (5 s) bound each request.
    await outage(
      t,
      'hung',
      () => cluster('pause', 'db'),
      () => cluster('resume', 'db'),
      8000,
      7000,
    );
  });

  test('the database hangs (SIGSTOP, 8 s) while clients retry their 503s with an Idempotency-Key: every text stored exactly once', { timeout: 90_000 }, async (t) => {
    // Each client posts its own texts, each with its own key, and retries a 503 (or a lost
    // connection) with the same key and body until it gets a 200 — as the README tells clients to.
    const lb = new URL(LB);
    const agent = new Agent({ keepAlive: true });
    let stop = false;
    const answered = new Map<string, number>(); // text → the id of its 200
    let retried = 0;
    let replayed = 0; // retries whose first attempt had been committed after all
    const client = async (c: number) => {
      for (let n = 0; !stop; n++) {
        const text = `keyed ${c}-${n} ${Math.random().toString(36).slice(2, 8)}`;
        const key = `key-${c}-${n}-${text.slice(-6)}`;
        for (let attempt = 0; ; attempt++) {
          const r = await send(agent, lb, 'POST', '/analyze', JSON.stringify({ text }), 10_000, { 'idempotency-key': key });
          if (r.status === 200) {
            answered.set(text, (JSON.parse(r.body) as { id: number }).id);
            if (r.headers['idempotent-replayed'] === 'true') replayed++;
            break;
          }
          assert.ok(r.status === 503 || r.status === 0, `only 503s or lost connections while the database hangs: ${r.status} ${r.body}`);
          retried++;
          assert.ok(attempt < 200, 'a retry succeeds once the database is back');
          await sleep(300);
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, c) => client(c));
    await sleep(1000);
    await cluster('pause', 'db');
    await sleep(8000);
    await cluster('resume', 'db');
    await sleep(3000);
    stop = true;
    await Promise.all(clients);
    agent.destroy();
    assert.ok(retried > 0, 'the hang was felt: some requests were retried');

    for (const i of APPS) {
      const rows = (await fullHistory(appUrl(i))).filter((r) => r.text.startsWith('keyed '));
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.text, (counts.get(r.text) ?? 0) + 1);
      assert.deepEqual(
        [...counts].filter(([, n]) => n > 1),
        [],
        `app${i}: no text stored twice`,
      );
      assert.deepEqual(
        [...answered].filter(([text, id]) => !rows.some((r) => r.id === id && r.text === text)),
        [],
        `app${i}: every 200's id holds its text`,
      );
      assert.equal(rows.length, answered.size, `app${i}: nothing stored that was not answered`);
    }
    t.diagnostic(
      `${answered.size} texts answered after ${retried} retries through a database hang (${replayed} retries found their first attempt committed and replayed it); each stored exactly once`,
    );
  });

  test('GET /history answers 503 store-unavailable with Retry-After while the database is down', () => {
    assert.ok(failedReads.length > 0, 'the outages made reads fail');
    assert.deepEqual(
      failedReads.filter((o) => o.status !== 503 || o.code !== 'store-unavailable' || o.retryAfter === undefined).map((o) => `${o.status} ${o.code}`),
      [],
    );
  });

  test('rolling restart of both app hosts under load (SIGTERM, restart, back in rotation, then the other): zero failed requests', { timeout: 90_000 }, async (t) => {
    const load = new Load(LB, { concurrency: 8, maxMs: 60_000, maxRequests: 60_000, tag: 'rolling' });
    await sleep(1000);
    for (const i of APPS) {
      const t0 = performance.now();
      await cluster('stop', `app${i}`);
      const stopped = performance.now();
      await cluster('start', `app${i}`);
      const ready = performance.now();
      await waitInRotation(i);
      t.diagnostic(
        `app${i}: drained and exited in ${((stopped - t0) / 1000).toFixed(2)} s, ready ${((ready - stopped) / 1000).toFixed(2)} s later, back in rotation after ${((performance.now() - ready) / 1000).toFixed(2)} s`,
      );
      await sleep(500);
    }
    await sleep(500);
    const outcomes = await load.stop();
    t.diagnostic(describeOutcomes(outcomes));
    assert.deepEqual(
      outcomes.filter((o) => o.status !== 200).map((o) => ({ kind: o.kind, status: o.status, code: o.code, error: o.error })),
      [],
      'no request failed',
    );
    const rows = await assertNothingLost(outcomes);
    t.diagnostic(`${rows} acknowledged rows verified on both hosts`);
  });
});
