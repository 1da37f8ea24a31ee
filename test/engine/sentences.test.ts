// splitSentences(): the rules of src/engine/sentences.ts, one table row each, then the properties
// every result must have (on random and adversarial strings) and linear time on hostile input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitSentences } from '../../src/engine/sentences.js';
import { MB } from './hostile-inputs.js';

const CASES: readonly [rule: string, text: string, sentences: string[]][] = [
  ['terminator and space', 'Great food. Terrible service!', ['Great food.', 'Terrible service!']],
  ['terminator and space', 'Is it good? Yes! It is.', ['Is it good?', 'Yes!', 'It is.']],
  ['a run of terminators', 'Really?! No way!!! Fine…', ['Really?!', 'No way!!!', 'Fine…']],
  ['a run of terminators', 'Wait... what? Ok', ['Wait...', 'what?', 'Ok']],
  ['closing quotes and brackets stay', '"Wow!" she said. (Great!) Next', ['"Wow!"', 'she said.', '(Great!)', 'Next']],
  ['closing quotes and brackets stay', 'He said “fine.” Then he left.', ['He said “fine.”', 'Then he left.']],
  ['no whitespace after: no end', 'Great!!!Terrible. Ok', ['Great!!!Terrible.', 'Ok']],
  ['decimals', 'It costs 3.5 dollars. Cheap!', ['It costs 3.5 dollars.', 'Cheap!']],
  ['URLs and e-mail addresses', 'Visit example.com today. Or mail me@mail.example.org now.', ['Visit example.com today.', 'Or mail me@mail.example.org now.']],
  ['titles', 'Dr. Smith was great.', ['Dr. Smith was great.']],
  ['titles', 'Mr. and Mrs. Smith came. Ms. Jones (Prof. Lee too) left.', ['Mr. and Mrs. Smith came.', 'Ms. Jones (Prof. Lee too) left.']],
  ['titles', 'mr. smith is nice. Lakers vs. Celtics', ['mr. smith is nice.', 'Lakers vs. Celtics']],
  ['initials', 'J. K. Rowling wrote it. The U.S. economy is fine.', ['J. K. Rowling wrote it.', 'The U.S. economy is fine.']],
  ['initials win over a capital at the end', 'I chose plan B. Then it failed.', ['I chose plan B. Then it failed.']],
  ['etc. and the like before a lower-case word', 'Apples, pears, etc. and more. Good.', ['Apples, pears, etc. and more.', 'Good.']],
  ['etc. and the like before a lower-case word', 'Apples, pears, etc. The rest is bad.', ['Apples, pears, etc.', 'The rest is bad.']],
  [
    'etc. and the like before a lower-case word',
    'Fruit (e.g. apples) is good. At 5 p.m. we ate. At 6 p.m. It rained.',
    ['Fruit (e.g. apples) is good.', 'At 5 p.m. we ate.', 'At 6 p.m.', 'It rained.'],
  ],
  ['a lower-case word after an ordinary period', 'great food. terrible service.', ['great food.', 'terrible service.']],
  ['list markers', '1. Good battery. 2. Bad screen.', ['1. Good battery.', '2. Bad screen.']],
  ['a number that is not a list marker', 'I rate it 5. Really.', ['I rate it 5.', 'Really.']],
  ['no letter or digit yet', '!!! Great. ... and then? :) Ok', ['!!! Great.', '... and then?', ':) Ok']],
  ['blank lines', 'First paragraph\n\nSecond paragraph', ['First paragraph', 'Second paragraph']],
  ['blank lines', 'one\r\n\r\ntwo\n \t\nthree\u2029\u2029four', ['one', 'two', 'three', 'four']],
  ['a single line break', 'line one\nline two\r\nline three', ['line one\nline two\r\nline three']],
  ['non-ASCII', 'Très bien. Ça va? Отлично. Плохо… 很好！', ['Très bien.', 'Ça va?', 'Отлично.', 'Плохо…', '很好！']],
  ['astral characters', '😀. Great 😀! 𝐀𝐁. ok', ['😀. Great 😀!', '𝐀𝐁.', 'ok']],
  ['whitespace only', '  \n\n\t\u00a0\ufeff ', []],
  ['empty', '', []],
  ['terminators only', '...', ['...']],
];

