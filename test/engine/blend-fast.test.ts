// blend()'s fast path: the engines' summaries (vaderFeatures, analyzeSummary) are exactly what the
// detail path (vaderDetail's tokens, analyze's assessments) adds up to, and fastFeatures equals
// extractFeatures number for number (Object.is: -0 is not 0) — on the corpus, on random and
// adversarial strings (fast-check, fixed seed) and on the hostile shapes. So blend(), which runs
// the fast path, scores exactly as blendDetail(), which runs the detail path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { analyze, analyzeSummary } from '../../src/engine/analyze.js';
import { blend, blendDetail } from '../../src/engine/blend/index.js';
import { corpusDir, readCorpus } from '../../src/engine/blend/corpus.js';
import { extractFeatures, FEATURE_NAMES, fastFeatures } from '../../src/engine/blend/features.js';
import { isNegationWord, vader, vaderDetail, vaderFeatures } from '../../src/engine/vader/index.js';
import { HOSTILE } from './hostile-inputs.js';

const SEED = 20261203;

/** Every mismatch between the fast path and the detail path for `text` (empty when none). */
function mismatches(text: string): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown, what: string): void => {
    if (!Object.is(a, b)) out.push(`${what}: ${String(a)} vs ${String(b)}`);
  };
  // VADER: the aggregates of the tokens.
  const vd = vaderDetail(text);
  const vf = vaderFeatures(text);
  for (const k of ['compound', 'pos', 'neu', 'neg'] as const) {
    same(vf.scores[k], vd.scores[k], `vader ${k}`);
    same(vf.scores[k], vader(text)[k], `vader() ${k}`);
  }
  for (const k of ['sumS', 'punctEmphasis', 'posSum', 'negSum', 'neuCount'] as const) same(vf[k], vd[k], `vader ${k}`);
  same(vf.tokens, vd.tokens.length, 'vader tokens');
  let max = 0;
  let min = 0;
  let pos = 0;
  let neg = 0;
  let negations = 0;
  for (const t of vd.tokens) {
    if (t.valence > 0) {
      pos++;
      max = Math.max(max, t.valence);
    } else if (t.valence < 0) {
      neg++;
      min = Math.min(min, t.valence);
    }
    if (isNegationWord(t.word)) negations++;
  }
  same(vf.maxPositive, max, 'vader maxPositive');
  same(vf.maxNegative, min, 'vader maxNegative');
  same(vf.positiveWords, pos, 'vader positiveWords');
  same(vf.negativeWords, neg, 'vader negativeWords');
  same(vf.negations, negations, 'vader negations');
  same(vf.exclamations, text.split('!').length - 1, 'exclamations');
  same(vf.questions, text.split('?').length - 1, 'questions');
  // TextBlob: the aggregates of the assessments.
  const tb = analyze(text);
  const ts = analyzeSummary(text);
  same(ts.polarity, tb.polarity, 'textblob polarity');
  same(ts.subjectivity, tb.subjectivity, 'textblob subjectivity');
  same(ts.assessments, tb.assessments.length, 'textblob assessments');
  same(
    ts.max,
    tb.assessments.reduce((m, a) => (a[1] > m ? a[1] : m), 0),
    'textblob max',
  );
  same(
    ts.min,
    tb.assessments.reduce((m, a) => (a[1] < m ? a[1] : m), 0),
    'textblob min',
  );
  // The feature vectors, and the scores.
  const fast = fastFeatures(text);
  const slow = extractFeatures(text, tb, vd, false);
  assert.equal(fast.length, slow.length);
  fast.forEach((x, i) => same(x, slow[i], `feature ${FEATURE_NAMES[i]}`));
  const r = blend(text);
  const d = blendDetail(text);
  same(r.score, d.score, 'blend score');
  same(r.textblob, d.textblob, 'blend textblob');
  same(r.vader, d.vader.scores.compound, 'blend vader');
  same(r.subjectivity, tb.subjectivity, 'blend subjectivity');
  same(d.subjectivity, tb.subjectivity, 'blendDetail subjectivity');
  return out;
}

function check(texts: Iterable<string>, what: string): number {
  let n = 0;
  const failures: string[] = [];
  for (const text of texts) {
    n++;
    const m = mismatches(text);
    if (m.length > 0 && failures.length < 10) failures.push(`${JSON.stringify(text.slice(0, 120))}: ${m.join('; ')}`);
  }
  assert.deepEqual(failures, [], `${what}: fast path differs`);
  return n;
}

test('blend fast path: negation words, by rule', () => {
  const yes = ['not', 'NOT', 'No', 'no', "isn't", "ISN'T", "shouldn't", 'nothing', 'uh-uh', 'without', "xyzn't", "n't", "N'T"];
  const no = ['n', 'knot', 'nothings', "wouldn't've", "everybodyn't", "shouldn'ts", 'not!', '', 'nO\u212a', 'nİ'];
  for (const w of yes) assert.ok(isNegationWord(w), w);
  for (const w of no) assert.ok(!isNegationWord(w), w);
  // Counted on VADER's tokens: "No," and "'no'" keep their punctuation (stripped, fewer than 3
  // characters would be left), so they are not "no"; "(not)" is "not"; "wouldn't've" is too long.
  assert.equal(vaderFeatures("No, it's not bad; it isn't!! nothing... wouldn't've (not) 'no' n't").negations, 5);
  assert.deepEqual(mismatches("No, it's not bad; it isn't!! nothing... wouldn't've (not) 'no' n't"), []);
});

test('blend fast path: equal to the detail path on the shared corpus', (t) => {
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = corpusDir(repoRoot);
  const datasets = readCorpus(dir);
  if (!datasets) {
    t.skip(`${dir} not found: corpus check skipped`);
    return;
  }
  const n = check(
    datasets.flatMap((d) => d.snippets.map((s) => s.text)),
    'corpus',
  );
  t.diagnostic(`${n} corpus texts: fast path = detail path`);
});

test('blend fast path: equal to the detail path on random and adversarial strings (fast-check, fixed seed)', () => {
  const piece = fc.constantFrom(
    'good',
    'bad',
    'not',
    'no',
    'No',
    'NOT',
    'very',
    'never',
    "isn't",
    "ISN'T",
    "shouldn't",
    "wouldn't've",
    "couldn't!",
    'nothing',
    'without',
    'doubt',
    'least',
    'at',
    'but',
    'BUT',
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
    '❤',
    '🆒',
    '🔛',
    'İ',
    '\u212a',
    'n\u212at',
    '\u0000',
    '\ud800',
    'END-OF-SENTENCE',
    'kind of',
    'the shit',
    'so',
    'this',
    'or',
    "n't",
    "'",
    '"',
    'uh-uh',
    'Nope',
    'é',
    'naïve',
    'LOVE',
    'really',
    'kinda',
  );
  const texts = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.string({ unit: fc.constantFrom(..."abnot' !?:)(-.,NOT😀".split('')), maxLength: 80 }),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join('')),
    fc.array(piece, { maxLength: 60 }).map((a) => a.join(' ')),
  );
  fc.assert(
    fc.property(texts, (s) => {
      assert.deepEqual(mismatches(s), []);
    }),
    { numRuns: 20000, seed: SEED },
  );
});

test('blend fast path: equal to the detail path on the hostile shapes (64 KB)', () => {
  check(
    HOSTILE.map(([, make]) => make(1 << 16)),
    'hostile',
  );
});
