// web/src/highlight.ts on its own, in Node (no browser needed): the page's module is bundled with
// esbuild, as the build does, and imported from memory. The server sends where each word is; these
// check that the page cuts the text by those offsets and that no answer, however wrong, can make it
// throw or lose a character (fast-check, fixed seed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { build } from 'esbuild';

const SOURCE = fileURLToPath(new URL('../../../web/src/highlight.ts', import.meta.url));
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 5000);
const SEED = 20261204;

interface Mark {
  offset: number;
  length: number;
  item: string;
}
interface Segment {
  text: string;
  item?: string;
}
interface HighlightModule {
  highlight(text: string, marks: readonly Mark[]): Segment[];
  assessmentSpan(a: unknown[]): { offset: number; length: number } | undefined;
  sliceOf(text: string, offset: number, length: number): string;
}

async function load(): Promise<HighlightModule> {
  const out = await build({ entryPoints: [SOURCE], bundle: true, format: 'esm', write: false, logLevel: 'silent' });
  const code = Buffer.from(out.outputFiles[0]!.contents).toString('base64');
  return (await import(`data:text/javascript;base64,${code}`)) as HighlightModule;
}

const mod = await load();

/** The marked parts as "text=item", plain text left out. */
function marked(segments: Segment[]): string[] {
  return segments.filter((s) => s.item !== undefined).map((s) => `${s.text}=${s.item}`);
}

const FOOD = 'The food was great. The service was not good.';

test('marks are cut from the offsets the server sends', () => {
  const table: { name: string; text: string; marks: Mark[]; want: string[] }[] = [
    {
      name: 'two phrases',
      text: FOOD,
      marks: [
        { offset: 13, length: 5, item: 'a' },
        { offset: 36, length: 8, item: 'b' },
      ],
      want: ['great=a', 'not good=b'],
    },
    {
      name: 'marks given out of order are shown in text order',
      text: FOOD,
      marks: [
        { offset: 36, length: 8, item: 'b' },
        { offset: 13, length: 5, item: 'a' },
      ],
      want: ['great=a', 'not good=b'],
    },
    { name: 'case and spacing are the text\u2019s own', text: 'Very   GOOD!!', marks: [{ offset: 0, length: 13, item: 'a' }], want: ['Very   GOOD!!=a'] },
    { name: 'an emoji is two UTF-16 units', text: 'I \u{1F600} it', marks: [{ offset: 2, length: 2, item: 'e' }], want: ['\u{1F600}=e'] },
    {
      name: 'an overlapping mark is left unmarked',
      text: FOOD,
      marks: [
        { offset: 36, length: 8, item: 'a' },
        { offset: 40, length: 4, item: 'b' },
      ],
      want: ['not good=a'],
    },
    {
      name: 'the same start: the first one wins',
      text: FOOD,
      marks: [
        { offset: 36, length: 3, item: 'a' },
        { offset: 36, length: 8, item: 'b' },
      ],
      want: ['not=a'],
    },
    {
      name: 'out of range is clipped',
      text: 'good',
      marks: [
        { offset: -2, length: 4, item: 'a' },
        { offset: 3, length: 99, item: 'b' },
      ],
      want: ['go=a', 'd=b'],
    },
    {
      name: 'past the end, empty, negative, fractional, NaN: skipped',
      text: 'good',
      marks: [
        { offset: 4, length: 2, item: 'a' },
        { offset: 1, length: 0, item: 'b' },
        { offset: 2, length: -1, item: 'c' },
        { offset: 0.5, length: 1, item: 'd' },
        { offset: Number.NaN, length: 1, item: 'e' },
        { offset: 0, length: Infinity, item: 'f' },
      ],
      want: [],
    },
    { name: 'a span cutting a surrogate pair takes the whole character', text: 'a\u{1F600}b', marks: [{ offset: 2, length: 2, item: 'a' }], want: ['\u{1F600}b=a'] },
    { name: 'a span ending inside a surrogate pair takes the whole character', text: 'a\u{1F600}b', marks: [{ offset: 0, length: 2, item: 'a' }], want: ['a\u{1F600}=a'] },
  ];
  for (const { name, text, marks, want } of table) {
    const segments = mod.highlight(text, marks);
    assert.deepEqual(marked(segments), want, name);
    assert.equal(segments.map((s) => s.text).join(''), text, `${name}: the text is kept`);
  }
});

