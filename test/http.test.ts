// HTTP-level tests with app.inject(): every endpoint, every error, and the seed's contract.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { analyze } from '../src/engine/index.js';
import { PROBLEMS } from '../src/http/errors.js';
import { makeApp } from './helpers.js';

const TOKEN = 'test-admin-token-0123456789';

async function post(app: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}

async function historyTexts(app: FastifyInstance): Promise<string[]> {
  const res = await app.inject({ url: '/history?limit=1000' });
  return res.json().map((r: { text: string }) => r.text);
}

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> }, status: number, code: string) {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(body.type, `/problems/${code}`);
  assert.equal(typeof body.title, 'string');
}

describe('POST /analyze', () => {
  test('the seed contract: {"text"} in, {"sentiment"} out, exactly the engine polarity, stored', async (t) => {
    const { app } = await makeApp(t);
    const text = 'This is a test text for sentiment analysis. I love it, but the ending was not good!';
    const res = await post(app, '/analyze', { text });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    const expected = analyze(text);
    assert.equal(body.sentiment, expected.polarity);
    assert.equal(body.subjectivity, expected.subjectivity);
    assert.equal(body.label, expected.polarity > 0 ? 'positive' : expected.polarity < 0 ? 'negative' : 'neutral');
    assert.equal(typeof body.id, 'number');
    assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
    assert.equal(body.assessments, undefined);
    const history = (await app.inject({ url: '/history' })).json();
    assert.deepEqual(history[0], { id: body.id, text, sentiment: body.sentiment, subjectivity: body.subjectivity, label: body.label, engine: 'textblob', createdAt: body.createdAt });
  });

  test('charset in the content type and extra fields are accepted', async (t) => {
    const { app } = await makeApp(t);
    const res = await post(app, '/analyze', { text: 'fine', client: 'seed', extra: [1] }, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(res.statusCode, 200);
  });

  test('store=false analyses without storing; explain=true adds the assessments', async (t) => {
    const { app } = await makeApp(t);
    const res = await post(app, '/analyze', { text: 'very good :)', store: false, explain: true });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.id, undefined);
    assert.equal(body.createdAt, undefined);
    // TextBlob's assessments, each with one [offset, length] per word as a fifth element.
    assert.deepEqual(
      body.assessments.map((a: unknown[]) => a.slice(0, 4)),
      analyze('very good :)').assessments,
    );
    assert.deepEqual(
      body.assessments.map((a: unknown[]) => a[4]),
      [
        [
          [0, 4],
          [5, 4],
        ],
        [[10, 2]],
      ],
    );
    assert.deepEqual(await historyTexts(app), []);
  });

  test('text is stored as received and given back byte for byte', async (t) => {
    const { app } = await makeApp(t);
    const texts = ['nul \u0000 inside', '😀👍🏽 emoji', '  leading and trailing  ', 'multi\r\nline', '<script>alert(1)</script>', ''];
    const ids: number[] = [];
    for (const text of texts) {
      const res = await post(app, '/analyze', { text });
      assert.equal(res.statusCode, 200, text);
      ids.push(res.json().id);
    }
    for (let i = 0; i < texts.length; i++) {
      const one = await app.inject({ url: `/history/${ids[i]}` });
      assert.equal(one.json().text, texts[i]);
    }
  });

  test('a text of exactly the limit passes; one more character is 422 (code points, not UTF-16 units)', async (t) => {
    const { app } = await makeApp(t, { maxTextChars: 10 });
    assert.equal((await post(app, '/analyze', { text: '😀'.repeat(10) })).statusCode, 200);
    const res = await post(app, '/analyze', { text: 'x'.repeat(11) });
    assertProblem(res, 422, 'text-too-long');
    assert.equal(res.json().limit, 10);
    assert.equal(res.json().length, 11);
  });

  const bad: [string, { body: string; headers?: Record<string, string> }, number, string][] = [
    ['malformed JSON', { body: '{"text": "unterminated' }, 400, 'malformed-json'],
    ['empty body', { body: '' }, 400, 'malformed-json'],
    ['missing text', { body: '{"txt": "typo"}' }, 400, 'text-required'],
    ['text is a number', { body: '{"text": 42}' }, 400, 'text-not-string'],
    ['text is null', { body: '{"text": null}' }, 400, 'text-not-string'],
    ['text is an array', { body: '{"text": ["a"]}' }, 400, 'text-not-string'],
    ['body is an array', { body: '["text"]' }, 400, 'invalid-request'],
    ['body is a string', { body: '"text"' }, 400, 'invalid-request'],
    ['body is null', { body: 'null' }, 400, 'invalid-request'],
    ['store is not boolean', { body: '{"text": "a", "store": "no"}' }, 400, 'invalid-request'],
    ['lone surrogate', { body: '{"text": "bad \\ud800 half"}' }, 422, 'invalid-text'],
    ['text/plain', { body: 'hello', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported-media-type'],
    ['form encoded', { body: 'text=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported-media-type'],
    ['body over 64 KiB', { body: JSON.stringify({ text: 'a'.repeat(70 * 1024) }) }, 413, 'body-too-large'],
    ['text over 20,000 characters', { body: JSON.stringify({ text: 'a '.repeat(15000) }) }, 422, 'text-too-long'],
  ];
  for (const [name, req, status, code] of bad) {
    test(`${name} → ${status} ${code}, nothing stored`, async (t) => {
      const { app } = await makeApp(t);
      const res = await post(app, '/analyze', req.body, req.headers);
      assertProblem(res, status, code);
      assert.deepEqual(await historyTexts(app), []);
      assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
    });
  }

  test('invalid UTF-8 in the body → 400, never silently replaced', async (t) => {
    const { app } = await makeApp(t);
    const body = Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await app.inject({ method: 'POST', url: '/analyze', payload: body, headers: { 'content-type': 'application/json' } });
    assertProblem(res, 400, 'malformed-json');
    assert.deepEqual(await historyTexts(app), []);
  });

  test('no content type → 415', async (t) => {
    const { app } = await makeApp(t);
    const res = await app.inject({ method: 'POST', url: '/analyze', payload: Buffer.from('{"text":"a"}') });
    assertProblem(res, 415, 'unsupported-media-type');
  });
});

describe('POST /analyze/batch', () => {
  test('answers in order, stores every text', async (t) => {
    const { app } = await makeApp(t);
    const texts = ['good', 'bad', 'meh', 'great!'];
    const res = await post(app, '/analyze/batch', { texts });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.length, 4);
    body.forEach((r: { sentiment: number; id: number }, i: number) => assert.equal(r.sentiment, analyze(texts[i]!).polarity));
    assert.deepEqual(await historyTexts(app), [...texts].reverse());
  });

  test('over the maximum → 422; a bad element → 400; nothing stored', async (t) => {
    const { app } = await makeApp(t, { batchMax: 3 });
    assertProblem(await post(app, '/analyze/batch', { texts: ['a', 'b', 'c', 'd'] }), 422, 'batch-too-large');
    assertProblem(await post(app, '/analyze/batch', { texts: ['a', 7] }), 400, 'invalid-request');
    assertProblem(await post(app, '/analyze/batch', { texts: 'a' }), 400, 'invalid-request');
    assertProblem(await post(app, '/analyze/batch', { texts: ['ok', 'bad \ud800'] }), 422, 'invalid-text');
    assert.deepEqual(await historyTexts(app), []);
    assert.deepEqual((await post(app, '/analyze/batch', { texts: [] })).json(), []);
  });
});

describe('GET /history', () => {
  test('default page of 50, newest first, Link header walks every page', async (t) => {
    const { app, store } = await makeApp(t);
    await store.insert(Array.from({ length: 120 }, (_, i) => ({ text: `row ${i}`, sentiment: 0, subjectivity: 0, engine: 'textblob' as const })));
    let url: string | undefined = '/history';
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const res: Awaited<ReturnType<typeof app.inject>> = await app.inject({ url });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      seen.push(...res.json().map((r: { text: string }) => r.text));
      pages++;
      const link = res.headers['link'] as string | undefined;
      url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 120);
    assert.equal(seen[0], 'row 119');
    assert.equal(seen[119], 'row 0');
  });

  test('limit bounds: 1..1000; before must be a positive integer', async (t) => {
    const { app, store } = await makeApp(t);
    await store.insert(Array.from({ length: 3 }, (_, i) => ({ text: `r${i}`, sentiment: 0, subjectivity: 0, engine: 'textblob' as const })));
    assert.equal((await app.inject({ url: '/history?limit=2' })).json().length, 2);
    assert.equal((await app.inject({ url: '/history?limit=1000' })).json().length, 3);
    assertProblem(await app.inject({ url: '/history?limit=1001' }), 400, 'invalid-request');
    assertProblem(await app.inject({ url: '/history?limit=0' }), 400, 'invalid-request');
    assertProblem(await app.inject({ url: '/history?limit=ten' }), 400, 'invalid-request');
    assertProblem(await app.inject({ url: '/history?before=abc' }), 400, 'invalid-cursor');
    assertProblem(await app.inject({ url: '/history?before=0' }), 400, 'invalid-cursor');
    const last = (await app.inject({ url: '/history?limit=1' })).json()[0];
    assert.deepEqual(
      (await app.inject({ url: `/history?before=${last.id}` })).json().map((r: { text: string }) => r.text),
      ['r1', 'r0'],
    );
  });

  test('an empty history is [] with no Link; HEAD works', async (t) => {
    const { app } = await makeApp(t);
    const res = await app.inject({ url: '/history' });
    assert.equal(res.body, '[]');
    assert.equal(res.headers['link'], undefined);
    assert.equal((await app.inject({ method: 'HEAD', url: '/history' })).statusCode, 200);
  });

  test('GET /history/:id: a row, or 404', async (t) => {
    const { app } = await makeApp(t);
    const id = (await post(app, '/analyze', { text: 'hello' })).json().id;
    assert.equal((await app.inject({ url: `/history/${id}` })).json().text, 'hello');
    assertProblem(await app.inject({ url: `/history/${id + 1}` }), 404, 'not-found');
    assertProblem(await app.inject({ url: '/history/abc' }), 404, 'not-found');
    assertProblem(await app.inject({ url: '/history/-1' }), 404, 'not-found');
  });
});

describe('DELETE /history', () => {
  test('disabled (403) when no admin token is configured', async (t) => {
    const { app } = await makeApp(t);
    await post(app, '/analyze', { text: 'keep me' });
    assertProblem(await app.inject({ method: 'DELETE', url: '/history' }), 403, 'deletion-disabled');
    assertProblem(await app.inject({ method: 'DELETE', url: '/history/1', headers: { authorization: `Bearer ${TOKEN}` } }), 403, 'deletion-disabled');
    assert.deepEqual(await historyTexts(app), ['keep me']);
  });

  test('401 without the right token; with it, one row or all', async (t) => {
    const { app } = await makeApp(t, { adminToken: TOKEN });
    const a = (await post(app, '/analyze', { text: 'a' })).json().id;
    await post(app, '/analyze', { text: 'b' });
    await post(app, '/analyze', { text: 'c' });
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer']) {
      const res = await app.inject({ method: 'DELETE', url: '/history', headers: authorization ? { authorization } : {} });
      assertProblem(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="polarity"');
    }
    assert.deepEqual(await historyTexts(app), ['c', 'b', 'a']);
    const one = await app.inject({ method: 'DELETE', url: `/history/${a}`, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(one.statusCode, 204);
    assertProblem(await app.inject({ method: 'DELETE', url: `/history/${a}`, headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'not-found');
    assert.deepEqual(await historyTexts(app), ['c', 'b']);
    const all = await app.inject({ method: 'DELETE', url: '/history', headers: { authorization: `bearer ${TOKEN}` } });
    assert.deepEqual(all.json(), { deleted: 2 });
    assert.deepEqual(await historyTexts(app), []);
  });
});

describe('routing, operations, headers', () => {
  test('unknown route → 404; wrong method → 405 with Allow', async (t) => {
    const { app } = await makeApp(t);
    assertProblem(await app.inject({ url: '/nope' }), 404, 'not-found');
    assertProblem(await app.inject({ method: 'POST', url: '/history/1/x' }), 404, 'not-found');
    const cases: [string, string, string][] = [
      ['GET', '/analyze', 'POST'],
      ['PUT', '/analyze', 'POST'],
      ['GET', '/analyze/batch', 'POST'],
      ['POST', '/history', 'GET, DELETE, HEAD'],
      ['PATCH', '/history/3', 'GET, DELETE, HEAD'],
      ['POST', '/livez', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const res = await app.inject({ method: method as 'GET', url });
      assertProblem(res, 405, 'method-not-allowed');
      assert.equal(res.headers['allow'], allow, `${method} ${url}`);
    }
  });

  test('livez, readyz, metrics, openapi', async (t) => {
    const { app } = await makeApp(t);
    await post(app, '/analyze', { text: 'good' });
    await post(app, '/analyze', { text: 'x', store: false });
    assert.deepEqual((await app.inject({ url: '/livez' })).json(), { status: 'alive' });
    assert.deepEqual((await app.inject({ url: '/readyz' })).json(), { status: 'ready' });
    const metrics = await app.inject({ url: '/metrics' });
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^http_requests_total\{method="POST",route="\/analyze",status_code="200"\} 2$/m);
    assert.match(metrics.body, /^http_request_duration_seconds_bucket\{method="POST",route="\/analyze",status_code="200",le="\+Inf"\} 2$/m);
    assert.match(metrics.body, /^polarity_analyses_total\{engine="textblob",stored="true"\} 1$/m);
    assert.match(metrics.body, /^polarity_analyses_total\{engine="textblob",stored="false"\} 1$/m);
    assert.match(metrics.body, /^polarity_history_rows 1$/m);
    assert.match(metrics.body, /^polarity_store_write_duration_seconds_count \d+$/m);
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(spec.openapi, '3.1.0');
    for (const path of ['/analyze', '/analyze/batch', '/history', '/history/{id}', '/history/stream', '/livez', '/readyz', '/metrics']) {
      assert.ok(spec.paths[path], `${path} documented`);
    }
    assert.ok(spec.paths['/analyze'].post.requestBody);
  });

  test('readyz is 503 while shutting down', async (t) => {
    const { app } = await makeApp(t);
    app.ctx.shuttingDown = true;
    assertProblem(await app.inject({ url: '/readyz' }), 503, 'store-unavailable');
  });

  test('a failing store answers 503 with Retry-After and leaks nothing', async (t) => {
    const { app, store } = await makeApp(t);
    store.insert = async () => {
      throw new Error('SQLITE_IOERR: secret path /var/lib/x');
    };
    const res = await post(app, '/analyze', { text: 'x' });
    assertProblem(res, 503, 'store-unavailable');
    assert.equal(res.headers['retry-after'], '2');
    assert.doesNotMatch(res.body, /SQLITE|secret/);
  });

  test('security headers on every answer', async (t) => {
    const { app } = await makeApp(t);
    for (const url of ['/history', '/nope', '/livez']) {
      const res = await app.inject({ url });
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
    }
  });

  test('CORS: same origin only by default; an allow-list; preflight', async (t) => {
    const { app } = await makeApp(t);
    const plain = await app.inject({ url: '/history', headers: { origin: 'https://evil.example' } });
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
    const { app: open } = await makeApp(t, { corsOrigins: ['https://app.example'] });
    const ok = await open.inject({ url: '/history', headers: { origin: 'https://app.example' } });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(ok.headers['vary'], 'Origin');
    const pre = await open.inject({ method: 'OPTIONS', url: '/analyze', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.statusCode, 204);
    assert.match(String(pre.headers['access-control-allow-headers']), /Content-Type/);
    const denied = await open.inject({ method: 'OPTIONS', url: '/analyze', headers: { origin: 'https://other.example', 'access-control-request-method': 'POST' } });
    assertProblem(denied, 403, 'cors-origin-denied');
    const { app: any } = await makeApp(t, { corsOrigins: ['*'] });
    assert.equal((await any.inject({ url: '/history', headers: { origin: 'https://x.example' } })).headers['access-control-allow-origin'], '*');
  });

  test('rate limit: per client, standard headers, 429 + Retry-After, health exempt; X-Forwarded-For only from a trusted proxy', async (t) => {
    const { app } = await makeApp(t, { rateLimit: 3, trustProxy: ['127.0.0.1'] });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({ url: '/history', headers: from('203.0.113.7') });
      statuses.push(res.statusCode);
      assert.equal(res.headers['ratelimit-limit'], '3');
      assert.equal(res.headers['ratelimit-policy'], '3;w=60');
      assert.equal(res.headers['ratelimit-remaining'], String(Math.max(0, 2 - i)));
      if (res.statusCode === 429) {
        assertProblem(res, 429, 'rate-limited');
        assert.ok(Number(res.headers['retry-after']) >= 1 && Number(res.headers['retry-after']) <= 60);
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assertProblem(await post(app, '/analyze', { text: 'x' }, from('203.0.113.7')), 429, 'rate-limited');
    assert.equal((await app.inject({ url: '/history', headers: from('198.51.100.1') })).statusCode, 200, 'another client has its own budget');
    assert.equal((await app.inject({ url: '/livez', headers: from('203.0.113.7') })).statusCode, 200, 'health is not limited');
    assert.deepEqual(await historyTexts(app), [], 'the limited POST stored nothing');
    // Without a trusted proxy the header is ignored: every inject comes from 127.0.0.1.
    const { app: direct } = await makeApp(t, { rateLimit: 2 });
    await direct.inject({ url: '/history', headers: from('1.1.1.1') });
    await direct.inject({ url: '/history', headers: from('2.2.2.2') });
    assertProblem(await direct.inject({ url: '/history', headers: from('3.3.3.3') }), 429, 'rate-limited');
  });

  test('a failing store on reads answers 503 store-unavailable, not 500', async (t) => {
    const { app, store } = await makeApp(t);
    const fail = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:5432');
    };
    store.newestPageJson = fail;
    store.list = fail;
    store.get = fail;
    store.count = fail;
    for (const url of ['/history', '/history?before=5', '/history/1']) {
      const res = await app.inject({ url });
      assertProblem(res, 503, 'store-unavailable');
      assert.doesNotMatch(res.body, /ECONNREFUSED/);
    }
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 200, 'metrics still answer without the row count');
  });

  test('every catalogued error code is documented in the README', async () => {
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('./helpers.js');
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    for (const code of Object.keys(PROBLEMS)) assert.ok(readme.includes(`\`${code}\``), `README lists ${code}`);
  });
});

describe('GET /history/stream (Server-Sent Events)', () => {
  function openStream(port: number, headers: Record<string, string> = {}) {
    const events: { id: number; row: { text: string; id: number } }[] = [];
    let buffer = '';
    let contentType = '';
    const req = httpRequest({ host: '127.0.0.1', port, path: '/history/stream', headers });
    const ready = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        contentType = String(res.headers['content-type']);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (\d+)$/m.exec(block);
            const data = /^data: (.*)$/m.exec(block);
            if (id && data && /^event: analysis$/m.test(block)) events.push({ id: Number(id[1]), row: JSON.parse(data[1]!) });
          }
        });
        resolve();
      });
      req.on('error', reject);
    });
    req.end();
    return { events, ready, close: () => req.destroy(), contentType: () => contentType };
  }

  async function waitFor(cond: () => boolean, ms = 5000) {
    const until = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > until) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('new rows arrive once, in order, also when written by another handle; Last-Event-ID resumes', async (t) => {
    const { app, dbPath } = await makeApp(t);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    await post(app, '/analyze', { text: 'before' });
    const s = openStream(port);
    t.after(() => s.close());
    await s.ready;
    assert.match(s.contentType(), /^text\/event-stream/);
    await new Promise((r) => setTimeout(r, 50));
    await post(app, '/analyze', { text: 'one' });
    await post(app, '/analyze/batch', { texts: ['two', 'three'] });
    // Another process's writes: a second store handle on the same file.
    const { SqliteHistoryStore } = await import('../src/store/sqlite.js');
    const other = new SqliteHistoryStore(dbPath);
    await other.insert([{ text: 'four', sentiment: 0, subjectivity: 0, engine: 'textblob' }]);
    await other.close();
    await waitFor(() => s.events.length >= 4);
    assert.deepEqual(
      s.events.map((e) => e.row.text),
      ['one', 'two', 'three', 'four'],
    );
    assert.deepEqual(
      s.events.map((e) => e.id),
      s.events.map((e) => e.row.id),
    );
    const resumed = openStream(port, { 'last-event-id': String(s.events[1]!.id) });
    t.after(() => resumed.close());
    await resumed.ready;
    await waitFor(() => resumed.events.length >= 2);
    assert.deepEqual(
      resumed.events.map((e) => e.row.text),
      ['three', 'four'],
    );
  });
});
