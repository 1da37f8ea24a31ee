// VADER's rules, one table row per behaviour: text -> compound, pos, neu, neg.
//
// The expected values come from the original run as oracle: vaderSentiment's own
// SentimentIntensityAnalyzer().polarity_scores (cjhutto/vaderSentiment at 44fc044, CPython 3.11.7),
// not from this code. The token lists below are the original's words_and_emoticons and
// sentiments (captured from score_valence); the offsets are ours (the original has none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vader, vaderDetail, type VaderScores } from '../../src/engine/vader/index.js';
import { pyRound } from '../../src/engine/vader/python.js';
import { butCheck } from '../../src/engine/vader/score.js';
import { tokenize } from '../../src/engine/vader/tokenizer.js';

type Row = [rule: string, text: string, compound: number, pos: number, neu: number, neg: number];

const CASES: readonly Row[] = [
  ['lexicon', 'good', 0.4404, 1.0, 0.0, 0.0],
  ['lexicon', 'bad', -0.5423, 0.0, 0.0, 1.0],
  ['lexicon', 'The book was good.', 0.4404, 0.492, 0.508, 0.0],
  ['lexicon', 'okay', 0.2263, 1.0, 0.0, 0.0],
  ['lexicon', 'the movie', 0.0, 0.0, 1.0, 0.0],
  ['emoticons', ':)', 0.4588, 1.0, 0.0, 0.0],
  ['emoticons', ':-(', -0.3612, 0.0, 0.0, 1.0],
  ['emoticons', '<3', 0.4404, 1.0, 0.0, 0.0],
  ['emoticons', ':D', 0.5106, 1.0, 0.0, 0.0],
  ['emoticons', 'Make sure you :) or :D today!', 0.8633, 0.706, 0.294, 0.0],
  ['emoji', '😀', 0.3612, 0.714, 0.286, 0.0],
  ['emoji', 'I love it 😀', 0.7717, 0.691, 0.309, 0.0],
  ['emoji', '😀😀😀', 0.7579, 0.714, 0.286, 0.0],
  ['emoji', '💔', 0.2732, 0.575, 0.0, 0.425],
  ['emoji', '😀good', 0.3612, 0.714, 0.286, 0.0],
  ['emoji', 'sad😀', -0.1531, 0.379, 0.152, 0.47],
  ['emoji', '🆒', 0.4648, 0.752, 0.248, 0.0],
  ['emoji', 'the 🆒 movie', 0.4648, 0.503, 0.497, 0.0],
  ['emoji', '🔛 wow', 0.6239, 0.672, 0.328, 0.0],
  ['emoji', '👍🏻 nice', 0.4215, 0.359, 0.641, 0.0],
  ['emoji', '❤\ufe0f', 0.0, 0.0, 1.0, 0.0],
  ['emoji', '🇺🇸', 0.0, 0.0, 1.0, 0.0],
  ['emoji', 'Catch utf-8 emoji such as 💘 and 💋 and 😁', 0.875, 0.417, 0.583, 0.0],
  ['emoji', '©', 0.0, 0.0, 1.0, 0.0],
  ['all caps', 'GOOD', 0.4404, 1.0, 0.0, 0.0],
  ['all caps', 'The movie is GOOD', 0.5622, 0.548, 0.452, 0.0],
  ['all caps', 'VADER is VERY SMART, handsome, and FUNNY.', 0.9227, 0.754, 0.246, 0.0],
  ['all caps', 'VERY good movie', 0.6028, 0.663, 0.337, 0.0],
  ['all caps', 'very GOOD movie', 0.6028, 0.663, 0.337, 0.0],
  ['all caps', 'NO good', -0.4835, 0.0, 0.0, 1.0],
  ['all caps', 'Today SUX!', -0.5461, 0.0, 0.221, 0.779],
  ['all caps', 'I AM HAPPY', 0.5719, 0.649, 0.351, 0.0],
  ['all caps', 'ПРИВЕТ good', 0.4404, 0.744, 0.256, 0.0],
  ['all caps', 'GOOD ПРИВЕТ', 0.4404, 0.744, 0.256, 0.0],
  ['all caps', 'GOOD привет', 0.5622, 0.784, 0.216, 0.0],
  ['all caps', 'GOOD 我', 0.5622, 0.784, 0.216, 0.0],
  ['all caps', 'GOOD 😀', 0.7297, 0.86, 0.14, 0.0],
  ['all caps', 'GOOD 🆒', 0.7695, 0.87, 0.13, 0.0],
  ['exclamation', 'good!', 0.4926, 1.0, 0.0, 0.0],
  ['exclamation', 'good!!', 0.5399, 1.0, 0.0, 0.0],
  ['exclamation', 'good!!!', 0.5826, 1.0, 0.0, 0.0],
  ['exclamation', 'good!!!!!!!!', 0.6209, 1.0, 0.0, 0.0],
  ['exclamation', 'bad!!!', -0.6571, 0.0, 0.0, 1.0],
  ['exclamation', '! ! !', 0.0, 0.0, 1.0, 0.0],
  ['exclamation', 'VADER is VERY SMART, handsome, and FUNNY!!!', 0.9342, 0.767, 0.233, 0.0],
  ['question', 'good?', 0.4404, 1.0, 0.0, 0.0],
  ['question', 'good??', 0.504, 1.0, 0.0, 0.0],
  ['question', 'good???', 0.533, 1.0, 0.0, 0.0],
  ['question', 'good????', 0.594, 1.0, 0.0, 0.0],
  ['question', 'bad???', -0.6174, 0.0, 0.0, 1.0],
  ['question', 'good?!?!', 0.5919, 1.0, 0.0, 0.0],
  ['but', 'The food was good, but the service was terrible.', -0.4939, 0.149, 0.534, 0.317],
  ['but', 'good but bad', -0.5859, 0.253, 0.13, 0.617],
  ['but', 'good good but good', 0.775, 0.886, 0.114, 0.0],
  ['but', 'great, BUT awful', -0.3506, 0.338, 0.132, 0.53],
  ['but', 'but', 0.0, 0.0, 1.0, 0.0],
  ['but', 'but good', 0.5927, 0.794, 0.206, 0.0],
  ['but', 'good but', 0.2382, 0.661, 0.339, 0.0],
  ['but', 'bad but good but bad', -0.4854, 0.3, 0.156, 0.545],
  ['but', 'fav acquitted but', 0.3612, 0.778, 0.222, 0.0],
  ['but', 'but acquitted absolved', 0.6956, 0.852, 0.148, 0.0],
  ['but', 'fav acquitted but acquitted absolved', 0.7391, 0.892, 0.108, 0.0],
  ['but', 'The plot was good, but the characters are uncompelling and the dialog is not great.', -0.7042, 0.094, 0.579, 0.327],
  ['negated boosters', 'not very good', -0.3865, 0.0, 0.433, 0.567],
  ['negated boosters', 'not extremely bad', 0.4708, 0.605, 0.395, 0.0],
  ['negated boosters', "isn't very good", -0.3865, 0.0, 0.433, 0.567],
  ['negated boosters', "didn't really like it", -0.3241, 0.0, 0.563, 0.437],
  ['negated boosters', 'very not good', -0.3988, 0.0, 0.427, 0.573],
  ['negation', 'not good', -0.3412, 0.0, 0.294, 0.706],
  ['negation', 'not bad at all', 0.431, 0.487, 0.513, 0.0],
  ['negation', "isn't good", -0.3412, 0.0, 0.294, 0.706],
  ['negation', 'wasn’t good', 0.4404, 0.744, 0.256, 0.0],
  ['negation', 'no good', -0.3412, 0.0, 0.294, 0.706],
  ['negation', 'no no good', -0.1326, 0.357, 0.189, 0.454],
  ['negation', 'no, or bad', -0.5423, 0.0, 0.364, 0.636],
  ['negation', 'no one or bad', 0.1655, 0.404, 0.284, 0.312],
  ['negation', 'not a good movie', -0.3412, 0.0, 0.555, 0.445],
  ['negation', 'not at all a good movie', 0.4404, 0.367, 0.633, 0.0],
  ['negation', 'Without a doubt, excellent idea.', 0.7013, 0.659, 0.341, 0.0],
  ['negation', 'without doubt good', 0.6136, 0.834, 0.166, 0.0],
  ['negation', "DON'T like it", -0.2755, 0.0, 0.487, 0.513],
  ['negation', "I can't stand it", 0.0, 0.0, 1.0, 0.0],
  ['negation', 'VADER is not smart, handsome, nor funny.', -0.7424, 0.0, 0.354, 0.646],
  ['never so', 'never so good', 0.5777, 0.652, 0.348, 0.0],
  ['never so', 'never this good', 0.5228, 0.628, 0.372, 0.0],
  ['never so', 'Sentiment analysis has never been this good!', 0.5672, 0.379, 0.621, 0.0],
  ['never so', 'Sentiment analysis has never been good.', -0.3412, 0.0, 0.675, 0.325],
  ['never so', 'it is so good', 0.5777, 0.555, 0.445, 0.0],
  ['never so', 'a so good', 0.4927, 0.615, 0.385, 0.0],
  ['never so', 'this good', 0.4404, 0.744, 0.256, 0.0],
  ['least', 'least good', -0.3412, 0.0, 0.294, 0.706],
  ['least', 'at least good', 0.4404, 0.592, 0.408, 0.0],
  ['least', 'the least good', -0.3412, 0.0, 0.454, 0.546],
  ['least', 'very least good', 0.4902, 0.614, 0.386, 0.0],
  ['least', 'Roger Dodger is one of the least compelling variations on this theme.', -0.1695, 0.0, 0.868, 0.132],
  ['least', 'Roger Dodger is at least compelling as a variation on the theme.', 0.2263, 0.147, 0.853, 0.0],
  ['kind of', 'kind of good', 0.4404, 0.592, 0.408, 0.0],
  ['kind of', 'it was kind of good', 0.3832, 0.395, 0.605, 0.0],
  ['kind of', 'sort of good', 0.4404, 0.592, 0.408, 0.0],
  ['kind of', 'kinda good', 0.3832, 0.723, 0.277, 0.0],
  ['kind of', 'The book was only kind of good.', 0.3832, 0.303, 0.697, 0.0],
  ['kind of', 'kind', 0.5267, 1.0, 0.0, 0.0],
  ['kind of', 'so kind of you', 0.0, 0.0, 1.0, 0.0],
  ['idioms', 'the shit', -0.5574, 0.0, 0.217, 0.783],
  ['idioms', 'this movie is the shit', 0.6124, 0.5, 0.5, 0.0],
  ['idioms', 'On the other hand, VADER is quite bad ass', 0.802, 0.577, 0.423, 0.0],
  ['idioms', 'he is a bad ass', 0.6124, 0.625, 0.375, 0.0],
  ['idioms', 'yeah right', 0.296, 0.688, 0.312, 0.0],
  ['idioms', 'oh well yeah right', 0.5106, 0.683, 0.317, 0.0],
  ['idioms', 'it was the kiss of death', -0.6124, 0.0, 0.444, 0.556],
  ['idioms', 'a cake to die for', -0.5994, 0.0, 0.506, 0.494],
  ['idioms', 'what a broken heart', -0.7906, 0.0, 0.222, 0.778],
  ['idioms', 'my beating heart', 0.296, 0.512, 0.122, 0.366],
  ['idioms', 'at the bus stop', 0.0, 0.0, 1.0, 0.0],
  ['idioms', 'VADER is such a badass!', 0.4003, 0.402, 0.598, 0.0],
  ['idioms', 'it is the bomb', 0.6124, 0.571, 0.429, 0.0],
  ['non-Latin', 'Я люблю это', 0.0, 0.0, 1.0, 0.0],
  ['non-Latin', '我很惊讶地看到VADER是如此有用!', 0.0, 0.0, 1.0, 0.0],
  ['non-Latin', 'İyi good', 0.4404, 0.744, 0.256, 0.0],
  ['non-Latin', '\u212aind of good', 0.4404, 0.592, 0.408, 0.0],
  ['non-Latin', 'ǅ good', 0.4404, 0.744, 0.256, 0.0],
  ['non-Latin', 'ΟΔΟΣ is GOOD', 0.5622, 0.645, 0.355, 0.0],
  ['non-Latin', 'مرحبا good', 0.4404, 0.744, 0.256, 0.0],
  ['non-Latin', 'नमस\u094dत\u0947 bad', -0.5423, 0.0, 0.222, 0.778],
  ['empty', '', 0.0, 0.0, 0.0, 0.0],
  ['whitespace', '   \t\n', 0.0, 0.0, 0.0, 0.0],
  ['whitespace', '\u3000\u00a0\u2003', 0.0, 0.0, 0.0, 0.0],
  ['whitespace', '\u001c\u001d\u0085', 0.0, 0.0, 0.0, 0.0],
  ['weird unicode', '\u200bgood\u200b', 0.0, 0.0, 1.0, 0.0],
  ['weird unicode', 'good\ufeff', 0.0, 0.0, 1.0, 0.0],
  ['weird unicode', 'g\u0301ood', 0.0, 0.0, 1.0, 0.0],
  ['weird unicode', 'good\u00a0bad', -0.1531, 0.453, 0.0, 0.547],
  ['weird unicode', 'good\u001cbad', -0.1531, 0.453, 0.0, 0.547],
  ['weird unicode', 'good\u0085bad', -0.1531, 0.453, 0.0, 0.547],
  ['weird unicode', 'ｇｏｏｄ', 0.0, 0.0, 1.0, 0.0],
  ['weird unicode', '𝐠𝐨𝐨𝐝', 0.0, 0.0, 1.0, 0.0],
  ['weird unicode', 'GOOD \ua7cb', 0.5622, 0.784, 0.216, 0.0],
  ['weird unicode', 'GOOD \u0295', 0.5622, 0.784, 0.216, 0.0],
  ['punctuation', 'good.', 0.4404, 1.0, 0.0, 0.0],
  ['punctuation', "'good'", 0.4404, 1.0, 0.0, 0.0],
  ['punctuation', '(good)', 0.4404, 1.0, 0.0, 0.0],
  ['punctuation', '...good...', 0.4404, 1.0, 0.0, 0.0],
  ['punctuation', '!!!good!!!', 0.6209, 1.0, 0.0, 0.0],
  ['punctuation', 'a.', 0.0, 0.0, 1.0, 0.0],
  ['punctuation', 'good,bad', 0.0, 0.0, 1.0, 0.0],
  ['punctuation', '--:)--', 0.0, 0.0, 1.0, 0.0],
  ['rounding ties', 'fav zq zq zq zq zq zq zq zq zq zq zq zq zq', 0.4588, 0.188, 0.812, 0.0],
  ['rounding ties', 'acquitted zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq zq', 0.25, 0.062, 0.938, 0.0],
  ['rounding ties', 'ok', 0.296, 1.0, 0.0, 0.0],
  // 1.8 - 2.2 + 2.233 - 1.833 is -2.2e-16 in floats: round(-5.7e-17, 4) is -0.0
  ['rounding', 'nice bomb :-P IGNORES', -0.0, 0.5, 0.0, 0.5],
  // long texts, built below: [rule, name, …] with the text from LONG_TEXTS
  ['long', 'long: 5,000 × good, but bad', 1, 0.999, 0, 0],
  ['long', 'long: 400 × not very good, but kind of bad!!!', -1, 0, 0.367, 0.633],
];

