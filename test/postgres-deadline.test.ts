// A hung PostgreSQL (a TCP proxy that stops forwarding, as a frozen server or a dropped route
// looks to the client): every store call made for a request fails within REQUEST_DEADLINE_MS,
// inserts fail at once once a write is stalled or too many rows wait, and the store recovers.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { testConfig } from './helpers.js';
import { buildApp } from '../src/http/app.js';
import { REQUEST_DEADLINE_MS, PostgresHistoryStore } from '../src/store/postgres.js';
import type { NewRow } from '../src/store/history-store.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

/**
 * Forwards to PostgreSQL; `hang()` makes it drop every byte both ways, `resume()` forward again.
 * `loseReplyAfter(sql)`: the next connection to send that SQL has it delivered and executed, and
 * from then on loses every reply — a commit that happened, answered to nobody.
 */
async function hangingProxy(target: URL): Promise<{ url: string; hang: () => void; resume: () => void; loseReplyAfter: (sql: string) => void; close: () => Promise<void> }> {
  let hung = false;
  let trigger: Buffer | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    let muted = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      if (trigger !== undefined && d.includes(trigger)) {
        trigger = undefined;
        muted = true;
      }
      if (!hung) upstream.write(d);
    });
    upstream.on('data', (d) => void (hung || muted || client.write(d)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    hang: () => void (hung = true),
    resume: () => void (hung = false),
    loseReplyAfter: (sql) => void (trigger = Buffer.from(sql)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const row = (text: string): NewRow => ({ text, sentiment: 0, subjectivity: 0, engine: 'textblob' });

/** A store in a throw-away schema, connected through a proxy the test can make hang. */
async function storeBehindProxy(t: { after: (fn: () => unknown) => void }) {
  const { schema, drop } = await pgSchema();
  t.after(drop);
  const proxy = await hangingProxy(new URL(PG_URL));
  t.after(proxy.close);
  const store = await PostgresHistoryStore.open(proxy.url, { schema });
  t.after(async () => {
    proxy.resume();
    await store.close();
  });
  return { proxy, store, schema };
}

/** How long a call takes to settle, and whether it failed. */
async function timed(p: Promise<unknown>): Promise<{ ms: number; failed: boolean }> {
  const t0 = performance.now();
  const failed = await p.then(
    () => false,
    () => true,
  );
  return { ms: performance.now() - t0, failed };
}

test('PostgreSQL hangs: every request call fails within the deadline, then the store recovers', { timeout: 60_000 }, async (t) => {
  const skip = await pgAvailable();
  if (skip) return t.skip(skip);
  const { proxy, store } = await storeBehindProxy(t);
  await store.insert([row('before')]);

  proxy.hang();
  // Inserts arriving over several event-loop turns: 4 batches in flight, the rest queued behind
  // them (before, a queued one waited for those and then for its own query: ~14 s).
  const writes: Promise<{ ms: number; failed: boolean }>[] = [];
  for (let i = 0; i < 12; i++) {
    writes.push(timed(store.insert([row(`hung ${i}`)])));
    await new Promise((r) => setImmediate(r));
  }
  const reads = [timed(store.newestPageJson(50)), timed(store.list({ limit: 10, before: 1000 })), timed(store.get(1)), timed(store.rowsAfter(0, 10)), timed(store.ping())];
  // Past STALL_MS with writes in flight, a new insert fails at once.
  await new Promise((r) => setTimeout(r, 2200));
  const fast = await timed(store.insert([row('during the stall')]));
  assert.ok(fast.failed && fast.ms < 50, `failed at once (${fast.ms.toFixed(0)} ms)`);

  const results = await Promise.all([...writes, ...reads]);
  const slowest = Math.max(...results.map((r) => r.ms));
  for (const r of results) assert.ok(r.failed, 'failed');
  assert.ok(slowest < REQUEST_DEADLINE_MS + 300, `the slowest failure took ${slowest.toFixed(0)} ms`);
  t.diagnostic(`hung PostgreSQL: slowest failure after ${slowest.toFixed(0)} ms (deadline ${REQUEST_DEADLINE_MS} ms)`);

  proxy.resume();
  // The abandoned queries end at query_timeout (5 s) and free their connections; writes resume.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await store.insert([row('after')]);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const texts = JSON.parse((await store.newestPageJson(50)).json).map((r: { text: string }) => r.text);
  assert.equal(texts[0], 'after');
  assert.ok(texts.includes('before'));
  assert.ok(!texts.includes('during the stall'));
});

test('PostgreSQL: past 20,000 rows waiting for a commit an insert fails at once', { timeout: 30_000 }, async (t) => {
  const skip = await pgAvailable();
  if (skip) return t.skip(skip);
  const { proxy, store } = await storeBehindProxy(t);
  proxy.hang();
  const waiting = timed(store.insert(Array.from({ length: 15_000 }, (_, i) => row(`w${i}`))));
  const over = await timed(store.insert(Array.from({ length: 6_000 }, (_, i) => row(`o${i}`))));
  assert.ok(over.failed && over.ms < 50, `failed at once (${over.ms.toFixed(0)} ms)`);
  assert.equal((await waiting).failed, true);
});

test('a retry after PostgreSQL lost the answer to a commit: with an Idempotency-Key it never stores twice', { timeout: 60_000 }, async (t) => {
  const skip = await pgAvailable();
  if (skip) return t.skip(skip);
  const { proxy, store, schema } = await storeBehindProxy(t);
  const app = await buildApp({ config: testConfig({ databaseUrl: PG_URL }), store, logger: false });
  t.after(() => app.close());
  const rowsWith = async (text: string): Promise<number[]> => {
    const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      return (await c.query<{ id: string }>('SELECT id FROM analyses WHERE text = $1 ORDER BY id', [text])).rows.map((r) => Number(r.id));
    } finally {
      await c.end();
    }
  };
  const post = (text: string, key?: string) =>
    app.inject({ method: 'POST', url: '/analyze', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, payload: JSON.stringify({ text }) });
  /** A client's retries: while the store is stalled (the lost write runs until query_timeout) it answers 503 at once. */
  const retry = async (text: string, key?: string) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await post(text, key);
      if (res.statusCode !== 503 || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  // Without a key: the INSERT commits, its answer is lost, the client gets a 503 and retries — twice stored.
  proxy.loseReplyAfter('INSERT INTO analyses');
  const lost = await post('no key');
  assert.equal(lost.statusCode, 503);
  assert.equal(lost.json().code, 'store-unavailable');
  assert.equal((await rowsWith('no key')).length, 1, 'the lost commit happened');
  assert.equal((await retry('no key')).statusCode, 200);
  assert.equal((await rowsWith('no key')).length, 2, 'without a key the retry stores again');

  // With a key: the COMMIT happens, its answer is lost (503); the retry replays the committed row.
  proxy.loseReplyAfter('COMMIT');
  const first = await post('with a key', 'retry-1');
  assert.equal(first.statusCode, 503);
  assert.match(first.json().detail, /same Idempotency-Key/);
  const committed = await rowsWith('with a key');
  assert.equal(committed.length, 1, 'the commit happened');
  const replayed = await retry('with a key', 'retry-1');
  assert.equal(replayed.statusCode, 200);
  assert.equal(replayed.headers['idempotent-replayed'], 'true');
  assert.equal(replayed.json().id, committed[0]);
  assert.deepEqual(await rowsWith('with a key'), committed, 'stored once');

  // And when the database hangs before anything reached it, the retry stores it (once).
  proxy.hang();
  const hung = await post('hung', 'retry-2');
  assert.equal(hung.statusCode, 503);
  proxy.resume();
  const again = await retry('hung', 'retry-2');
  assert.equal(again.statusCode, 200);
  assert.deepEqual(await rowsWith('hung'), [again.json().id]);
});
