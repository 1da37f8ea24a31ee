// Any string in, finite in-range VADER scores out, in linear time and without shared state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vader, vaderDetail, type VaderScores } from '../../src/engine/vader/index.js';
import { xorshift } from './helpers.js';
import { HOSTILE, MB } from './hostile-inputs.js';

function assertSane(r: VaderScores, what: string): void {
  assert.ok(Number.isFinite(r.compound) && r.compound >= -1 && r.compound <= 1, `${what}: compound ${r.compound}`);
  for (const k of ['pos', 'neu', 'neg'] as const) {
    assert.ok(Number.isFinite(r[k]) && r[k] >= 0 && r[k] <= 1, `${what}: ${k} ${r[k]}`);
  }
}

const repeat = (unit: string, units: number): string => unit.repeat(Math.ceil(units / unit.length)).slice(0, units);

// VADER's own worst cases beside the shared ones: _but_check's index() (quadratic in the
// original) over many equal values, emoji glued together, long runs of rule words.
const VADER_HOSTILE: readonly (readonly [string, () => string])[] = [
  ...HOSTILE,
  ['"but" and equal values', () => 'but ' + repeat('good bad great ', MB)],
  ['values that halve onto each other', () => repeat('fav acquitted ', MB / 2) + 'but ' + repeat('acquitted absolved ', MB / 2)],
  ['emoji glued', () => repeat('😀', MB)],
  ['emoji and words glued', () => repeat('😀good🆒', MB)],
  ['one long word', () => repeat('good', MB)],
  ['no no no', () => repeat('no ', MB) + 'good'],
  ['never so kind of least', () => repeat('never so kind of least at very without doubt the shit ', MB)],
  ['ALL CAPS and not', () => repeat('GOOD bad ', MB)],
];

for (const [name, make] of VADER_HOSTILE) {
  test(`vader: hostile input scores in linear time: ${name}`, () => {
    const text = make();
    const t0 = performance.now();
    const r = vader(text);
    const ms = performance.now() - t0;
    assertSane(r, name);
    // Linear code takes tens of milliseconds here; anything quadratic would take hours.
    assert.ok(ms < 5000, `${name}: ${ms.toFixed(0)} ms for ${text.length} units`);
  });
}

test('vader: random strings never throw, give sane scores, and the detail agrees', () => {
  const rnd = xorshift(20250117);
  const pool = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
    ' ',
    ' ',
    ' ',
    '\n',
    '\t',
    '\u000b',
    '\u001c',
    '\u0085',
    '\u00a0',
    '\u2000',
    '\u2028',
    '\u3000',
    '\ufeff',
    '\u200b',
    'é',
    'İ',
    'Σ',
    'ς',
    'ǅ',
    'ж',
    'Ж',
    '中',
    '\u212a',
    '\u0301',
    '\u{1d400}',
    '\ud800',
    '\udc00',
    '\u0000',
    '😀',
    '💔',
    '🆒',
    '🔛',
    '🅰',
    '👍🏻',
    '❤️',
    '🇺🇸',
    '©',
    'good',
    'GOOD',
    'bad',
    'not',
    'no',
    'very',
    'VERY',
    'kind of',
    'sort of',
    'but',
    'BUT',
    'least',
    'at least',
    'never so',
    'without a doubt',
    'the shit',
    'bad ass',
    "isn't",
    "DON'T",
    ':)',
    ':D',
    '<3',
    '!!!',
    '???',
  ];
  for (let k = 0; k < 20000; k++) {
    const n = Math.floor(rnd() * 40);
    let text = '';
    for (let j = 0; j < n; j++) text += pool[Math.floor(rnd() * pool.length)];
    const r = vader(text);
    assertSane(r, JSON.stringify(text));
    const d = vaderDetail(text);
    assert.deepEqual(d.scores, r, JSON.stringify(text));
    for (const t of d.tokens) {
      assert.ok(Number.isFinite(t.valence) && t.offset >= 0 && t.length > 0 && t.offset + t.length <= text.length, JSON.stringify(text));
    }
  }
});

test('vader: random code points from every plane never throw', () => {
  const rnd = xorshift(7);
  for (let k = 0; k < 5000; k++) {
    const n = Math.floor(rnd() * 30);
    let text = '';
    for (let j = 0; j < n; j++) {
      const cp = Math.floor(rnd() * 0x110000);
      text += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      if (rnd() < 0.2) text += ' ';
    }
    assertSane(vader(text), JSON.stringify(text));
  }
});

test('vader: pure — results do not depend on earlier calls or on mutating earlier results', () => {
  const text = 'Not a VERY good movie, but kind of fun 😀!!';
  const first = vaderDetail(text);
  const snapshot = JSON.stringify(first);
  first.tokens[0]!.valence = 99;
  first.tokens.length = 0;
  first.scores.compound = 5;
  vader('terrible terrible but great GREAT!!! 💔');
  vaderDetail('no no no');
  assert.equal(JSON.stringify(vaderDetail(text)), snapshot);
  assert.deepEqual(vader(text), JSON.parse(snapshot).scores);
});

test('vader: non-string input is scored as its string form', () => {
  assert.deepEqual(vader(123 as unknown as string), vader('123'));
  assert.deepEqual(vader(undefined as unknown as string), vader('undefined'));
});
