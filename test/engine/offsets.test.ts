// explain(): analyze()'s result, each assessment word with where it is in the text.
//
// Expected offsets below were worked out by hand from the text (UTF-16 code units); the words
// themselves are TextBlob's (see rules.test.ts). The properties are checked on the whole corpus
// and on random and adversarial strings: explain() agrees with analyze(), and every span is the
// word as typed — lower-cased, or, for an emoticon or "(!)" that find_tokens joined from pieces
// (": )", "( ! )"), with the whitespace (and any END-OF-SENTENCE) between the pieces removed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { analyze, explain, type ExplainedAnalysis } from '../../src/engine/index.js';
import { classify, NEGATIONS } from '../../src/engine/lexicon.js';
import { Scorer } from '../../src/engine/scorer.js';
import { isPySpace, pyLower } from '../../src/engine/unicode.js';
import { xorshift } from './helpers.js';
import { HOSTILE, MB } from './hostile-inputs.js';

type Span = [offset: number, length: number];
type Row = [rule: string, text: string, assessments: [words: string[], spans: Span[]][]];

const CASES: readonly Row[] = [
  ['one word', 'good', [[['good'], [[0, 4]]]]],
  [
    'upper case: the span is the word as typed',
    'Great food. Terrible service!',
    [
      [['great'], [[0, 5]]],
      [
        ['terrible', '!'],
        [
          [12, 8],
          [28, 1],
        ],
      ],
    ],
  ],
  ['contraction split off', "isn't good", [[['good'], [[6, 4]]]]],
  ['contraction split off', "couldn't be better", [[['better'], [[12, 6]]]]],
  ['quotes', 'She said "great"', [[['great'], [[10, 5]]]]],
  ['curly quotes', '“Good” movie', [[['good'], [[1, 4]]]]],
  [
    'negation',
    'not good',
    [
      [
        ['not', 'good'],
        [
          [0, 3],
          [4, 4],
        ],
      ],
    ],
  ],
  [
    'negation kept across a one-letter word',
    'not a good',
    [
      [
        ['not', 'good'],
        [
          [0, 3],
          [6, 4],
        ],
      ],
    ],
  ],
  [
    'exclamation marks',
    'not good!!',
    [
      [
        ['not', 'good', '!', '!'],
        [
          [0, 3],
          [4, 4],
          [8, 1],
          [9, 1],
        ],
      ],
    ],
  ],
  [
    'modifier',
    'really not good',
    [
      [
        ['really', 'not', 'good'],
        [
          [0, 6],
          [7, 3],
          [11, 4],
        ],
      ],
    ],
  ],
  // TextBlob puts a negation found inside a modifier chain in front of the chunk (ws.insert(0, n)):
  // the spans follow the words, so here they are not in text order.
  [
    'negation put in front',
    'very no good',
    [
      [
        ['no', 'very', 'good'],
        [
          [5, 2],
          [0, 4],
          [8, 4],
        ],
      ],
    ],
  ],
  [
    'emoticon',
    'so sad :-(',
    [
      [['sad'], [[3, 3]]],
      [[':-('], [[7, 3]]],
    ],
  ],
  [
    'emoticon joined from ": )"',
    'It was : ) fine',
    [
      [[':)'], [[7, 3]]],
      [['fine'], [[11, 4]]],
    ],
  ],
  ['emoticon joined across a tab', ':\t)', [[[':)'], [[0, 3]]]]],
  ['emoticon joined from three pieces', '8 - )', [[['8-)'], [[0, 5]]]]],
  [
    'emoticon joined across a paragraph break',
    '=\n\n) ok',
    [
      [['=)'], [[0, 4]]],
      [['ok'], [[5, 2]]],
    ],
  ],
  [
    'emoticon joined across a literal END-OF-SENTENCE',
    '= END-OF-SENTENCE ) ok',
    [
      [['=)'], [[0, 19]]],
      [['ok'], [[20, 2]]],
    ],
  ],
  [
    'emoticon in a modifier chain',
    'very :) good',
    [
      [['very'], [[0, 4]]],
      [
        [':)', 'good'],
        [
          [5, 2],
          [8, 4],
        ],
      ],
    ],
  ],
  [
    'sarcasm mark joined from "( ! )"',
    'Great ( ! ) idea',
    [
      [['great'], [[0, 5]]],
      [['(!)'], [[6, 5]]],
    ],
  ],
  ['sarcasm mark as typed', '(!)', [[['(!)'], [[0, 3]]]]],
  [
    'abbreviations keep their period',
    'Dr. Good is good.',
    [
      [['good'], [[4, 4]]],
      [['good'], [[12, 4]]],
    ],
  ],
  ['abbreviations keep their period', 'U.S. troops were brave.', [[['brave'], [[17, 5]]]]],
  ['abbreviations keep their period', 'e.g. good', [[['good'], [[5, 4]]]]],
  [
    'several sentences',
    'Good. Bad! Nice?',
    [
      [['good'], [[0, 4]]],
      [
        ['bad', '!'],
        [
          [6, 3],
          [9, 1],
        ],
      ],
      [['nice'], [[11, 4]]],
    ],
  ],
  [
    'ellipsis',
    'good... bad',
    [
      [['good'], [[0, 4]]],
      [['bad'], [[8, 3]]],
    ],
  ],
  ['dots dropped before an ellipsis', 'wait..... good', [[['good'], [[10, 4]]]]],
  [
    '\\r\\n',
    'not\r\ngood',
    [
      [
        ['not', 'good'],
        [
          [0, 3],
          [5, 4],
        ],
      ],
    ],
  ],
  [
    'paragraph break (END-OF-SENTENCE)',
    'bad\r\n\r\ngood',
    [
      [['bad'], [[0, 3]]],
      [['good'], [[7, 4]]],
    ],
  ],
  [
    'paragraph break (END-OF-SENTENCE)',
    'not\n\ngood',
    [
      [
        ['not', 'good'],
        [
          [0, 3],
          [5, 4],
        ],
      ],
    ],
  ],
  ['non-ASCII before the word', 'naïve café is good', [[['good'], [[14, 4]]]]],
  ['astral character (two code units)', '😀 good', [[['good'], [[3, 4]]]]],
  ['Kelvin sign lower-cases to k', '\u212Aind words', [[['kind'], [[0, 4]]]]],
  ['"İ" lower-cases to two code points', 'not İ good', [[['good'], [[6, 4]]]]],
  ['no assessment', 'the cat sat', []],
];

