// polarity analyze: runAnalyze with a text argument, with --jsonl, and its exit codes.
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { runAnalyze } from '../src/cli/analyze.js';
import { scoreExplained } from '../src/engine/engines.js';
import { analyze } from '../src/engine/index.js';
import { vader } from '../src/engine/vader/index.js';

/** Runs the command with the given stdin chunks; collects stdout and stderr. */
async function run(argv: string[], stdinChunks: (string | Buffer)[] = [], stdout: Writable | null = null) {
  const stdin = Readable.from(stdinChunks);
  let out = '';
  let err = '';
  const collect = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const code = await runAnalyze(argv, {
    stdin,
    stdout: stdout ?? collect((s) => (out += s)),
    stderr: collect((s) => (err += s)),
  });
  return { code, out, err };
}

/** What POST /analyze answers with "explain": true on the default engine (textblob). */
const expected = (text: string) => JSON.parse(JSON.stringify(scoreExplained(text, 'textblob')));

test('analyze TEXT prints the analysis as one JSON line', async () => {
  const { code, out, err } = await run(['Not a very good movie :)']);
  assert.equal(code, 0);
  assert.equal(err, '');
  assert.ok(out.endsWith('\n') && out.split('\n').length === 2);
  assert.deepEqual(JSON.parse(out), expected('Not a very good movie :)'));
  assert.deepEqual(JSON.parse(out).assessments[0], [
    ['not', 'very', 'good'],
    -0.26923076923076916,
    0.46153846153846156,
    null,
    [
      [0, 3],
      [6, 4],
      [11, 4],
    ],
  ]);
});

test("analyze names its fields as the API does: sentiment (TextBlob's polarity), subjectivity, label, engine", async () => {
  const text = 'Not a very good movie :)';
  const printed = JSON.parse((await run([text])).out);
  assert.deepEqual(Object.keys(printed).slice(0, 4).sort(), ['engine', 'label', 'sentiment', 'subjectivity']);
  assert.equal(printed.sentiment, analyze(text).polarity);
  assert.equal(printed.subjectivity, analyze(text).subjectivity);
  assert.equal(printed.label, analyze(text).polarity > 0 ? 'positive' : analyze(text).polarity < 0 ? 'negative' : 'neutral');
  assert.equal(printed.engine, 'textblob');
  assert.ok(!('polarity' in printed));
  assert.deepEqual(printed, JSON.parse((await run(['--engine', 'textblob', text])).out), 'the default is --engine textblob');
});

test('analyze joins several words given as separate arguments', async () => {
  const { code, out } = await run(['very', 'good']);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), expected('very good'));
});

test('analyze - scores all of stdin as one text', async () => {
  const { code, out } = await run(['-'], ['Terrible.\n\n', 'Just terrible!']);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), expected('Terrible.\n\nJust terrible!'));
});

test('analyze --help prints usage and exits 0; no text is a usage error (2)', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: polarity analyze/);
  assert.match(help.out, /--jsonl/);
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /missing TEXT/);
  const bad = await run(['--nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown option/);
});

test('--jsonl: one line per input, in order, ids echoed as given', async () => {
  const texts = ['good', 'bad', 'not good', 'I love it :)', '', 'çok iyi'];
  const input = texts.map((text, k) => JSON.stringify({ id: k % 2 ? `s${k}` : k, text })).join('\n') + '\n';
  const { code, out, err } = await run(['--jsonl'], [input]);
  assert.equal(code, 0);
  assert.equal(err, '');
  const lines = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, texts.length);
  lines.forEach((line, k) => {
    assert.deepEqual(line, { id: k % 2 ? `s${k}` : k, ...expected(texts[k]!) });
  });
});

