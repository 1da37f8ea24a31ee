// Any string in, a finite in-range score out, in linear time and without shared state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeFullPath } from '../../src/engine/analyze.js';
import { analyze, type Analysis } from '../../src/engine/index.js';
import { xorshift } from './helpers.js';
import { HOSTILE } from './hostile-inputs.js';

function assertSane(r: Analysis, what: string): void {
  assert.ok(Number.isFinite(r.polarity) && r.polarity >= -1 && r.polarity <= 1, `${what}: polarity ${r.polarity}`);
  assert.ok(Number.isFinite(r.subjectivity) && r.subjectivity >= 0 && r.subjectivity <= 1, `${what}: subjectivity ${r.subjectivity}`);
  for (const [words, p, s] of r.assessments) {
    assert.ok(words.length > 0 && Number.isFinite(p) && p >= -1 && p <= 1 && Number.isFinite(s) && s >= -1 && s <= 1, what);
  }
}

for (const [name, make] of HOSTILE) {
  test(`hostile input scores in linear time: ${name}`, () => {
    const text = make();
    const t0 = performance.now();
    const r = analyze(text);
    const ms = performance.now() - t0;
    assertSane(r, name);
    // Linear code takes milliseconds here; anything quadratic would take hours.
    assert.ok(ms < 5000, `${name}: ${ms.toFixed(0)} ms for ${text.length} units`);
  });
}

test('random strings: sane results, fast path equals the full find_tokens path', () => {
  const rnd = xorshift(20240521);
  const pool = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?()[]{}`\'"@#$^&*+-|=~_/\\<>°♥“”‘’',
    ' ',
    ' ',
    ' ',
    '\n',
    '\r',
    '\t',
    '\u000b',
    '\u000c',
    '\u001c',
    '\u0085',
    '\u00a0',
    '\u2000',
    '\u2028',
    '\u3000',
    '\ufeff',
    'é',
    'İ',
    'Σ',
    'ж',
    '中',
    '😀',
    '\ud800',
    '\u0000',
    '\u212a',
    'good',
    'not',
    'very',
    'really',
    "n't",
    'no',
    'never',
    'bad',
    'happily',
    ':)',
    'xD',
    'O.o',
    '(!)',
    '...',
    'Mr.',
    'U.S.',
    'END-OF-SENTENCE',
    '\n\n',
  ];
  for (let k = 0; k < 5000; k++) {
    const n = Math.floor(rnd() * 30);
    let text = '';
    for (let j = 0; j < n; j++) text += pool[Math.floor(rnd() * pool.length)];
    const fast = analyze(text);
    assertSane(fast, JSON.stringify(text));
    assert.deepEqual(fast, analyzeFullPath(text), JSON.stringify(text));
  }
});

test('long texts with many emoticons and sentences: fast path equals the full find_tokens path', () => {
  // Long enough that analyze() falls back sentence by sentence, then for the rest of the text.
  const rnd = xorshift(77);
  const atoms = [
    'very',
    'really',
    'not',
    'no',
    'good',
    'bad',
    'happily',
    'a',
    '!',
    '.',
    '?',
    '...',
    ')',
    '”',
    '"',
    "'",
    '(',
    ':',
    ':c',
    ':)',
    ': )',
    '( ! )',
    'x',
    'D',
    '8',
    '-',
    'END-OF-SENTENCE',
    '\n\n',
    'o',
    'O',
    '<',
    '3',
    ';',
    ':-',
    "n't",
    '*',
    'the',
  ];
  const seps = [' ', ' ', ' ', '', '\n'];
  for (let k = 0; k < 300; k++) {
    const n = 20 + Math.floor(rnd() * 300);
    let text = '';
    for (let j = 0; j < n; j++) text += atoms[Math.floor(rnd() * atoms.length)]! + seps[Math.floor(rnd() * seps.length)]!;
    assert.deepEqual(analyze(text), analyzeFullPath(text), JSON.stringify(text));
  }
});

test('pure: results do not depend on earlier calls or on mutating earlier results', () => {
  const first = analyze('Not a very good movie, but happily short :)');
  const snapshot = JSON.stringify(first);
  first.assessments[0]![0].push('tampered');
  first.assessments.length = 0;
  analyze('terrible terrible terrible!!!');
  assert.equal(JSON.stringify(analyze('Not a very good movie, but happily short :)')), snapshot);
});

test('non-string input is scored as its string form, as TextBlob(str(x)) would', () => {
  assert.deepEqual(analyze(String(123)), analyze('123'));
  assert.deepEqual(analyze(undefined as unknown as string), analyze('undefined'));
});