for (const [rule, text, expected] of CASES) {
  test(`explain: ${rule}: ${JSON.stringify(text)}`, () => {
    const r = explain(text);
    assert.deepEqual(
      r.assessments.map(([words, , , , spans]) => [words, spans]),
      expected,
    );
    checkExplained(text, r);
  });
}

/** What checkExplained saw, for the diagnostics. */
interface Counts {
  assessments: number;
  words: number;
  /** Spans of an emoticon or "(!)" joined from pieces: equal to the word once whitespace is removed. */
  joined: number;
  /** Assessments whose spans are out of text order because of a negation put in front. */
  negationInFront: number;
}

function newCounts(): Counts {
  return { assessments: 0, words: 0, joined: 0, negationInFront: 0 };
}

const withoutPySpace = (s: string): string => [...s].filter((ch) => !isPySpace(ch.charCodeAt(0))).join('');

/**
 * A joined word's span holds its pieces and what find_tokens dropped between them: whitespace, and
 * END-OF-SENTENCE typed literally ("= END-OF-SENTENCE )": the ")" is a closer of that sentence, so
 * "= )" becomes the emoticon "=)").
 */
const piecesOf = (typed: string): string => withoutPySpace(typed).replaceAll('END-OF-SENTENCE', '');

/**
 * explain(text) equals analyze(text) on everything analyze() returns; every span lies in the text
 * and is its word (lower-cased; for a joined emoticon or "(!)", without whitespace); no two spans
 * overlap; within an assessment the spans are in text order except for negations TextBlob put in
 * front. (Assessments themselves may interleave: in "good not ! bad" the "!" joins the chunk of
 * "good", the "not" the chunk of "bad"; in "not ♥ good" the negation survives the one-character
 * emoticon, whose chunk comes first.)
 */