test('a TextBlob assessment spans its first word to its last, whatever their order', () => {
  const table: { name: string; a: unknown[]; want: { offset: number; length: number } | undefined }[] = [
    { name: 'one word', a: [['great'], 0.8, 0.75, null, [[13, 5]]], want: { offset: 13, length: 5 } },
    {
      name: 'in order',
      a: [
        ['not', 'good'],
        -0.35,
        0.6,
        null,
        [
          [36, 3],
          [40, 4],
        ],
      ],
      want: { offset: 36, length: 8 },
    },
    // TextBlob puts a negation in front of the words it negates ("really not good" → not, really, good).
    {
      name: 'negation put in front',
      a: [
        ['not', 'really', 'good'],
        -0.35,
        0.6,
        null,
        [
          [7, 3],
          [0, 6],
          [11, 4],
        ],
      ],
      want: { offset: 0, length: 15 },
    },
    { name: 'no spans (an older server)', a: [['good'], 0.7, 0.6, null], want: undefined },
    { name: 'malformed spans are ignored', a: [['good'], 0.7, 0.6, null, [null, [1], ['a', 2], [3, -1], [5, 4]]], want: { offset: 5, length: 4 } },
    { name: 'nothing usable', a: [['good'], 0.7, 0.6, null, 'x'], want: undefined },
  ];
  for (const { name, a, want } of table) assert.deepEqual(mod.assessmentSpan(a), want, name);
});

test('sliceOf clips like a mark', () => {
  assert.equal(mod.sliceOf(FOOD, 20, 25), 'The service was not good.');
  assert.equal(mod.sliceOf(FOOD, 40, 100), 'good.');
  assert.equal(mod.sliceOf(FOOD, 100, 3), '');
  assert.equal(mod.sliceOf(FOOD, Number.NaN, 3), '');
});

test('no answer makes highlight throw, lose text or leave an empty segment', () => {
  const anyNumber = fc.oneof(fc.integer({ min: -50, max: 80 }), fc.double(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -0));
  const mark = fc.record({ offset: anyNumber, length: anyNumber, item: fc.string({ maxLength: 2 }) });
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.array(mark, { maxLength: 12 }), (text, marks) => {
      const segments = mod.highlight(text, marks);
      assert.equal(segments.map((s) => s.text).join(''), text);
      for (const s of segments) assert.ok(s.text.length > 0, 'no empty segment');
      assert.ok(segments.length <= 2 * marks.length + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
});

test('disjoint marks inside the text are all marked, in text order, whatever order they came in', () => {
  // Cut points in an ASCII text: every other gap between them is a mark.
  const caseArb = fc.string({ minLength: 1, maxLength: 60 }).chain((text) => fc.tuple(fc.constant(text), fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 10 }), fc.integer()));
  fc.assert(
    fc.property(caseArb, ([text, cuts, shuffle]) => {
      const points = [...cuts].sort((a, b) => a - b);
      const marks: Mark[] = [];
      for (let i = 0; i + 1 < points.length; i += 2) {
        if (points[i + 1]! > points[i]!) marks.push({ offset: points[i]!, length: points[i + 1]! - points[i]!, item: String(i) });
      }
      const want = marks.map((m) => `${text.slice(m.offset, m.offset + m.length)}=${m.item}`);
      const given = [...marks].sort((a, b) => ((a.offset * 7919 + shuffle) % 13) - ((b.offset * 7919 + shuffle) % 13));
      assert.deepEqual(marked(mod.highlight(text, given)), want);
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
