// A hung PostgreSQL (a TCP proxy that stops forwarding, as a frozen server or a dropped route
// looks to the client): every store call made for a request fails within REQUEST_DEADLINE_MS,
// inserts fail at once once a write is stalled or too many rows wait, and the store recovers.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { REQUEST_DEADLINE_MS, PostgresHistoryStore } from '../src/store/postgres.js';
import type { NewRow } from '../src/store/history-store.js';
import { PG_URL, pgAvailable, pgSchema } from './pg-helpers.js';

/** Forwards to PostgreSQL; `hang()` makes it drop every byte both ways, `resume()` forward again. */
async function hangingProxy(target: URL): Promise<{ url: string; hang: () => void; resume: () => void; close: () => Promise<void> }> {
  let hung = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => void (hung || upstream.write(d)));
    upstream.on('data', (d) => void (hung || client.write(d)));
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
  return { proxy, store };
}

/** How long a call takes to settle, and whether it failed. */
async function timed(p: Promise<unknown>): Promise<{ ms: number; failed: boolean }> {
  const t0 = performance.now();
  const failed = await p.then(() => false, () => true);
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
  const reads = [
    timed(store.newestPageJson(50)),
    timed(store.list({ limit: 10, before: 1000 })),
    timed(store.get(1)),
    timed(store.rowsAfter(0, 10)),
    timed(store.ping()),
  ];
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