function checkExplained(text: string, r: ExplainedAnalysis, counts = newCounts()): Counts {
  const a = analyze(text);
  const what = JSON.stringify(text);
  assert.ok(Object.is(r.polarity, a.polarity) && Object.is(r.subjectivity, a.subjectivity), `${what}: scores differ`);
  assert.deepEqual(
    r.assessments.map(([words, p, s, label]) => [words, p, s, label]),
    a.assessments,
    `${what}: assessments differ`,
  );
  const all: Span[] = [];
  for (const [words, , , , spans] of r.assessments) {
    counts.assessments++;
    assert.equal(spans.length, words.length, `${what}: one span per word`);
    words.forEach((word, k) => {
      const [offset, length] = spans[k]!;
      assert.ok(Number.isInteger(offset) && offset >= 0 && length > 0 && offset + length <= text.length, `${what}: span ${offset},${length}`);
      const typed = text.slice(offset, offset + length);
      counts.words++;
      if (pyLower(typed) === word) return;
      assert.equal(pyLower(piecesOf(typed)), word, `${what}: ${JSON.stringify(typed)} is not ${JSON.stringify(word)}`);
      assert.ok(typed !== withoutPySpace(typed), `${what}: a joined span holds whitespace`);
      counts.joined++;
    });
    // In text order after the negations put in front.
    let first = spans.length - 1;
    while (first > 0 && spans[first - 1]![0] + spans[first - 1]![1] <= spans[first]![0]) first--;
    for (let k = 0; k < first; k++) assert.ok(NEGATIONS.includes(words[k]!), `${what}: ${words[k]} out of text order`);
    if (first > 0) counts.negationInFront++;
    all.push(...spans);
  }
  all.sort((x, y) => x[0] - y[0]);
  for (let k = 1; k < all.length; k++) assert.ok(all[k - 1]![0] + all[k - 1]![1] <= all[k]![0], `${what}: spans overlap`);
  return counts;
}

// Located as in corpus.test.ts: dist/test/engine/ -> the repository root, the corpus beside it.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpusDir = process.env.POLARITY_CORPUS_DIR ?? join(repoRoot, '..', 'shared', 'corpus');

test('explain: every corpus snippet — same result as analyze(), every span its word', (t) => {
  if (!existsSync(corpusDir)) {
    t.skip(`${corpusDir} not found: corpus offsets check skipped`);
    return;
  }
  const files = readdirSync(corpusDir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  assert.ok(files.length > 0, `no .jsonl files in ${corpusDir}`);
  const counts = newCounts();
  let texts = 0;
  for (const file of files) {
    for (const line of readFileSync(join(corpusDir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { text } = JSON.parse(line) as { text: string };
      texts++;
      checkExplained(text, explain(text), counts);
    }
  }
  const summary = `${texts} snippets, ${counts.assessments} assessments, ${counts.words} words: ${counts.words - counts.joined} spans are the word as typed, ${counts.joined} a joined emoticon or "(!)"; ${counts.negationInFront} assessments with a negation put in front`;
  t.diagnostic(summary);
  console.log(`offsets corpus: ${summary}`);
  assert.ok(texts > 0 && counts.words > 0);
});

/** Pieces that exercise every tokenizer rule and the rewrites, in any order and spacing. */
const ATOMS = [
  'good',
  'Good',
  'bad',
  'not',
  'no',
  'never',
  'very',
  'really',
  'very no',
  'very a no',
  'happily',
  'a',
  'the',
  "n't",
  "isn't",
  "it's",
  'kind',
  '\u212Aind',
  '!',
  '.',
  '?',
  '...',
  '.....',
  ',',
  ';',
  ':',
  ')',
  '(',
  '-',
  '^',
  '*',
  '8',
  'x',
  'D',
  'd',
  'o',
  'O',
  '<',
  '3',
  '>',
  '/',
  '\\',
  '[',
  ']',
  '=',
  '°',
  '♥',
  "'",
  '"',
  '“',
  '”',
  '‘',
  '’',
  ':)',
  ': )',
  ':-)',
  '( ! )',
  '(!)',
  'x-D',
  'XD',
  'O.o',
  ':-.',
  ":'(",
  ": ' (",
  'Mr.',
  'Dr.',
  'U.S.',
  'e.g.',
  'i.e.',
  'etc.',
  'T.',
  'END-OF-SENTENCE',
  'İ',
  'é',
  'Σ',
  '😀',
  '\ud800',
  '\u0000',
  '\u200b',
  '\ufeff',
];
const SEPARATORS = [' ', ' ', ' ', '', '', '\n', '\r\n', '\n\n', '\t', '\u00a0', '\u2028', '\u0085', '\u001c', '  '];

test('explain: random and adversarial strings — same result as analyze(), every span its word', (t) => {
  const counts = newCounts();
  const piece = fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...SEPARATORS)).map(([a, s]) => a + s);
  const text = fc.oneof(
    { weight: 4, arbitrary: fc.array(piece, { maxLength: 40 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...':;()!-^*8xXDdoO<>3 .\n'), maxLength: 60 }) },
  );
  fc.assert(
    fc.property(text, (s) => {
      checkExplained(s, explain(s), counts);
    }),
    { seed: 20261203, numRuns: 5000 },
  );
  t.diagnostic(`${counts.assessments} assessments, ${counts.words} words, ${counts.joined} joined spans, ${counts.negationInFront} with a negation put in front`);
  assert.ok(counts.joined > 0 && counts.negationInFront > 0, 'the generator reaches joined emoticons and negations put in front');
});