const LONG_TEXTS: Record<string, string> = {
  'long: 5,000 × good, but bad': 'good '.repeat(5000) + 'but bad',
  'long: 400 × not very good, but kind of bad!!!': 'not very good, but kind of bad!!! '.repeat(400).trim(),
};

/** Exact equality, telling 0 from -0 (Python's round(-0.00001, 4) is -0.0). */
function assertScores(actual: VaderScores, expected: VaderScores, what: string): void {
  for (const k of ['compound', 'pos', 'neu', 'neg'] as const) {
    assert.ok(Object.is(actual[k], expected[k]), `${what}: ${k} ${actual[k]}, expected ${expected[k]}`);
  }
}

for (const [rule, name, compound, pos, neu, neg] of CASES) {
  const text = LONG_TEXTS[name] ?? name;
  test(`vader ${rule}: ${JSON.stringify(name)}`, () => {
    const expected = { compound, pos, neu, neg };
    assertScores(vader(text), expected, JSON.stringify(name));
    assertScores(vaderDetail(text).scores, expected, `detail of ${JSON.stringify(name)}`);
  });
}

// [text, [word, offset, length, valence][]]: words and valences from the original (see top).
const TOKENS: readonly [string, [string, number, number, number][]][] = [
  // emoji -> description; no space after it, so the last word takes what follows
  [
    '😀good!',
    [
      ['grinning', 0, 2, 1.5],
      ['facegood', 0, 6, 0],
    ],
  ],
  [
    'Hi, 💔 u!!',
    [
      ['Hi,', 0, 3, 0],
      ['broken', 4, 2, -2.1],
      ['heart', 4, 2, 3.2],
      ['u!!', 7, 3, 0],
    ],
  ],
  [
    "'good' (bad)",
    [
      ['good', 1, 4, 1.9],
      ['bad', 8, 3, -2.5],
    ],
  ],
  // KELVIN SIGN lower-cases to "k": "Kind of" is "kind of"
  [
    '\u212aind of good',
    [
      ['\u212aind', 0, 4, 0],
      ['of', 5, 2, 0],
      ['good', 8, 4, 1.9],
    ],
  ],
  [
    'a🆒b',
    [
      ['a', 0, 1, 0],
      ['COOL', 1, 2, 2.033],
      ['buttonb', 1, 3, 0],
    ],
  ],
  // "A button (blood type)" and ")": "(blood" and "type))" lose their brackets
  [
    '🅰)',
    [
      ['A', 0, 2, 0],
      ['button', 0, 2, 0],
      ['blood', 0, 2, 0],
      ['type', 0, 2, 0],
    ],
  ],
  [
    'not very GOOD, but kind of bad!!',
    [
      ['not', 0, 3, 0],
      ['very', 4, 4, 0],
      ['GOOD', 9, 4, -1.0826200000000001],
      ['but', 15, 3, 0],
      ['kind', 19, 4, 0],
      ['of', 24, 2, 0],
      ['bad', 27, 3, -4.189500000000001],
    ],
  ],
  // _but_check scales the first element equal to each value: 2.0 halves to 1.0, then 1.0 finds it
  [
    'fav acquitted but acquitted absolved',
    [
      ['fav', 0, 3, 0.5],
      ['acquitted', 4, 9, 0.5],
      ['but', 14, 3, 0],
      ['acquitted', 18, 9, 1],
      ['absolved', 28, 8, 2.25],
    ],
  ],
  // 🔛 is "ON! arrow": its "!" counts, but the sum is 0, so nothing is amplified
  [
    'I 🔛 it??',
    [
      ['I', 0, 1, 0],
      ['ON!', 2, 2, 0],
      ['arrow', 2, 2, 0],
      ['it??', 5, 4, 0],
    ],
  ],
  [
    'no no good',
    [
      ['no', 0, 2, 0],
      ['no', 3, 2, 0.888],
      ['good', 6, 4, -1.406],
    ],
  ],
];

