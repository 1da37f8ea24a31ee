// The choice of engine through the API: per request, the server default, stored with each row,
// explained with offsets, sentence scores; and the errors that bad choices get.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from '../src/config.js';
import { blend } from '../src/engine/blend/index.js';
import { labelOf, score } from '../src/engine/engines.js';
import { analyze } from '../src/engine/index.js';
import { splitSentences } from '../src/engine/sentences.js';
import { vader } from '../src/engine/vader/index.js';
import { makeApp } from './helpers.js';

async function post(app: FastifyInstance, url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

async function count(app: FastifyInstance): Promise<number> {
  return (await app.inject({ url: '/history?limit=1000' })).json().length;
}

const TEXT = 'The food was GREAT!!! But the service was not good :(';

describe('engine choice', () => {
  test('no engine: TextBlob, as the original answered, with engine "textblob"', async (t) => {
    const { app } = await makeApp(t);
    const body = (await post(app, '/analyze', { text: TEXT })).json();
    const tb = analyze(TEXT);
    assert.equal(body.engine, 'textblob');
    assert.equal(body.sentiment, tb.polarity);
    assert.equal(body.subjectivity, tb.subjectivity);
    assert.equal(body.vader, undefined);
  });

  test('engine "vader": the compound and VADER\'s four numbers, label by ±0.05, stored as vader', async (t) => {
    const { app } = await makeApp(t);
    const res = await post(app, '/analyze', { text: TEXT, engine: 'vader' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    const v = vader(TEXT);
    assert.equal(body.engine, 'vader');
    assert.equal(body.sentiment, v.compound);
    assert.deepEqual(body.vader, { compound: v.compound, pos: v.pos, neu: v.neu, neg: v.neg });
    assert.equal(body.subjectivity, analyze(TEXT).subjectivity, "subjectivity is TextBlob's whatever the engine");
    assert.equal(body.label, labelOf(v.compound, 'vader'));
    const [row] = (await app.inject({ url: '/history' })).json();
    assert.deepEqual([row.id, row.engine, row.sentiment, row.label], [body.id, 'vader', v.compound, body.label]);
    assert.equal((await app.inject({ url: `/history/${body.id}` })).json().engine, 'vader');
  });

  test('engine "blend": the model\'s score in [-1, 1], stored as blend', async (t) => {
    const { app } = await makeApp(t);
    const body = (await post(app, '/analyze', { text: TEXT, engine: 'blend' })).json();
    assert.equal(body.engine, 'blend');
    assert.equal(body.sentiment, blend(TEXT).score);
    assert.equal(body.subjectivity, analyze(TEXT).subjectivity, "subjectivity is TextBlob's whatever the engine");
    assert.ok(body.sentiment >= -1 && body.sentiment <= 1);
    assert.equal((await app.inject({ url: '/history' })).json()[0].engine, 'blend');
  });

  test('the server default (--default-engine) applies to requests that name none; a request still chooses', async (t) => {
    const { app } = await makeApp(t, { defaultEngine: 'vader' });
    const plain = (await post(app, '/analyze', { text: 'good' })).json();
    assert.deepEqual([plain.engine, plain.sentiment], ['vader', vader('good').compound]);
    const chosen = (await post(app, '/analyze', { text: 'good', engine: 'textblob' })).json();
    assert.deepEqual([chosen.engine, chosen.sentiment], ['textblob', analyze('good').polarity]);
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    const engineProp = spec.paths['/analyze'].post.requestBody.content['application/json'].schema.properties.engine;
    assert.deepEqual(engineProp.enum, ['textblob', 'vader', 'blend']);
    assert.equal(engineProp.default, 'vader');
  });

  test("the page's engine picker starts on the server's default engine", async (t) => {
    const page = async (overrides: object) => {
      const { app } = await makeApp(t, overrides);
      const res = await app.inject({ url: '/' });
      if (res.statusCode === 404) return undefined; // web UI not built
      return [...res.body.matchAll(/<input type="radio" name="engine" value="([a-z]+)"([^>]*)>/g)].filter((m) => / checked/.test(m[2]!)).map((m) => m[1]);
    };
    const plain = await page({});
    if (plain === undefined) return t.skip('dist/web not built (npm run build): page check skipped');
    assert.deepEqual(plain, ['textblob']);
    assert.deepEqual(await page({ defaultEngine: 'blend' }), ['blend']);
  });

  test('batch: one engine for every text, each row stored with it', async (t) => {
    const { app } = await makeApp(t);
    const texts = ['good', 'bad', 'meh'];
    const body = (await post(app, '/analyze/batch', { texts, engine: 'vader' })).json();
    assert.deepEqual(
      body.map((r: { sentiment: number }) => r.sentiment),
      texts.map((x) => vader(x).compound),
    );
    const rows = (await app.inject({ url: '/history' })).json();
    assert.deepEqual(
      rows.map((r: { engine: string }) => r.engine),
      ['vader', 'vader', 'vader'],
    );
  });

  test('an unknown or non-string engine is a 400 unknown-engine problem; nothing is stored', async (t) => {
    const { app } = await makeApp(t);
    for (const engine of ['textblob2', 'VADER', '', 5, null, ['vader']]) {
      for (const [url, payload] of [
        ['/analyze', { text: 'good', engine }],
        ['/analyze/batch', { texts: ['good'], engine }],
      ] as const) {
        const res = await post(app, url, payload);
        assert.equal(res.statusCode, 400, `${url} engine=${JSON.stringify(engine)}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        const p = res.json();
        assert.equal(p.code, 'unknown-engine');
        assert.deepEqual(p.engines, ['textblob', 'vader', 'blend']);
      }
    }
    assert.equal(await count(app), 0);
  });

  test('"sentences" that is not a boolean is a 400 invalid-request problem; nothing is stored', async (t) => {
    const { app } = await makeApp(t);
    for (const sentences of ['true', 1, null, {}]) {
      const res = await post(app, '/analyze', { text: 'good. bad.', sentences });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().code, 'invalid-request');
    }
    assert.equal(await count(app), 0);
  });

  test('a bad default engine stops the server at start', () => {
    assert.throws(() => loadConfig({ DEFAULT_ENGINE: 'afinn' }, []), ConfigError);
    assert.equal(loadConfig({}, ['--default-engine', 'blend']).defaultEngine, 'blend');
    assert.equal(loadConfig({}, []).defaultEngine, 'textblob');
  });
});

describe('explain and sentences', () => {
  const TWO = 'The food was great.  The service was NOT good!';

  for (const engine of ['textblob', 'vader', 'blend'] as const) {
    test(`${engine}: sentences carry offsets into the text and each one's own score`, async (t) => {
      const { app } = await makeApp(t);
      const body = (await post(app, '/analyze', { text: TWO, engine, sentences: true, store: false })).json();
      assert.deepEqual(
        body.sentences.map((s: { offset: number; length: number }) => TWO.slice(s.offset, s.offset + s.length)),
        ['The food was great.', 'The service was NOT good!'],
      );
      for (const s of body.sentences) {
        const expected = score(TWO.slice(s.offset, s.offset + s.length), engine);
        assert.deepEqual([s.sentiment, s.label, s.engine], [expected.sentiment, expected.label, engine]);
      }
      assert.ok(body.sentences[0].sentiment > 0 && body.sentences[1].sentiment < 0, 'opposite sentences, opposite signs');
      assert.deepEqual(
        splitSentences(TWO),
        body.sentences.map((s: { offset: number; length: number }) => ({ offset: s.offset, length: s.length })),
      );
    });
  }

  test("textblob explain: TextBlob's assessments, each with the [offset, length] of its words", async (t) => {
    const { app } = await makeApp(t);
    const text = 'Not GOOD at all!! Very nice :)';
    const body = (await post(app, '/analyze', { text, explain: true, store: false })).json();
    const tb = analyze(text);
    assert.deepEqual(
      body.assessments.map((a: unknown[]) => a.slice(0, 4)),
      tb.assessments,
    );
    for (const a of body.assessments) {
      const [words, , , , spans] = a as [string[], number, number, unknown, [number, number][]];
      assert.equal(spans.length, words.length);
      words.forEach((w, i) => assert.equal(text.slice(spans[i]![0], spans[i]![0] + spans[i]![1]).toLowerCase(), w));
    }
  });

  test('vader explain: the words that carry valence, where they are, with their valence after the rules', async (t) => {
    const { app } = await makeApp(t);
    const text = 'The plot was not great, but the acting was SUPERB 😍';
    const body = (await post(app, '/analyze', { text, engine: 'vader', explain: true, store: false })).json();
    assert.ok(body.assessments.length >= 3);
    for (const a of body.assessments) {
      assert.notEqual(a.valence, 0);
      assert.ok(a.offset >= 0 && a.offset + a.length <= text.length);
    }
    const byWord = new Map(body.assessments.map((a: { word: string; valence: number }) => [a.word.toLowerCase(), a.valence]));
    assert.ok((byWord.get('great') as number) < 0, '"not great" is negated');
    assert.ok((byWord.get('superb') as number) > 0);
    const emoji = body.assessments.filter((a: { offset: number; length: number }) => text.slice(a.offset, a.offset + a.length) === '😍');
    assert.ok(emoji.length > 0, "the emoji's description words point at the emoji");
  });

  test("blend explain: contributions (largest first) and VADER's words", async (t) => {
    const { app } = await makeApp(t);
    const body = (await post(app, '/analyze', { text: TEXT, engine: 'blend', explain: true, store: false })).json();
    assert.ok(body.contributions.length > 0);
    const sizes = body.contributions.map((c: { contribution: number }) => Math.abs(c.contribution));
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
    );
    assert.ok(body.assessments.every((a: { offset: number; length: number; word: string }) => a.length > 0 && typeof a.word === 'string'));
  });
});
