// The generated lexicon and the emoticon table: facts the engine's fast paths rely on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMOTICON_GROUPS, EMOTICON_POLARITY } from '../../src/engine/emoticons.js';
import { LEXICON_ROWS } from '../../src/engine/lexicon-data.js';
import { classify, classifySpan, LEXICON, NEGATIONS, NON_ASCII } from '../../src/engine/lexicon.js';

// TextBlob's PUNCTUATION string (textblob/_text.py).
const PUNCTUATION = ".,;:!?()[]{}`''\"@#$^&*+-|=~_";

test('lexicon: 2,844 single-token words, lower-case, with finite in-range scores', () => {
  // en-sentiment.xml has 2,918 <word> elements over 2,027 forms; with the "-ly" adverbs TextBlob
  // derives and without the 16 multi-word forms no token can match, 2,844 entries remain.
  assert.equal(LEXICON_ROWS.length, 2844);
  assert.equal(LEXICON.size, 2844);
  for (const [form, p, s, i, modifier, label] of LEXICON_ROWS) {
    assert.equal(form, form.toLowerCase(), form);
    assert.ok(!/\s/.test(form), `${form} has no whitespace`);
    assert.ok(p >= -1 && p <= 1, `${form} polarity`);
    assert.ok(s >= 0 && s <= 1, `${form} subjectivity`);
    assert.ok(i > 0 && Number.isFinite(i), `${form} intensity`);
    assert.ok(modifier === 0 || modifier === 1);
    assert.ok(label === null || label === 'profanity', `${form} label`);
  }
});

test('lexicon: known averages (TextBlob Sentiment.load averages senses, then parts of speech)', () => {
  // Values as TextBlob 0.18 computes them (the reference corpus shows the same floats).
  assert.deepEqual([LEXICON.get('good')!.polarity, LEXICON.get('good')!.subjectivity], [0.7, 0.6000000000000001]);
  assert.deepEqual([LEXICON.get('bad')!.polarity, LEXICON.get('bad')!.subjectivity], [-0.6999999999999998, 0.6666666666666666]);
  assert.equal(LEXICON.get('very')!.intensity, 1.3);
  assert.equal(LEXICON.get('crap')!.label, 'profanity');
});

test('lexicon: no negation and no single character is a lexicon word (the fast path relies on it)', () => {
  for (const n of NEGATIONS) assert.equal(LEXICON.get(n), undefined, n);
  for (const key of LEXICON.keys()) assert.ok([...key].length > 1, key);
  for (const ch of PUNCTUATION + '“”‘’') assert.equal(classify(ch), undefined, ch);
});

test('lexicon and emoticons: frozen — entries and the maps cannot be changed', () => {
  const map = LEXICON as Map<string, unknown>;
  assert.throws(() => map.set('good', {}), TypeError);
  assert.throws(() => map.delete('good'), TypeError);
  assert.throws(() => map.clear(), TypeError);
  assert.ok(Object.isFrozen(LEXICON.get('good')));
  assert.equal(LEXICON.get('good')!.polarity, 0.7);
  assert.throws(() => (EMOTICON_POLARITY as Map<string, number>).set(':)', -1), TypeError);
  assert.ok(Object.isFrozen(EMOTICON_GROUPS) && Object.isFrozen(EMOTICON_GROUPS[0]!.forms));
});

test('lexicon: span lookup agrees with string lookup, lower-casing ASCII', () => {
  const text = 'xx GOOD Very not Never O.o x-D unknown-word xx naïve';
  const spans: [number, number, unknown][] = [
    [3, 7, classify('good')],
    [8, 12, classify('very')],
    [13, 16, 'not'],
    [17, 22, 'never'],
    [23, 26, classify('o.o')],
    [27, 30, classify('x-d')],
    [31, 43, undefined],
    [47, 52, NON_ASCII],
  ];
  for (const [s, e, want] of spans) assert.equal(classifySpan(text, s, e), want, text.slice(s, e));
  for (const [word, entry] of LEXICON) assert.equal(classifySpan(` ${word.toUpperCase()} `, 1, word.length + 1), entry, word);
});

test('emoticons: no emoticon is a prefix of another in the same group (alternation order is irrelevant)', () => {
  for (const g of EMOTICON_GROUPS) {
    for (const a of g.forms) for (const b of g.forms) if (a !== b) assert.ok(!b.startsWith(a), `${g.name}: ${a} / ${b}`);
  }
});

test('emoticons: scored lower-cased, never when alphabetic ("XD"), first group wins', () => {
  assert.equal(EMOTICON_POLARITY.get('xd'), undefined);
  assert.equal(EMOTICON_POLARITY.get('x-d'), 1.0);
  assert.equal(EMOTICON_POLARITY.get(':p'), 0.75);
  assert.equal(EMOTICON_POLARITY.get(':o'), 0.05);
  assert.equal(EMOTICON_POLARITY.get(':c'), -0.75);
  assert.equal(EMOTICON_POLARITY.get("':'''("), undefined);
  for (const w of EMOTICON_POLARITY.keys()) assert.ok(!PUNCTUATION.includes(w), `${w} is not a substring of PUNCTUATION`);
});