for (const [text, expected] of TOKENS) {
  test(`vaderDetail tokens: ${JSON.stringify(text)}`, () => {
    const d = vaderDetail(text);
    assert.deepEqual(
      d.tokens.map((t) => [t.word, t.offset, t.length, t.valence]),
      expected,
    );
    // The detail's sums are the ones behind the scores.
    const sum = d.tokens.reduce((s, t) => s + t.valence, 0);
    assert.equal(d.sumS, sum);
    assert.equal(d.neuCount, d.tokens.filter((t) => t.valence === 0).length);
  });
}

test('vaderDetail offsets: a plain token is its source; an emoji word points at its emoji', () => {
  const text = "It's NOT bad 😀, (really) great!!! 💔—but 👍🏻ok… \u212aind of,  \u3000 fine";
  const d = vaderDetail(text);
  for (const t of d.tokens) {
    const src = text.slice(t.offset, t.offset + t.length);
    const first = src.codePointAt(0)!;
    if (first >= 0xa9 && src !== t.word) {
      // from an emoji: a word of its description, maybe with the text glued after the emoji
      assert.ok(t.word.endsWith(src.slice(first > 0xffff ? 2 : 1)), `${t.word} from ${src}`);
      continue;
    }
    assert.equal(src, t.word);
  }
  assert.deepEqual(
    d.tokens.filter((t) => t.offset === text.indexOf('😀')).map((t) => t.word),
    ['grinning', 'face'], // "face," stripped
  );
});