/** Rows are written as the sentences' text; the offsets are checked by checkSpans. */
for (const [rule, text, expected] of CASES) {
  test(`splitSentences: ${rule}: ${JSON.stringify(text)}`, () => {
    const spans = splitSentences(text);
    checkSpans(text, spans);
    assert.deepEqual(
      spans.map(({ offset, length }) => text.slice(offset, offset + length)),
      expected,
    );
  });
}

test('splitSentences: offsets and lengths in UTF-16 code units, trimmed', () => {
  assert.deepEqual(splitSentences('  Hello.  \n\n 😀 Bye!  '), [
    { offset: 2, length: 6 },
    { offset: 13, length: 7 },
  ]);
});

/**
 * Sorted, not overlapping, not empty, each slice its own trim, and together all the text's
 * non-whitespace content.
 */
function checkSpans(text: string, spans: readonly { offset: number; length: number }[]): void {
  const what = JSON.stringify(text);
  let end = 0;
  let content = '';
  for (const { offset, length } of spans) {
    assert.ok(Number.isInteger(offset) && Number.isInteger(length) && offset >= end && length > 0 && offset + length <= text.length, `${what}: span ${offset},${length}`);
    const s = text.slice(offset, offset + length);
    assert.equal(s, s.trim(), `${what}: ${JSON.stringify(s)} is not trimmed`);
    content += s.replace(/\s+/g, '');
    end = offset + length;
  }
  assert.equal(content, text.replace(/\s+/g, ''), `${what}: the spans do not cover the non-whitespace content`);
}

const ATOMS = [
  'Good',
  'good',
  'a',
  'A',
  'B',
  'U.S.',
  'J.',
  'Dr.',
  'mr.',
  'etc.',
  'e.g.',
  'p.m.',
  'vs.',
  '1.',
  '12.',
  '3.5',
  'example.com',
  '.',
  '..',
  '...',
  '!',
  '?',
  '?!',
  '…',
  '"',
  "'",
  '”',
  '’',
  '»',
  ')',
  ']',
  '}',
  '(',
  '“',
  ':)',
  '😀',
  '\ud800',
  'é',
  'Ж',
  '5',
];
const SEPARATORS = [' ', ' ', ' ', '', '', '\n', '\n\n', '\r\n\r\n', '\r', '\t', '\u00a0', '\u2028', '\u2029', '\u0085', '\ufeff', '\u200b', '  \n \n'];

test('splitSentences: random and adversarial strings — sorted, trimmed, covering, without overlap', () => {
  const piece = fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...SEPARATORS)).map(([a, s]) => a + s);
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.array(piece, { maxLength: 40 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'.!?…"\')aA1 \n\r\t'), maxLength: 80 }) },
  );
  fc.assert(
    fc.property(text, (s) => {
      checkSpans(s, splitSentences(s));
    }),
    { seed: 20261203, numRuns: 10000 },
  );
});

const repeat = (unit: string, units: number): string => unit.repeat(Math.ceil(units / unit.length)).slice(0, units);

const HOSTILE: readonly [name: string, text: string, sentences: number | null][] = [
  ['dots', repeat('.', MB), 1],
  ['"a. "', repeat('a. ', MB), Math.ceil(MB / 3)],
  ['initials "A. "', repeat('A. ', MB), 1],
  ['"etc. etc. "', repeat('etc. ', MB), 1],
  ['"Mr. "', repeat('Mr. ', MB), 1],
  ['list markers "1. 1. "', repeat('1. ', MB), null],
  ['newlines', repeat('\n', MB), 0],
  ['"a\\n\\n"', repeat('a\n\n', MB), Math.ceil(MB / 3)],
  ['one word', repeat('a', MB), 1],
  ['closers', repeat('!)', MB), 1],
  ['whitespace then a period', repeat(' ', MB) + 'etc. x', 1],
];

for (const [name, text, count] of HOSTILE) {
  test(`splitSentences: linear time on 1 MB of ${name}`, () => {
    const t0 = performance.now();
    const spans = splitSentences(text);
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    if (count !== null) assert.equal(spans.length, count);
  });
}
