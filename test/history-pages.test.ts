// GET /history over big rows: every page within PAGE_MAX_BYTES, the Link header walks every row
// exactly once; a failing store read is a 503, never a crashed worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE_MAX_BYTES } from '../src/store/history-store.js';
import { makeApp } from './helpers.js';

/** Follows the Link headers from `path`; returns every page's ids and body size. */
async function walk(app: Awaited<ReturnType<typeof makeApp>>['app'], path: string): Promise<{ ids: number[]; pages: number[] }> {
  const ids: number[] = [];
  const pages: number[] = [];
  for (let next: string | undefined = path; next !== undefined; ) {
    const res: Awaited<ReturnType<typeof app.inject>> = await app.inject({ method: 'GET', url: next });
    assert.equal(res.statusCode, 200, res.body);
    pages.push(res.rawPayload.length);
    ids.push(...(res.json() as { id: number }[]).map((r) => r.id));
    const link = res.headers['link'];
    next = typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
  }
  return { ids, pages };
}

test('GET /history?limit=1000 over 20,000-character rows: pages of at most 1 MiB, every row once', async (t) => {
  const { app, store } = await makeApp(t);
  const n = 300; // 8.4 MB of JSON (a row's text is 28,000 bytes: 4,000 × a b \" c é)
  for (let at = 0; at < n; at += 100) {
    await store.insert(Array.from({ length: 100 }, (_, i) => ({ text: `${at + i} ${'ab"c\u00e9'.repeat(4000)}`, sentiment: 0, subjectivity: 0, engine: 'textblob' as const })));
  }
  const all = (await store.rowsAfter(0, n)).map((r) => r.id).reverse();
  for (const limit of [1000, 200, 50]) {
    const { ids, pages } = await walk(app, `/history?limit=${limit}`);
    assert.deepEqual(ids, all, `limit ${limit}: every row exactly once, newest first`);
    for (const bytes of pages) assert.ok(bytes <= PAGE_MAX_BYTES, `limit ${limit}: a page of ${bytes} bytes`);
    if (limit > 50) assert.ok(pages.length > 1 && pages.length <= Math.ceil((n * 28_200) / PAGE_MAX_BYTES) + 1, `limit ${limit}: ${pages.length} pages`);
  }
});

test('a failed read of the newest rows answers 503 store-unavailable and the worker lives on', async (t) => {
  const { app, store } = await makeApp(t);
  await store.insert([{ text: 'kept', sentiment: 0, subjectivity: 0, engine: 'textblob' }]);
  // What a crash recovery by another process looks like to this one: SQLITE_BUSY on a read, thrown
  // inside the store's setImmediate. Uncaught there, it would end this test process.
  const original = (store as unknown as { refreshCache: () => void }).refreshCache;
  (store as unknown as { refreshCache: () => void }).refreshCache = () => {
    throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  };
  const failed = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'GET', url: '/history' })));
  for (const res of failed) {
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().type.endsWith('store-unavailable'), true, res.body);
    assert.doesNotMatch(res.body, /SQLITE_BUSY|locked/);
  }
  (store as unknown as { refreshCache: () => void }).refreshCache = original;
  const ok = await app.inject({ method: 'GET', url: '/history' });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(
    ok.json().map((r: { text: string }) => r.text),
    ['kept'],
  );
});
