// Overload: far more work than the service can take is shed fast with 503 + Retry-After, the
// service recovers by itself, and what was acknowledged is intact.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { makeApp, tempDir } from './helpers.js';

test('past max-inflight, requests are shed with 503 overloaded; health stays up; then it recovers', async (t) => {
  const { app, store } = await makeApp(t, { maxInflight: 4 });
  // A slow store: every commit takes 300 ms.
  const insert = store.insert.bind(store);
  let slow = true;
  store.insert = async (rows) => {
    if (slow) await new Promise((r) => setTimeout(r, 300));
    return insert(rows);
  };
  const started = Date.now();
  const posts = Array.from({ length: 40 }, (_, i) => app.inject({ method: 'POST', url: '/analyze', payload: { text: `load ${i}` } }).then((res) => ({ res, ms: Date.now() - started })));
  // Health answers while the worker is saturated.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await app.inject({ url: '/livez' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  const results = await Promise.all(posts);
  const ok = results.filter((r) => r.res.statusCode === 200);
  const shed = results.filter((r) => r.res.statusCode === 503);
  assert.equal(ok.length, 4);
  assert.equal(shed.length, 36);
  for (const { res, ms } of shed) {
    assert.equal(res.json().code, 'overloaded');
    assert.equal(res.headers['retry-after'], '1');
    assert.ok(ms < 250, `shed in ${ms} ms, before any commit finished`);
  }
  // Acknowledged rows are stored; shed ones are not.
  const texts = new Set((await app.inject({ url: '/history?limit=100' })).json().map((r: { text: string }) => r.text));
  assert.equal(texts.size, 4);
  for (const { res } of ok) assert.ok(texts.has((await app.inject({ url: `/history/${res.json().id}` })).json().text));
  // Recovers: the next burst within the limit is served in full.
  slow = false;
  const again = await Promise.all(Array.from({ length: 4 }, (_, i) => app.inject({ method: 'POST', url: '/analyze', payload: { text: `after ${i}` } })));
  assert.deepEqual(
    again.map((r) => r.statusCode),
    [200, 200, 200, 200],
  );
});

test('a stalled SQLite database: inserts fail fast with 503 store-unavailable; writes resume after', { timeout: 30_000 }, async (t) => {
  const dbPath = join(tempDir(t), 'stall.db');
  const { app } = await makeApp(t, { dbPath });
  const first = await app.inject({ method: 'POST', url: '/analyze', payload: { text: 'before the stall' } });
  assert.equal(first.statusCode, 200);

  // Another connection takes the write lock and holds it: the store retries on later turns.
  const blocker = new Database(dbPath);
  blocker.exec('BEGIN IMMEDIATE');
  const stuck = app.inject({ method: 'POST', url: '/analyze', payload: { text: 'waits for the lock' } });
  await new Promise((r) => setTimeout(r, 2300));
  // The oldest waiting insert is now older than 2 s: new writes fail at once instead of piling up.
  const t0 = Date.now();
  const fast = await app.inject({ method: 'POST', url: '/analyze', payload: { text: 'during the stall' } });
  assert.equal(fast.statusCode, 503);
  assert.equal(fast.json().code, 'store-unavailable');
  assert.ok(fast.headers['retry-after']);
  assert.ok(Date.now() - t0 < 200, 'failed fast');
  // Reads keep working during the stall (WAL: readers never wait for the writer).
  assert.equal((await app.inject({ url: '/history' })).statusCode, 200);

  blocker.exec('ROLLBACK');
  blocker.close();
  const waited = await stuck;
  assert.ok([200, 503].includes(waited.statusCode), 'the waiting write either committed or failed with 503');
  const after = await app.inject({ method: 'POST', url: '/analyze', payload: { text: 'after the stall' } });
  assert.equal(after.statusCode, 200);
  const texts = (await app.inject({ url: '/history' })).json().map((r: { text: string }) => r.text);
  assert.ok(texts.includes('before the stall') && texts.includes('after the stall'));
  assert.ok(!texts.includes('during the stall'));
  assert.equal(texts.includes('waits for the lock'), waited.statusCode === 200, 'stored exactly when acknowledged');
});

test('the write queue is bounded: past 20,000 waiting rows an insert fails at once', async (t) => {
  const store = new SqliteHistoryStore(join(tempDir(t), 'q.db'));
  t.after(() => store.close());
  const row = { text: 'x', sentiment: 0, subjectivity: 0, engine: 'textblob' as const };
  const big = Array.from({ length: 10_000 }, () => row);
  const a = store.insert(big);
  const b = store.insert(big);
  await assert.rejects(store.insert([row]), /waiting for a commit/);
  assert.equal((await a).length + (await b).length, 20_000);
  assert.equal((await store.insert([row])).length, 1, 'accepts again once the queue drains');
});