test('punctuation emphasis: "!" counts up to 4, "?" 2–3 count 0.18 each, more 0.96', () => {
  const e = (text: string): number => vaderDetail(text).punctEmphasis;
  assert.equal(e('good'), 0);
  assert.equal(e('good!'), 0.292);
  assert.equal(e('good!!!!!!'), 4 * 0.292);
  assert.equal(e('good?'), 0);
  assert.equal(e('good??'), 2 * 0.18);
  assert.equal(e('good????'), 0.96);
  assert.equal(e('good!??'), 0.292 + 2 * 0.18);
  assert.equal(e('🔛'), 0.292); // "ON! arrow"
});

// Python's round(x, n), values from CPython 3.11: ties (x = odd/16 at 3 places, odd/32 at 4) go
// to even; 2.675 is below 2.675 in binary; a negative that rounds to zero is -0.0.
const ROUNDING: readonly [x: number, digits: number, expected: number][] = [
  [0.0625, 3, 0.062],
  [0.1875, 3, 0.188],
  [0.3125, 3, 0.312],
  [0.9375, 3, 0.938],
  [-0.0625, 3, -0.062],
  [0.03125, 4, 0.0312],
  [0.09375, 4, 0.0938],
  [-0.03125, 4, -0.0312],
  [0.0005, 3, 0.001],
  [0.0015, 3, 0.002],
  [0.00015, 4, 0.0001],
  [2.675, 2, 2.67],
  [0.1235, 3, 0.123],
  [0.12345, 4, 0.1235],
  [-1e-5, 4, -0.0],
  [-0.0004, 3, -0.0],
  [4e-5, 4, 0.0],
  [0.99995, 4, 1.0],
  [0.9995, 3, 1.0],
  [-0.99995, 4, -1.0],
  [0.3333333333333333, 3, 0.333],
  [0.6666666666666666, 4, 0.6667],
  [0.5, 3, 0.5],
  [-0.0, 4, -0.0],
  [0.0, 3, 0.0],
  [0.8333333333333334, 3, 0.833],
  [0.2856999999, 4, 0.2857],
  [0.28565, 4, 0.2857],
  [0.28575, 4, 0.2858],
];

