// The blend engine: any string gives a finite score in [−1, 1]; the score is deterministic and its
// contributions add up; the shipped weights are well formed and match the training configuration;
// on the shared corpus (when present) the shipped model beats VADER on every dataset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { BLEND_FEATURES, BLEND_LABEL_THRESHOLD, blend, blendDetail, blendFeatures } from '../../src/engine/blend/index.js';
import { corpusDir, readCorpus } from '../../src/engine/blend/corpus.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/engine/blend/features.js';
import { compileModel, modelProblems, type BlendModel } from '../../src/engine/blend/model.js';
import { BLEND_TRAINING, pearson } from '../../src/engine/blend/train-core.js';
import { BLEND_MODEL } from '../../src/engine/blend/weights.js';
import { HOSTILE } from './hostile-inputs.js';

const SEED = 20261203;

function assertSane(text: string, what = JSON.stringify(text.slice(0, 80))): void {
  const r = blend(text);
  assert.ok(Number.isFinite(r.score) && r.score >= -1 && r.score <= 1, `${what}: score ${r.score}`);
  assert.ok(Number.isFinite(r.textblob) && Number.isFinite(r.vader), `${what}: engines ${r.textblob} ${r.vader}`);
  const want = r.score >= BLEND_LABEL_THRESHOLD ? 'positive' : r.score <= -BLEND_LABEL_THRESHOLD ? 'negative' : 'neutral';
  assert.equal(r.label, want, what);
  const x = blendFeatures(text);
  assert.equal(x.length, FEATURE_COUNT);
  assert.ok(x.every(Number.isFinite), `${what}: a feature is not finite`);
}

test('blend: table of plain texts', () => {
  const rows: [text: string, label: 'positive' | 'negative' | 'neutral'][] = [
    ['I love this, it is wonderful!', 'positive'],
    ['This is terrible and I hate it.', 'negative'],
    ['The meeting is at 3 pm.', 'neutral'],
    ['', 'neutral'],
  ];
  for (const [text, label] of rows) assert.equal(blend(text).label, label, text);
  assert.ok(blend('good').score > blend('not good').score);
  assert.ok(blend('great!!!').score > blend('great').score);
});

test('blend: any string gives a finite score in [-1, 1] (fast-check, fixed seed)', () => {
  const piece = fc.constantFrom(
    'good',
    'bad',
    'not',
    'very',
    'never',
    "isn't",
    'but',
    'GREAT',
    '!',
    '?',
    '(!)',
    ':)',
    ': )',
    ':-(',
    '...',
    ' ',
    '\n',
    '\u00a0',
    '😀',
    '💔',
    '☺',
    'İ',
    '\u212a',
    '\u0000',
    '\ud800',
    'END-OF-SENTENCE',
    'kind of',
    'the shit',
  );
  const texts = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join('')),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join(' ')),
  );
  fc.assert(
    fc.property(texts, (s) => assertSane(s)),
    { numRuns: 4000, seed: SEED },
  );
});

test('blend: hostile inputs of 64 KB stay finite and in range', () => {
  for (const [name, make] of HOSTILE) assertSane(make(1 << 16), name);
});

test('blend: deterministic, and the contributions add up to the score before the clip', () => {
  const texts = ['Not bad at all, but the ending?? TERRIBLE :(', 'What a wonderful day!!! 😀', 'meh', '', 'never so good'];
  for (const text of texts) {
    assert.deepEqual(blend(text), blend(text));
    const d = blendDetail(text);
    assert.deepEqual(blendDetail(text), d);
    const r = blend(text);
    assert.equal(d.score, r.score);
    assert.equal(d.label, r.label);
    assert.equal(d.vader.scores.compound, r.vader);
    assert.deepEqual(d.contributions.map((c) => c.feature).sort(), [...BLEND_FEATURES].sort());
    const sum = d.contributions.reduce((s, c) => s + c.contribution, d.intercept);
    assert.ok(Math.abs(sum - d.linear) < 1e-12, `${text}: ${sum} vs ${d.linear}`);
    assert.equal(d.score, Math.max(-1, Math.min(1, d.linear)));
    for (let i = 1; i < d.contributions.length; i++) {
      assert.ok(Math.abs(d.contributions[i - 1]!.contribution) >= Math.abs(d.contributions[i]!.contribution), 'largest first');
    }
    const x = blendFeatures(text);
    for (const c of d.contributions) assert.equal(c.value, x[FEATURE_NAMES.indexOf(c.feature as (typeof FEATURE_NAMES)[number])]);
  }
});

test('blend: the weights file is well formed and is the training configuration', () => {
  assert.deepEqual(modelProblems(BLEND_MODEL), []);
  assert.deepEqual(BLEND_MODEL.features, [...BLEND_TRAINING.features]);
  assert.deepEqual([...BLEND_FEATURES], [...BLEND_TRAINING.features]);
  assert.equal(BLEND_MODEL.seed, BLEND_TRAINING.options.seed);
  assert.ok(BLEND_TRAINING.options.lambdas.includes(BLEND_MODEL.lambda));
  assert.ok(BLEND_TRAINING.options.thresholds.includes(BLEND_MODEL.labelThreshold));
  assert.equal(BLEND_LABEL_THRESHOLD, BLEND_MODEL.labelThreshold);
  // The model carries numbers only: no snippet of the corpus (a generous check: no long strings).
  const long: string[] = [];
  JSON.stringify(BLEND_MODEL, (_, v: unknown) => {
    if (typeof v === 'string' && v.length > 200) long.push(v);
    return v;
  });
  assert.deepEqual(long, [], 'a long string in the model');
  // And a malformed one is refused.
  const bad = (patch: Partial<BlendModel>): string[] => modelProblems({ ...BLEND_MODEL, ...patch });
  assert.notDeepEqual(bad({ features: [...BLEND_MODEL.features.slice(1), 'noSuchFeature'] }), []);
  assert.notDeepEqual(bad({ weights: BLEND_MODEL.weights.slice(1) }), []);
  assert.notDeepEqual(bad({ stds: BLEND_MODEL.stds.map(() => 0) }), []);
  assert.notDeepEqual(bad({ means: BLEND_MODEL.means.map(() => Number.NaN) }), []);
  assert.throws(() => compileModel({ ...BLEND_MODEL, labelThreshold: 2 }), /malformed/);
});

test('blend: on the shared corpus the shipped model beats VADER on every dataset', (t) => {
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = corpusDir(repoRoot);
  const datasets = readCorpus(dir);
  if (!datasets) {
    console.log(`blend corpus check skipped: ${dir} not found (set POLARITY_CORPUS_DIR)`);
    t.skip(`${dir} not found: corpus check skipped`);
    return;
  }
  assert.ok(datasets.length > 0, `no .jsonl files in ${dir}`);
  for (const d of datasets) {
    const human = d.snippets.map((s) => s.human);
    const results = d.snippets.map((s) => blend(s.text));
    const rBlend = pearson(
      results.map((r) => r.score),
      human,
    );
    const rVader = pearson(
      results.map((r) => r.vader),
      human,
    );
    const rTextblob = pearson(
      results.map((r) => r.textblob),
      human,
    );
    const line = `blend corpus ${d.name} (${d.snippets.length}): r blend ${rBlend.toFixed(4)}, VADER ${rVader.toFixed(4)}, TextBlob ${rTextblob.toFixed(4)}`;
    console.log(line);
    t.diagnostic(line);
    assert.ok(rBlend > rVader, line);
  }
});
