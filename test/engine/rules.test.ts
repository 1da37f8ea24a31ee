// The scoring rules, one table row per behaviour: text -> polarity, subjectivity, assessments.
//
// Expected values were produced by a reference run of TextBlob 0.18's own algorithm
// (find_tokens, Sentiment.load/assessments/__call__ from sloria/TextBlob 098f374 and the
// en-sentiment.xml lexicon, run under CPython 3.11; the same reference reproduces all 14,805
// corpus snippets bit for bit), not by this code. A few are re-derived by hand below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeFullPath } from '../../src/engine/analyze.js';
import { analyze } from '../../src/engine/index.js';
import { LEXICON } from '../../src/engine/lexicon.js';
import { assertAnalysisClose, type ExpectedAssessment } from './helpers.js';

type Row = [rule: string, text: string, polarity: number, subjectivity: number, assessments: ExpectedAssessment[]];

const CASES: readonly Row[] = [
  ['lexicon words', 'good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['lexicon words', 'bad', -0.6999999999999998, 0.6666666666666666, [[['bad'], -0.6999999999999998, 0.6666666666666666, null]]],
  ['negation', 'not good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', 'not bad', 0.3499999999999999, 0.6666666666666666, [[['not', 'bad'], 0.3499999999999999, 0.6666666666666666, null]]],
  ['negation', 'not a good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', 'not the good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['negation', 'never good', -0.35, 0.6000000000000001, [[['never', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', 'no good', -0.35, 0.6000000000000001, [[['no', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', "isn't good", 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['negation', "don't like it", 0, 0, []],
  ['modifiers', 'very good', 0.9099999999999999, 0.7800000000000001, [[['very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  ['modifiers', 'very very good', 0.9099999999999999, 0.7800000000000001, [[['very', 'very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  ['modifiers', 'not very good', -0.26923076923076916, 0.46153846153846156, [[['not', 'very', 'good'], -0.26923076923076916, 0.46153846153846156, null]]],
  ['modifiers', 'really not good', -0.35, 0.6000000000000001, [[['really', 'not', 'good'], -0.35, 0.6000000000000001, null]]],
  [
    'modifiers',
    'very not good',
    -0.07499999999999998,
    0.45000000000000007,
    [
      [['very'], 0.2, 0.3, null],
      [['not', 'good'], -0.35, 0.6000000000000001, null],
    ],
  ],
  ['modifiers', 'very is a good', 0.9099999999999999, 0.7800000000000001, [[['very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  [
    'modifiers',
    'very the good',
    0.44999999999999996,
    0.45000000000000007,
    [
      [['very'], 0.2, 0.3, null],
      [['good'], 0.7, 0.6000000000000001, null],
    ],
  ],
  ['exclamation marks', 'good!', 0.875, 0.6000000000000001, [[['good', '!'], 0.875, 0.6000000000000001, null]]],
  ['exclamation marks', 'good!!!', 1, 0.6000000000000001, [[['good', '!', '!', '!'], 1, 0.6000000000000001, null]]],
  ['exclamation marks', 'good !', 0.875, 0.6000000000000001, [[['good', '!'], 0.875, 0.6000000000000001, null]]],
  ['exclamation marks', '!good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['exclamation marks', 'not good!', -0.4375, 0.6000000000000001, [[['not', 'good', '!'], -0.4375, 0.6000000000000001, null]]],
  ['lexicon words', 'terrible', -1, 1, [[['terrible'], -1, 1, null]]],
  ['-ly adverbs', 'terribly', -1, 1, [[['terribly'], -1, 1, null]]],
  ['-ly adverbs', 'happily', 0.8, 1, [[['happily'], 0.8, 1, null]]],
  ['lexicon words', 'happy', 0.8, 1, [[['happy'], 0.8, 1, null]]],
  ['lexicon words', 'simply', 0, 0.35714285714285715, [[['simply'], 0, 0.35714285714285715, null]]],
  ['uppercase', 'GOOD', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['uppercase', 'Good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['uppercase', 'NOT GOOD', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['uppercase', 'VERY GOOD', 0.9099999999999999, 0.7800000000000001, [[['very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  [
    'averaging',
    'good bad',
    5.551115123125783e-17,
    0.6333333333333333,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [['bad'], -0.6999999999999998, 0.6666666666666666, null],
    ],
  ],
  [
    'averaging',
    'good bad ugly nice',
    -0.024999999999999967,
    0.8166666666666667,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [['bad'], -0.6999999999999998, 0.6666666666666666, null],
      [['ugly'], -0.7, 1, null],
      [['nice'], 0.6, 1, null],
    ],
  ],
  ['irony mark', '(!)', 0, 1, [[['(!)'], 0, 1, 'irony']]],
  [
    'irony mark',
    'good (!)',
    0.35,
    0.8,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [['(!)'], 0, 1, 'irony'],
    ],
  ],
  ['irony mark', '( ! )', 0, 1, [[['(!)'], 0, 1, 'irony']]],
  ['emoticons', ':)', 0.5, 1, [[[':)'], 0.5, 1, 'mood']]],
  ['emoticons', ':-(', -0.75, 1, [[[':-('], -0.75, 1, 'mood']]],
  ['emoticons', ': )', 0.5, 1, [[[':)'], 0.5, 1, 'mood']]],
  ['emoticons', 'XD', 0, 0, []],
  ['emoticons', 'xD', 0, 0, []],
  ['emoticons', 'x-D', 1, 1, [[['x-d'], 1, 1, 'mood']]],
  ['emoticons', 'O.o', 0.05, 1, [[['o.o'], 0.05, 1, 'mood']]],
  ['emoticons', '<3', 1, 1, [[['<3'], 1, 1, 'mood']]],
  ['emoticons', '♥', 1, 1, [[['♥'], 1, 1, 'mood']]],
  ['emoticons', ":'(", -1, 1, [[[":'("], -1, 1, 'mood']]],
  ['emoticons', '8)', 0.5, 1, [[['8)'], 0.5, 1, 'mood']]],
  [
    'emoticons',
    'good :)',
    0.6,
    0.8,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [[':)'], 0.5, 1, 'mood'],
    ],
  ],
  [
    'modifiers',
    'very :) good',
    0.44999999999999996,
    0.45000000000000007,
    [
      [['very'], 0.2, 0.3, null],
      [[':)', 'good'], 0.7, 0.6000000000000001, null],
    ],
  ],
  ['lexicon words', 'crap', -0.8, 0.8, [[['crap'], -0.8, 0.8, 'profanity']]],
  ['lexicon words', 'this sucks', -0.3, 0.3, [[['sucks'], -0.3, 0.3, 'profanity']]],
  ['modifiers', 'fucking great', 0.8, 0.75, [[['fucking', 'great'], 0.8, 0.75, null]]],
  ['empty and whitespace-only', '', 0, 0, []],
  ['empty and whitespace-only', ' ', 0, 0, []],
  ['empty and whitespace-only', '  \n\t ', 0, 0, []],
  ['empty and whitespace-only', '\n\n\n', 0, 0, []],
  ['sentence breaks', 'very\r\n\r\ngood', 0.9099999999999999, 0.7800000000000001, [[['very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  ['sentence breaks', 'very.\n\ngood', 0.9099999999999999, 0.7800000000000001, [[['very', 'good'], 0.9099999999999999, 0.7800000000000001, null]]],
  [
    'sentence breaks',
    '*END-OF-SENTENCE )ok',
    0.375,
    0.75,
    [
      [['*)'], 0.25, 1, 'mood'],
      [['ok'], 0.5, 0.5, null],
    ],
  ],
  [
    'sentence breaks',
    'good\n\n:\n\n)',
    0.6,
    0.8,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [[':)'], 0.5, 1, 'mood'],
    ],
  ],
  ['negation', 'not... good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['negation', 'not . good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', 'not, good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['negation', "not 'good'", -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['emoji', 'good \ud83d\ude00', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['emoji', '\ud83d\ude00\ud83d\ude00\ud83d\ude00', 0, 0, []],
  ['non-latin scripts', 'хорошо', 0, 0, []],
  ['unicode whitespace', 'not\u00a0good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['unicode whitespace', 'not\ufeffgood', 0, 0, []],
  ['non-latin scripts', 'Kind', 0.6, 0.9, [[['kind'], 0.6, 0.9, null]]],
  ['non-latin scripts', 'not I good', -0.35, 0.6000000000000001, [[['not', 'good'], -0.35, 0.6000000000000001, null]]],
  ['non-latin scripts', 'not İ good', 0.7, 0.6000000000000001, [[['good'], 0.7, 0.6000000000000001, null]]],
  ['lone surrogates and NUL', '\ud800', 0, 0, []],
  ['lone surrogates and NUL', 'good\u0000', 0, 0, []],
  ['lone surrogates and NUL', '\u0000', 0, 0, []],
  [
    'averaging',
    'The movie was not that bad, actually it was really quite good!',
    0.09375000000000004,
    0.39166666666666666,
    [
      [['bad'], -0.6999999999999998, 0.6666666666666666, null],
      [['actually'], 0, 0.1, null],
      [['really'], 0.2, 0.2, null],
      [['good', '!'], 0.875, 0.6000000000000001, null],
    ],
  ],
  [
    'averaging',
    "I love this phone. It's amazing!!! :D",
    0.8333333333333334,
    0.8333333333333334,
    [
      [['love'], 0.5, 0.6, null],
      [['amazing', '!', '!', '!'], 1, 0.9, null],
      [[':d'], 1, 1, 'mood'],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'Very good. Not : ( at all... really : ) happy!',
    0.33999999999999997,
    0.7450000000000001,
    [
      [['very', 'good'], 0.9099999999999999, 0.7800000000000001, null],
      [[':('], -0.75, 1, 'mood'],
      [['really'], 0.2, 0.2, null],
      [[':)', 'happy', '!'], 1, 1, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'very\n\n: )good',
    0.44999999999999996,
    0.45000000000000007,
    [
      [['very'], 0.2, 0.3, null],
      [[':)', 'good'], 0.7, 0.6000000000000001, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'not. : ) good',
    0.6,
    0.8,
    [
      [[':)'], 0.5, 1, 'mood'],
      [['good'], 0.7, 0.6000000000000001, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'really :c ) good',
    0.5499999999999999,
    0.6,
    [
      [['really'], 0.2, 0.2, null],
      [[':c)'], 0.75, 1, 'mood'],
      [['good'], 0.7, 0.6000000000000001, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'So good :-) but : ( bad',
    -0.06249999999999997,
    0.8166666666666667,
    [
      [['good'], 0.7, 0.6000000000000001, null],
      [[':-)'], 0.5, 1, 'mood'],
      [[':('], -0.75, 1, 'mood'],
      [['bad'], -0.6999999999999998, 0.6666666666666666, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'Nice :) . Not : - ( nice',
    0.23750000000000002,
    1,
    [
      [['nice'], 0.6, 1, null],
      [[':)'], 0.5, 1, 'mood'],
      [[':-('], -0.75, 1, 'mood'],
      [['nice'], 0.6, 1, null],
    ],
  ],
  [
    'sentences rewritten one at a time',
    'happily ( ! ) not good',
    0.15000000000000002,
    0.8666666666666667,
    [
      [['happily'], 0.8, 1, null],
      [['(!)'], 0, 1, 'irony'],
      [['not', 'good'], -0.35, 0.6000000000000001, null],
    ],
  ],
];

for (const [rule, text, polarity, subjectivity, assessments] of CASES) {
  test(`rules — ${rule}: ${JSON.stringify(text)}`, () => {
    assertAnalysisClose(analyze(text), { polarity, subjectivity, assessments }, 'analyze');
    assertAnalysisClose(analyzeFullPath(text), { polarity, subjectivity, assessments }, 'analyzeFullPath');
  });
}

// Hand derivations from the lexicon entries, following Sentiment.assessments step by step.
const entry = (w: string) => {
  const e = LEXICON.get(w);
  assert.ok(e, `${w} is in the lexicon`);
  return e;
};
const clamp = (x: number) => Math.max(-1, Math.min(x, 1));

test('hand-derived: "not good" is good * -0.5', () => {
  const good = entry('good');
  assert.equal(analyze('not good').polarity, good.polarity * -0.5);
  assert.equal(analyze('not good').subjectivity, good.subjectivity);
});

test('hand-derived: "very good" multiplies by the intensity of "very"', () => {
  const good = entry('good');
  const very = entry('very');
  assert.ok(very.modifier, '"very" has an adverb sense');
  const r = analyze('very good');
  assert.equal(r.polarity, clamp(good.polarity * very.intensity));
  assert.equal(r.subjectivity, clamp(good.subjectivity * very.intensity));
});

test('hand-derived: "not very good" inverts the intensity, then negates', () => {
  const good = entry('good');
  const very = entry('very');
  assert.equal(analyze('not very good').polarity, clamp(good.polarity * (1 / very.intensity)) * -0.5);
});

test('hand-derived: each "!" multiplies the previous chunk by 1.25, clamped to 1', () => {
  const good = entry('good');
  assert.equal(analyze('good!').polarity, good.polarity * 1.25);
  assert.equal(analyze('good!!').polarity, clamp(good.polarity * 1.25 * 1.25));
});

test('hand-derived: the score is the plain mean of the chunks, summed left to right', () => {
  const words = ['good', 'bad', 'ugly', 'nice'];
  let sum = 0;
  for (const w of words) sum += entry(w).polarity;
  assert.equal(analyze(words.join(' ')).polarity, sum / words.length);
});

test('"-ly" adverbs take the scores of their adjective', () => {
  for (const [adverb, adjective] of [
    ['terribly', 'terrible'],
    ['happily', 'happy'],
    ['sadly', 'sad'],
  ] as const) {
    const r = analyze(adverb);
    const e = entry(adjective);
    assert.equal(r.polarity, e.polarity, adverb);
    assert.equal(r.subjectivity, e.subjectivity, adverb);
    assert.ok(entry(adverb).modifier, `${adverb} is a modifier`);
  }
});