test("pyRound is Python's round(): ties to even on the exact binary value, -0.0 kept", () => {
  for (const [x, digits, expected] of ROUNDING) {
    assert.ok(Object.is(pyRound(x, digits), expected), `round(${x}, ${digits}) = ${pyRound(x, digits)}, expected ${expected}`);
  }
});

test('pyRound agrees with toFixed wherever x is not an exact tie', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let k = 0; k < 100000; k++) {
    const x = (rnd() - 0.5) * 2 * (rnd() < 0.5 ? 1 : 1e-3);
    for (const digits of [3, 4]) {
      const tie = Number.isInteger(x * 2 ** (digits + 1)) && (x * 2 ** (digits + 1)) % 2 !== 0;
      if (!tie) assert.ok(Object.is(pyRound(x, digits), Number(x.toFixed(digits))), `${x} ${digits}`);
    }
  }
});

/** _but_check transcribed literally: for each value, scale the first element equal to it. */
function butCheckLiteral(ids: readonly number[], butId: number, s: number[]): void {
  const bi = ids.indexOf(butId);
  if (bi < 0) return;
  for (let k = 0; k < s.length; k++) {
    const v = s[k]!;
    const si = s.indexOf(v);
    if (si < bi) s[si] = v * 0.5;
    else if (si > bi) s[si] = v * 1.5;
  }
}

test("_but_check in linear time equals the original's index() loop", () => {
  const butId = tokenize('but', false).ids[0]!;
  let seed = 99;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  // Values chosen so that halving and 1.5× land on other values of the list.
  const pool = [0, -0, 0.25, 0.5, 1, 2, 4, 0.75, 1.5, 2.25, 3, 4.5, 6, 9, -0.5, -1, -2, -1.5, -3, -0.75];
  for (let k = 0; k < 20000; k++) {
    const n = 1 + Math.floor(rnd() * 30);
    const ids = Array.from({ length: n }, () => (rnd() < 0.1 ? butId : 0));
    const s = Array.from({ length: n }, () => pool[Math.floor(rnd() * pool.length)]!);
    const a = [...s];
    const b = [...s];
    butCheck(ids, a);
    butCheckLiteral(ids, butId, b);
    assert.deepEqual(a, b, JSON.stringify([ids.map((x) => x === butId), s]));
  }
});