test('--jsonl: malformed lines get an error line, the run goes on, exit code 1', async () => {
  const input = ['{"id": 1, "text": "good"}', '{not json', '', '   ', '{"id": "x"}', '{"id": 7, "text": 42}', '[1, 2]', 'null', '{"text": "bad"}', '{"id": 9, "text": "nice"}'].join('\r\n');
  const { code, out } = await run(['--jsonl'], [input]);
  assert.equal(code, 1);
  const lines = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { id: 1, ...expected('good') });
  assert.equal(lines[1].id, null);
  assert.equal(lines[1].line, 2);
  assert.match(lines[1].error, /invalid JSON/);
  // Blank lines 3 and 4 are skipped but still counted.
  assert.deepEqual(lines[2], { id: 'x', line: 5, error: 'missing "text"' });
  assert.deepEqual(lines[3], { id: 7, line: 6, error: '"text" must be a string' });
  assert.equal(lines[4].line, 7);
  assert.equal(lines[4].id, null);
  assert.equal(lines[5].line, 8);
  assert.deepEqual(lines[6], { id: null, ...expected('bad') });
  assert.deepEqual(lines[7], { id: 9, ...expected('nice') });
  assert.equal(lines.length, 8);
});

test('--jsonl: a byte-order mark before the first line is ignored', async () => {
  const { code, out } = await run(['--jsonl'], ['\ufeff{"id": 1, "text": "good"}\n']);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), { id: 1, ...expected('good') });
});

test('--jsonl: lines and UTF-8 characters split across input chunks; no trailing newline', async () => {
  const line1 = Buffer.from(JSON.stringify({ id: 'a', text: 'naïve but good 😀' }) + '\n');
  const line2 = Buffer.from(JSON.stringify({ id: 'b', text: 'très bien' }));
  const whole = Buffer.concat([line1, line2]);
  const chunks: Buffer[] = [];
  for (let k = 0; k < whole.length; k += 3) chunks.push(whole.subarray(k, k + 3)); // splits multi-byte characters
  const { code, out } = await run(['--jsonl'], chunks);
  assert.equal(code, 0);
  const lines = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { id: 'a', ...expected('naïve but good 😀') },
    { id: 'b', ...expected('très bien') },
  ]);
});

test('--jsonl: waits for a slow stdout (backpressure) and keeps every line in order', async () => {
  const n = 3000;
  const input = Array.from({ length: n }, (_, k) => JSON.stringify({ id: k, text: k % 3 ? 'good movie' : 'bad :(' })).join('\n');
  const received: string[] = [];
  let drains = 0;
  const slow = new Writable({
    highWaterMark: 256,
    write(chunk, _enc, cb) {
      received.push(chunk.toString());
      setImmediate(cb);
    },
  });
  slow.on('drain', () => drains++);
  const stdin = new PassThrough();
  const done = runAnalyze(['--jsonl'], { stdin, stdout: slow, stderr: new PassThrough() });
  for (let k = 0; k < input.length; k += 4096) stdin.write(input.slice(k, k + 4096));
  stdin.end();
  assert.equal(await done, 0);
  const ids = received
    .join('')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l).id);
  assert.deepEqual(
    ids,
    Array.from({ length: n }, (_, k) => k),
  );
  assert.ok(drains > 0, 'stdout signalled backpressure and the command waited for drain');
});

test("analyze --engine prints the API's explained answer for that engine", async () => {
  for (const engine of ['textblob', 'vader', 'blend'] as const) {
    const { code, out } = await run(['--engine', engine, 'The food was GREAT!!! :)']);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), JSON.parse(JSON.stringify(scoreExplained('The food was GREAT!!! :)', engine))));
    assert.equal(JSON.parse(out).engine, engine);
  }
  const lines = await run(['--jsonl', '--engine', 'vader'], ['{"id":1,"text":"good"}\n{"id":2,"text":"bad"}\n']);
  assert.equal(lines.code, 0);
  assert.deepEqual(
    lines.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).sentiment),
    [vader('good').compound, vader('bad').compound],
  );
});

test('analyze --engine with an unknown name is a usage error (exit 2)', async () => {
  const { code, out, err } = await run(['--engine', 'afinn', 'good']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /--engine must be one of textblob, vader, blend/);
});
