// POST /analyze/batch with {"documents": [{id, text}]}: each document on its own — results and
// errors by id, the good ones stored in one transaction; the {"texts": [...]} shape is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryRow } from '../src/store/history-store.js';
import { makeApp } from './helpers.js';

const post = (app: Awaited<ReturnType<typeof makeApp>>['app'], body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/analyze/batch', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

test('documents: good ones answered and stored in one transaction, bad ones listed by id', async (t) => {
  const { app, store } = await makeApp(t, { maxTextChars: 50 });
  const commits: (readonly HistoryRow[])[] = [];
  store.onCommit((rows) => commits.push(rows));
  const res = await post(app, {
    documents: [{ id: 'a', text: 'I love it' }, { id: 'b', text: 7 }, { id: 'c' }, { id: 'd', text: 'x'.repeat(51) }, { id: 'e', text: 'bad \ud800' }, { id: 'f', text: 'awful' }],
    engine: 'vader',
  });
  assert.equal(res.statusCode, 200);
  const { results, errors } = res.json();
  assert.deepEqual(
    results.map((r: { id: string; label: string; engine: string }) => [r.id, r.label, r.engine]),
    [
      ['a', 'positive', 'vader'],
      ['f', 'negative', 'vader'],
    ],
  );
  assert.deepEqual(
    errors.map((e: { id: string; code: string }) => [e.id, e.code]),
    [
      ['b', 'text-not-string'],
      ['c', 'text-required'],
      ['d', 'text-too-long'],
      ['e', 'invalid-text'],
    ],
  );
  for (const e of errors) assert.ok(e.title && e.detail, 'every error has a title and a detail');
  // The history ids of the stored documents, in one commit.
  assert.equal(commits.length, 1);
  assert.deepEqual(
    commits[0]!.map((r) => r.id),
    results.map((r: { historyId: number }) => r.historyId),
  );
  assert.deepEqual(
    commits[0]!.map((r) => r.text),
    ['I love it', 'awful'],
  );
  assert.equal(await store.count(), 2);
  // A result is the /analyze answer with the document's id; scores equal the single-text ones.
  const single = (
    await app.inject({ method: 'POST', url: '/analyze', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'awful', engine: 'vader', store: false }) })
  ).json();
  const { id: _id, historyId: _h, createdAt: _c, ...score } = results[1];
  assert.deepEqual(score, single);
});

test('documents: request-level mistakes reject the whole batch and store nothing', async (t) => {
  const { app, store } = await makeApp(t, { batchMax: 3 });
  const cases: [unknown, number, string][] = [
    [
      {
        documents: [
          { id: 'a', text: 'x' },
          { id: 'a', text: 'y' },
        ],
      },
      400,
      'invalid-request',
    ], // duplicate id
    [{ documents: [{ text: 'x' }] }, 400, 'invalid-request'], // no id
    [{ documents: [{ id: '', text: 'x' }] }, 400, 'invalid-request'],
    [{ documents: [{ id: 5, text: 'x' }] }, 400, 'invalid-request'],
    [{ documents: [{ id: 'a', text: 'x' }], texts: ['x'] }, 400, 'invalid-request'], // both shapes
    [{}, 400, 'invalid-request'],
    [{ documents: 'a' }, 400, 'invalid-request'],
    [{ documents: ['a', 'b', 'c', 'd'].map((id) => ({ id, text: id })) }, 422, 'batch-too-large'],
  ];
  for (const [body, status, code] of cases) {
    const res = await post(app, body);
    assert.equal(res.statusCode, status, JSON.stringify(body));
    assert.equal(res.json().code, code);
  }
  assert.equal(await store.count(), 0);
});

test('documents: store false, all bad, an Idempotency-Key, and the texts shape as before', async (t) => {
  const { app, store } = await makeApp(t);
  const unstored = (await post(app, { documents: [{ id: 'x', text: 'good' }], store: false })).json();
  assert.equal(unstored.results[0].historyId, undefined);
  assert.equal(unstored.results[0].createdAt, undefined);
  assert.deepEqual(
    (
      await post(app, {
        documents: [
          { id: 'x', text: 1 },
          { id: 'y', text: null },
        ],
      })
    ).json().results,
    [],
  );
  assert.equal(await store.count(), 0);

  const body = {
    documents: [
      { id: 'p', text: 'good' },
      { id: 'q', text: 2 },
      { id: 'r', text: 'bad' },
    ],
  };
  const first = await post(app, body, { 'idempotency-key': 'docs-1' });
  const again = await post(app, body, { 'idempotency-key': 'docs-1' });
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), first.json());
  assert.equal(await store.count(), 2);
  // Another id for the same text is another request.
  const renamed = await post(
    app,
    {
      documents: [
        { id: 'P', text: 'good' },
        { id: 'q', text: 2 },
        { id: 'r', text: 'bad' },
      ],
    },
    { 'idempotency-key': 'docs-1' },
  );
  assert.equal(renamed.statusCode, 422);

  const texts = await post(app, { texts: ['good', 'bad'] });
  assert.ok(Array.isArray(texts.json()));
  assert.deepEqual(
    texts.json().map((r: { id: number }) => typeof r.id),
    ['number', 'number'],
  );
  const spec = (await app.inject({ url: '/openapi.json' })).json();
  const batchBody = spec.paths['/analyze/batch'].post.requestBody.content['application/json'].schema;
  assert.ok(batchBody.properties.documents && batchBody.properties.texts);
});
