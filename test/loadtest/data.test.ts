// --data: reading texts (lines, JSON Lines), the order they are used in, and the bodies that reach
// the server — from the seed scenario and from a scenario file with {{text}}.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { createFeed, DataError, parseTexts } from '../../src/loadtest/data.js';
import { runLoad } from '../../src/loadtest/run.js';
import { fillTemplate, loadScenario, parseScenario, SEED_TEXT } from '../../src/loadtest/scenario.js';
import { sink, stubServer } from './helpers.js';

test('texts: plain lines, or JSON Lines with a "text" field', () => {
  assert.deepEqual(parseTexts('good day\n\nbad day\r\n  spaced  \n', 'f'), ['good day', 'bad day', '  spaced  ']);
  assert.deepEqual(parseTexts('{"id": 1, "text": "I love it"}\n{"text": "é \\"quoted\\""}\n', 'f'), ['I love it', 'é "quoted"']);
  // A first line that looks like JSON but is not: plain lines.
  assert.deepEqual(parseTexts('{not json\nsecond\n', 'f'), ['{not json', 'second']);
  assert.throws(() => parseTexts('\n \n', 'f'), DataError);
  assert.throws(() => parseTexts('{"text": "a"}\n{"txt": "b"}\n', 'f.jsonl'), /f\.jsonl line 2: no string "text" field/);
  assert.throws(() => parseTexts('{"text": "a"}\nplain\n', 'f.jsonl'), /line 2: not JSON/);
});

test('feeds: round-robin from an offset; random reproducible from the seed', () => {
  const rr = createFeed(3, 'round-robin', 1, 2);
  assert.deepEqual(
    Array.from({ length: 7 }, () => rr.next()),
    [2, 0, 1, 2, 0, 1, 2],
  );
  const a = createFeed(1000, 'random', 42);
  const b = createFeed(1000, 'random', 42);
  const c = createFeed(1000, 'random', 43);
  const xs = Array.from({ length: 200 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 200 }, () => b.next()),
    xs,
  );
  assert.notDeepEqual(
    Array.from({ length: 200 }, () => c.next()),
    xs,
  );
  assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 1000));
  assert.ok(new Set(xs).size > 150, 'spread over the texts');
});

test('templates: {{text}} filled as JSON (escaped as Python json.dumps does) or raw', () => {
  const s = parseScenario(
    {
      tasks: [
        { method: 'POST', path: '/analyze', json: { text: '{{text}}', engine: 'vader' } },
        { method: 'POST', path: '/raw', body: 'q={{text}}&x={{text}}', headers: { 'Content-Type': 'text/plain' } },
        { method: 'GET', path: '/history' },
      ],
    },
    't',
  );
  assert.equal(s.tasks[0]!.template, 'json');
  assert.equal(s.tasks[1]!.template, 'raw');
  assert.equal(s.tasks[2]!.template, undefined);
  assert.equal(fillTemplate(s.tasks[0]!, 'say "hi" — ok\n'), '{"text": "say \\"hi\\" \\u2014 ok\\n", "engine": "vader"}');
  assert.equal(fillTemplate(s.tasks[1]!, 'a b'), 'q=a b&x=a b');
  // The seed scenario with --data posts the texts where it posted its fixed sentence.
  const seed = loadScenario('seed', true);
  assert.ok([...seed.onStart, ...seed.tasks].filter((r) => r.method === 'POST').every((r) => r.template === 'json'));
  assert.equal(fillTemplate(seed.tasks[0]!, SEED_TEXT), JSON.stringify({ text: SEED_TEXT }).replace(':', ': '));
});

test('--data: the server receives the texts in round-robin order, one per POST', async (t) => {
  const server = await stubServer(t);
  const texts = ['first text', 'second "text"', 'third — text'];
  const scenario = parseScenario({ tasks: [{ method: 'POST', path: '/analyze', json: { text: '{{text}}' } }] }, 'post-only');
  const { report } = await runLoad(
    { host: server.url, scenario, users: 1, spawnRate: 1, durationS: 5, timeoutS: 5, stopTimeoutS: 2, maxRequests: 7, mode: 'max', seed: 1, data: { file: 'x', texts, order: 'round-robin' } },
    { progress: null, handleSignals: false },
  );
  assert.equal(report.failures, 0);
  assert.deepEqual(
    server.bodies.map((b) => JSON.parse(b).text),
    [0, 1, 2, 0, 1, 2, 0].map((i) => texts[i]),
  );
  assert.deepEqual(report.parameters.data, { file: 'x', texts: 3, order: 'round-robin' });
});

test("polarity loadtest --data FILE.jsonl --data-order random: the seed scenario posts the file's texts, the same ones for the same seed", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'texts.jsonl');
  const texts = Array.from({ length: 50 }, (_, i) => `text number ${i}: ${i % 2 ? 'great' : 'awful'}`);
  writeFileSync(file, texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n');
  const run = async (): Promise<string[]> => {
    const server = await stubServer(t);
    const code = await runLoadtest(['--host', server.url, '--max', '--connections', '1', '-t', '5s', '--max-requests', '30', '-q', '--seed', '5', '--data', file, '--data-order', 'random'], {
      stdout: sink().stream,
      stderr: sink().stream,
    });
    assert.equal(code, 0);
    return server.bodies.map((b) => JSON.parse(b).text);
  };
  const a = await run();
  assert.ok(a.length >= 8, `POSTs: ${a.length}`);
  assert.ok(
    a.every((x) => texts.includes(x)),
    'every body is one of the texts',
  );
  assert.ok(new Set(a).size > 3, 'varied');
  assert.deepEqual(await run(), a, 'same seed, same texts in the same order');
  // A scenario asking for texts without --data, or --data a scenario cannot use: usage errors.
  const err = sink();
  assert.equal(await runLoadtest(['--host', 'http://127.0.0.1:1', '--data', join(dir, 'missing.txt')], { stdout: sink().stream, stderr: err.stream }), 2);
  assert.match(err.text(), /cannot read --data file/);
  const scenarioFile = join(dir, 's.json');
  writeFileSync(scenarioFile, JSON.stringify({ tasks: [{ method: 'POST', path: '/a', json: { text: '{{text}}' } }] }));
  const err2 = sink();
  assert.equal(await runLoadtest(['--host', 'http://127.0.0.1:1', '--scenario', scenarioFile], { stdout: sink().stream, stderr: err2.stream }), 2);
  assert.match(err2.text(), /give the texts with --data FILE/);
});
