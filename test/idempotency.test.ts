// Idempotency-Key on POST /analyze and /analyze/batch: a retry with the same key and request
// answers the first answer (same ids) and stores nothing; another request with the key is a 422.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeApp, tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

const json = { 'content-type': 'application/json' };

test('the same key and request replays the first answer; nothing is stored twice', async (t) => {
  const { app, store } = await makeApp(t);
  const post = (key: string, body: unknown, url = '/analyze') => app.inject({ method: 'POST', url, headers: { ...json, 'idempotency-key': key }, payload: JSON.stringify(body) });

  const first = await post('order-1', { text: 'Not bad at all!', explain: true, sentences: true });
  assert.equal(first.statusCode, 200);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  const again = await post('order-1', { text: 'Not bad at all!', explain: true, sentences: true });
  assert.equal(again.statusCode, 200);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), first.json(), 'the whole answer, ids and time included');
  // The IETF draft's structured-field spelling is the same key.
  const quoted = await post('"order-1"', { text: 'Not bad at all!', explain: true, sentences: true });
  assert.deepEqual(quoted.json(), first.json());
  assert.equal(await store.count(), 1);

  // The same key with another request: refused, nothing stored.
  for (const other of [{ text: 'Not bad at all' }, { text: 'Not bad at all!', explain: true }, { text: 'Not bad at all!', explain: true, sentences: true, engine: 'vader' }]) {
    const res = await post('order-1', other);
    assert.equal(res.statusCode, 422, JSON.stringify(other));
    assert.equal(res.json().code, 'idempotency-key-reused');
  }
  const batchWithKey = await post('order-1', { texts: ['Not bad at all!'], explain: true, sentences: true }, '/analyze/batch');
  assert.equal(batchWithKey.statusCode, 422, 'the route is part of the request');
  assert.equal(await store.count(), 1);

  // Without a key, the same request stores again (what the key is for).
  const plain = await app.inject({ method: 'POST', url: '/analyze', headers: json, payload: JSON.stringify({ text: 'Not bad at all!' }) });
  assert.notEqual(plain.json().id, first.json().id);
  assert.equal(await store.count(), 2);
});

test('a batch with a key: replayed with every id in order; the history holds it once', async (t) => {
  const { app, store } = await makeApp(t);
  const body = JSON.stringify({ texts: ['good', 'bad', 'a table', 'good'], engine: 'blend' });
  const send = () => app.inject({ method: 'POST', url: '/analyze/batch', headers: { ...json, 'idempotency-key': 'b-7' }, payload: body });
  const first = await send();
  assert.equal(first.statusCode, 200);
  const ids = first.json().map((r: { id: number }) => r.id);
  assert.equal(new Set(ids).size, 4);
  const again = await send();
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), first.json());
  assert.equal(await store.count(), 4);
  const history = (await app.inject({ method: 'GET', url: '/history' })).json();
  assert.deepEqual(
    history.map((r: { id: number }) => r.id),
    [...ids].reverse(),
  );
});

test('an invalid key is a 400 and changes nothing; "store": false ignores the key', async (t) => {
  const { app, store } = await makeApp(t);
  const bad = ['', ' ', 'x'.repeat(256), 'caf\u00e9', 'tab\there', '""'];
  for (const key of bad) {
    const res = await app.inject({ method: 'POST', url: '/analyze', headers: { ...json, 'idempotency-key': key }, payload: '{"text":"good"}' });
    assert.equal(res.statusCode, 400, JSON.stringify(key));
    assert.equal(res.json().code, 'invalid-idempotency-key');
  }
  const longest = await app.inject({ method: 'POST', url: '/analyze', headers: { ...json, 'idempotency-key': 'x'.repeat(255) }, payload: '{"text":"good"}' });
  assert.equal(longest.statusCode, 200);
  assert.equal(await store.count(), 1);

  const unstored = await app.inject({ method: 'POST', url: '/analyze', headers: { ...json, 'idempotency-key': 'k' }, payload: '{"text":"good","store":false}' });
  assert.equal(unstored.statusCode, 200);
  assert.equal(unstored.json().id, undefined);
  // The key was not remembered: another request with it stores.
  const stored = await app.inject({ method: 'POST', url: '/analyze', headers: { ...json, 'idempotency-key': 'k' }, payload: '{"text":"bad"}' });
  assert.equal(stored.statusCode, 200);
  assert.equal(await store.count(), 2);
});

test('two workers: concurrent retries with one key store once and all answer the same id', { timeout: 60_000 }, async (t) => {
  const db = join(tempDir(t), 'history.db');
  const server = await startServer(['--db', db, '--workers', '2']);
  t.after(async () => {
    server.signal('SIGTERM');
    await server.exited;
  });
  for (let round = 0; round < 5; round++) {
    // New connections each time (no keep-alive), so the requests spread over both workers.
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        fetch(`${server.url}/analyze`, {
          method: 'POST',
          headers: { ...json, 'idempotency-key': `round-${round}`, connection: 'close' },
          body: JSON.stringify({ text: `retried ${round}` }),
        }).then(async (r) => ({ status: r.status, replayed: r.headers.get('idempotent-replayed'), body: (await r.json()) as { id: number } })),
      ),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1, `round ${round}: one id`);
    assert.equal(answers.filter((a) => a.replayed === null).length, 1, 'one answer stored, the others replayed');
  }
  const history = (await (await fetch(`${server.url}/history?limit=100`)).json()) as { text: string }[];
  assert.deepEqual(
    history.map((r) => r.text),
    [4, 3, 2, 1, 0].map((i) => `retried ${i}`),
  );

  // Two Idempotency-Key headers (Node would join them into one value "a, b"): refused.
  const { hostname, port } = new URL(server.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket
      .setEncoding('utf8')
      .on('data', (d: string) => (data += d))
      .on('end', () => resolve(data))
      .on('error', reject);
    const body = '{"text":"twice"}';
    socket.write(
      `POST /analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.match(answer, /"code":"invalid-idempotency-key"/);
  assert.equal(((await (await fetch(`${server.url}/history?limit=100`)).json()) as unknown[]).length, 5);
});