test('explain: long texts with many emoticons and sentences', () => {
  const rnd = xorshift(1203);
  for (let k = 0; k < 200; k++) {
    const n = 50 + Math.floor(rnd() * 400);
    let s = '';
    for (let j = 0; j < n; j++) s += ATOMS[Math.floor(rnd() * ATOMS.length)]! + SEPARATORS[Math.floor(rnd() * SEPARATORS.length)]!;
    checkExplained(s, explain(s));
  }
});

// TextBlob inserts each negation at the front of its chunk; done in place that was quadratic.
const NEGATIONS_IN_FRONT = (size = MB): string => 'very no '.repeat(size / 8) + 'good';

for (const [name, make] of [...HOSTILE, ['negations put in front', NEGATIONS_IN_FRONT] as const]) {
  test(`explain: hostile input in linear time: ${name}`, () => {
    const text = make();
    const t0 = performance.now();
    const r = explain(text);
    const ms = performance.now() - t0;
    // Linear code takes well under a second here; anything quadratic would take hours.
    assert.ok(ms < 5000, `${name}: ${ms.toFixed(0)} ms for ${text.length} units`);
    assert.equal(r.assessments.length, analyze(text).assessments.length);
  });
}

test('analyze: negations put in front of a long modifier chain in linear time', () => {
  // At 4 MB a quadratic insert(0, …) took minutes; linear, well under a second.
  const text = NEGATIONS_IN_FRONT(4 * MB);
  const t0 = performance.now();
  const r = analyze(text);
  const ms = performance.now() - t0;
  assert.equal(r.assessments.length, 1);
  assert.equal(r.assessments[0]![0].length, 2 * ((4 * MB) / 8) + 1);
  assert.deepEqual(r.assessments[0]![0].slice(0, 2), ['no', 'no']);
  assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
});

test('scorer: rollback() also forgets the numbers of the words fed since mark()', () => {
  // explain() never rolls back (it takes the full path), but the scorer keeps the two in step.
  const feed = (scorer: Scorer, words: string): void => {
    for (const w of words.split(' ')) {
      const c = classify(w);
      if (typeof c === 'object' && c.kind === 'word') scorer.known(w, c);
      else scorer.unknown(typeof c === 'string' ? c : null, w.length, w.length);
      if (w === '!') scorer.exclamation();
    }
  };
  const straight = new Scorer(true);
  feed(straight, 'very no good no very bad ! really not nice');
  const rolled = new Scorer(true);
  feed(rolled, 'very no good no');
  rolled.mark();
  feed(rolled, 'very no very good ! not bad no');
  rolled.rollback();
  feed(rolled, 'very bad ! really not nice');
  const numbered = straight.finishNumbered();
  assert.deepEqual(rolled.finishNumbered(), numbered);
  assert.deepEqual(
    numbered.assessments.map(([words, , , , at]) => [words, at]),
    [
      [
        ['no', 'very', 'good'],
        [1, 0, 2],
      ],
      [
        ['no', 'very', 'bad', '!'],
        [3, 4, 5, 6],
      ],
      [
        ['really', 'not', 'nice'],
        [7, 8, 9],
      ],
    ],
  );
});
