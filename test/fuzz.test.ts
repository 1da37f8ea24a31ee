// Property-based fuzzing (fast-check, fixed seed: a failure is reproducible from the printed
// seed and path). Hostile bodies, headers, paths and query strings against the app: never a 5xx,
// always a problem document for bad input, history unchanged by rejected requests, server healthy
// afterwards. The engine: any string gives finite scores in range.
// FUZZ_RUNS=N changes the number of cases per property (default 5000).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../src/engine/index.js';
import { makeApp } from './helpers.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 5000);
const SEED = 20261127;
const TOKEN = 'fuzz-admin-token-0123456789';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;
const PATHS = ['/analyze', '/analyze/batch', '/history', '/history/1', '/history/stream', '/livez', '/readyz', '/metrics', '/openapi.json', '/'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
  'application/problem+json',
  'APPLICATION/JSON',
];

/** JSON-ish bodies that come close to valid: the interesting cases for a validator. */
const nearValidBody = fc
  .oneof(
    fc.record({ text: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })) }),
    fc.record({ text: fc.anything() }, { requiredKeys: [] }),
    fc.record({ text: fc.string(), store: fc.anything(), explain: fc.anything() }, { requiredKeys: ['text'] }),
    fc.record({ texts: fc.array(fc.anything(), { maxLength: 120 }) }),
    fc.record({ texts: fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }), store: fc.boolean() }),
    fc.anything(),
    fc.jsonValue(),
  )
  .map((v) => JSON.stringify(v) ?? 'undefined');

const rawBody = fc.oneof(
  nearValidBody,
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    '{',
    '{"text":',
    '{"text": "a"',
    '[]',
    'null',
    '{"text": "\\ud800"}',
    '{"text": "\\u0000"}',
    '{"__proto__": {"text": "x"}}',
    '{"constructor": {"prototype": {}}}',
    '{"text": "a", "text": 5}',
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);

function isProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }): boolean {
  if (!String(res.headers['content-type'] ?? '').startsWith('application/problem+json')) return false;
  const body = JSON.parse(res.body) as { code?: unknown; status?: unknown };
  return typeof body.code === 'string' && body.status === res.statusCode;
}

test('fuzz: hostile requests never get a 5xx; rejections are problem documents and change nothing', { timeout: 120_000 }, async (t) => {
  const { app, store } = await makeApp(t, { adminToken: TOKEN, maxTextChars: 500, bodyLimit: 4096, batchMax: 50 });
  let cases = 0;
  let rejected = 0;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...METHODS),
      fc.oneof(
        fc.constantFrom(...PATHS),
        fc.webPath().map((p) => (p.startsWith('/') ? p : '/' + p)),
        fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/' + encodeURIComponent(s)),
      ),
      fc.oneof(
        fc.constant(''),
        fc.webQueryParameters().map((q) => '?' + q),
        fc.constantFrom('?limit=0', '?limit=-5', '?limit=1e3', '?limit=99999999999999999999', '?before=abc', '?before=1.5', '?limit=10&limit=20', '?after=-1', '?limit=%00'),
      ),
      fc.constantFrom(...CONTENT_TYPES),
      rawBody,
      fc.option(
        fc.oneof(
          fc.constant(`Bearer ${TOKEN.slice(0, -1)}`),
          fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
          fc.string({ maxLength: 60 }),
        ),
        { nil: undefined },
      ),
      async (method, path, query, contentType, body, authorization) => {
        cases++;
        const before = await store.count();
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (authorization !== undefined) headers['authorization'] = authorization.replace(/[\r\n]/g, '');
        // A live stream never ends by design; inject would wait for it forever.
        if ((method === 'GET' || method === 'HEAD') && path.split('?')[0] === '/history/stream') path = '/history';
        const res = await app.inject({ method, url: path + query, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { payload: body }) });
        assert.ok(res.statusCode < 500, `${method} ${path}${query} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (res.statusCode >= 400) {
          rejected++;
          if (method !== 'HEAD') assert.ok(isProblem(res), `${res.statusCode} is a problem document: ${res.body.slice(0, 200)}`);
          assert.equal(await store.count(), before, 'a rejected request changed the history');
        } else {
          accepted++;
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  const ok = await app.inject({ method: 'POST', url: '/analyze', payload: { text: 'still fine' } });
  assert.equal(ok.statusCode, 200);
  t.diagnostic(`fuzzed ${cases} requests: ${rejected} rejected with a 4xx problem, ${accepted} accepted, 0 server errors`);
});

test('fuzz: near-valid /analyze bodies are either scored and stored exactly, or rejected with a 4xx', { timeout: 120_000 }, async (t) => {
  const { app, store } = await makeApp(t, { maxTextChars: 500 });
  let stored = 0;
  await fc.assert(
    fc.asyncProperty(nearValidBody, async (body) => {
      const before = await store.count();
      const res = await app.inject({ method: 'POST', url: '/analyze', payload: body, headers: { 'content-type': 'application/json' } });
      assert.ok(res.statusCode < 500);
      if (res.statusCode === 200) {
        const sent = JSON.parse(body) as { text: string; store?: boolean };
        const out = res.json();
        assert.equal(out.sentiment, analyze(sent.text).polarity);
        if (sent.store !== false) {
          stored++;
          assert.equal((await store.get(out.id))!.text, sent.text, 'stored byte for byte');
        } else {
          assert.equal(await store.count(), before);
        }
      } else {
        assert.ok(isProblem(res));
        assert.equal(await store.count(), before);
      }
    }),
    { numRuns: RUNS, seed: SEED + 1 },
  );
  t.diagnostic(`fuzzed ${RUNS} near-valid bodies: ${stored} stored and read back exactly`);
});

test('fuzz: the engine gives finite scores in range for any string', { timeout: 120_000 }, (t) => {
  const inRange = (s: string) => {
    const r = analyze(s);
    assert.ok(Number.isFinite(r.polarity) && r.polarity >= -1 && r.polarity <= 1, `polarity ${r.polarity} for ${JSON.stringify(s).slice(0, 100)}`);
    assert.ok(Number.isFinite(r.subjectivity) && r.subjectivity >= 0 && r.subjectivity <= 1, `subjectivity ${r.subjectivity}`);
    for (const [words, p, sj] of r.assessments) {
      assert.ok(Array.isArray(words) && Number.isFinite(p) && Number.isFinite(sj));
    }
  };
  // Words the lexicon knows, negations, modifiers and emoticon pieces make the paths interesting.
  const piece = fc.constantFrom(
    'good',
    'bad',
    'not',
    'very',
    'never',
    'great',
    '!',
    '(!)',
    ':)',
    ': )',
    ':-(',
    "n't",
    "isn't",
    '...',
    '.',
    '?',
    ' ',
    '\n',
    '\r\n',
    '\u00a0',
    '\u2019',
    'GOOD',
    'extremely',
    'D',
    ':',
    '(',
    ')',
    '😀',
    'İ',
    'K',
    'END-OF-SENTENCE',
    '\u0000',
    '\ud800',
  );
  const texts = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join('')),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join(' ')),
  );
  fc.assert(
    fc.property(texts, (s) => inRange(s)),
    { numRuns: RUNS * 4, seed: SEED + 2 },
  );
  // One 1 MB text of each hostile shape.
  for (const unit of ['(', ':)', '!', 'a', '\ud800', 'not very good ', ': ) (: ']) inRange(unit.repeat(Math.ceil(1_000_000 / unit.length)));
  t.diagnostic(`fuzzed ${RUNS * 4} engine inputs and 7 texts of 1 MB: all finite and in range`);
});
