// History export/import: round trips through NDJSON and CSV, and the original app's mongoexport.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { score } from '../src/engine/engines.js';
import { analyze } from '../src/engine/index.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { CsvParser, exportHistory, importHistory } from '../src/store/transfer.js';
import { ROOT, tempDir } from './helpers.js';

const TRICKY = ['plain', 'comma, inside', 'quote " inside', '"quoted"', 'new\nline', 'crlf\r\nline', ' edge space ', 'nul \u0000 here', '😀 emoji', '=1+1', ''];

function newStore(t: { after: (fn: () => unknown) => void }): SqliteHistoryStore {
  const store = new SqliteHistoryStore(join(tempDir(t), 'h.db'));
  t.after(() => store.close());
  return store;
}

async function collect(fn: (out: PassThrough) => Promise<unknown>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  await fn(out);
  out.end();
  return text;
}

describe('export and import', () => {
  for (const format of ['ndjson', 'csv'] as const) {
    test(`${format}: every text survives a round trip, order and times kept`, async (t) => {
      const source = newStore(t);
      const when = new Date('2020-01-02T03:04:05.678Z');
      await source.insert(TRICKY.map((text) => ({ text, ...(() => { const r = analyze(text); return { sentiment: r.polarity, subjectivity: r.subjectivity, engine: 'textblob' as const }; })(), createdAt: when })));
      const dump = await collect((out) => exportHistory(source, format, out));
      if (format === 'csv') assert.ok(dump.startsWith('id,text,sentiment,subjectivity,label,engine,createdAt\r\n'));
      const target = newStore(t);
      const report = await importHistory(target, 'auto', Readable.from([dump]));
      assert.deepEqual(report, { imported: TRICKY.length, skipped: 0, sentimentMismatches: 0, errors: [] });
      const rows = await target.rowsAfter(0, 100);
      assert.deepEqual(rows.map((r) => r.text), TRICKY);
      assert.ok(rows.every((r) => r.createdAt === when.toISOString()));
    });
  }

  test('CSV split across chunks at every position parses the same', () => {
    const csv = 'text,x\r\n"a ""b"", c",1\r\n"multi\nline",2\r\nplain,3\r\n';
    const whole: string[][] = [];
    new CsvParser().push(csv, (r) => whole.push(r));
    assert.deepEqual(whole, [['text', 'x'], ['a "b", c', '1'], ['multi\nline', '2'], ['plain', '3']]);
    for (let cut = 1; cut < csv.length; cut++) {
      const parts: string[][] = [];
      const p = new CsvParser();
      p.push(csv.slice(0, cut), (r) => parts.push(r));
      p.push(csv.slice(cut), (r) => parts.push(r));
      p.end((r) => parts.push(r));
      assert.deepEqual(parts, whole, `cut at ${cut}`);
    }
  });

  test("the original app's mongoexport: lines and --jsonArray; ObjectId time; recorded scores checked", async (t) => {
    // 5f1d7b2e = 1595767598 s = 2020-07-26T12:46:38Z
    const docs = [
      { _id: { $oid: '5f1d7b2e8a4c3b0012345678' }, text: 'I love it', sentiment: analyze('I love it').polarity },
      { _id: { $oid: '5f1d7b2f8a4c3b0012345679' }, text: 'This is terrible', sentiment: analyze('This is terrible').polarity },
      { _id: { $oid: '5f1d7b308a4c3b001234567a' }, text: 'edited by hand', sentiment: 0.75 },
    ];
    for (const [name, input] of [
      ['lines', docs.map((d) => JSON.stringify(d)).join('\n') + '\n'],
      ['jsonArray', JSON.stringify(docs, null, 2)],
    ] as const) {
      const store = newStore(t);
      const report = await importHistory(store, 'auto', Readable.from([input]));
      assert.equal(report.imported, 3, name);
      assert.equal(report.sentimentMismatches, 1, name);
      const rows = await store.rowsAfter(0, 10);
      assert.equal(rows[0]!.createdAt, '2020-07-26T12:46:38.000Z');
      assert.equal(rows[0]!.sentiment, analyze('I love it').polarity);
      assert.equal(rows[2]!.sentiment, analyze('edited by hand').polarity, 'the engine scores, not the file');
    }
  });

  test('each row keeps its engine through export and import (both formats); rows without one are textblob', async (t) => {
    const source = newStore(t);
    const rows = (['textblob', 'vader', 'blend'] as const).map((engine) => {
      const r = score('Not bad at all!', engine);
      return { text: 'Not bad at all!', sentiment: r.sentiment, subjectivity: r.subjectivity, engine };
    });
    await source.insert(rows);
    for (const format of ['ndjson', 'csv'] as const) {
      const dump = await collect((out) => exportHistory(source, format, out));
      const target = newStore(t);
      const report = await importHistory(target, 'auto', Readable.from([dump]));
      assert.deepEqual(report, { imported: 3, skipped: 0, sentimentMismatches: 0, errors: [] }, format);
      assert.deepEqual((await target.rowsAfter(0, 10)).map((r) => [r.engine, r.sentiment]), rows.map((r) => [r.engine, r.sentiment]), format);
    }
    const target = newStore(t);
    const report = await importHistory(target, 'ndjson', Readable.from(['{"text": "good"}\n{"text": "good", "engine": "afinn"}\n{"text": "good", "engine": "vader"}\n']));
    assert.deepEqual([report.imported, report.skipped], [2, 1]);
    assert.match(report.errors[0]!, /^line 2: unknown engine "afinn"/);
    assert.deepEqual((await target.rowsAfter(0, 10)).map((r) => [r.engine, r.sentiment]), [['textblob', analyze('good').polarity], ['vader', score('good', 'vader').sentiment]]);
  });

  test('bad records are skipped and reported; good ones still land', async (t) => {
    const store = newStore(t);
    const input = '{"text": "fine"}\nnot json\n{"text": 5}\n[1]\n\n{"text": "bad \\ud800"}\n{"text": "also fine"}\n';
    const report = await importHistory(store, 'ndjson', Readable.from([input]));
    assert.equal(report.imported, 2);
    assert.equal(report.skipped, 4);
    assert.deepEqual(report.errors, ['line 2: not valid JSON', 'line 3: no string field "text"', 'line 4: not a JSON object', 'line 6: text contains a lone UTF-16 surrogate']);
    await assert.rejects(importHistory(newStore(t), 'csv', Readable.from(['a,b\n1,2\n'])), /no "text" column/);
    await assert.rejects(importHistory(newStore(t), 'json-array', Readable.from(['{"text": "x"}'])), /not a JSON array/);
  });

  test('the CLI: export to a file, import it into another database', (t) => {
    const dir = tempDir(t);
    const cli = (args: string[], input?: string) => spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), ...args], { encoding: 'utf8', input });
    const mongo = join(dir, 'mongo.json');
    writeFileSync(mongo, '{"_id":{"$oid":"5f1d7b2e8a4c3b0012345678"},"text":"good stuff","sentiment":0.7}\n');
    const imp = cli(['history', 'import', '--db', join(dir, 'a.db'), mongo]);
    assert.equal(imp.status, 0, imp.stderr);
    assert.match(imp.stderr, /imported 1 rows .* skipped 0; 0 had a recorded sentiment different/);
    const exp = cli(['history', 'export', '--db', join(dir, 'a.db'), '--format', 'csv', '--out', join(dir, 'out.csv')]);
    assert.equal(exp.status, 0, exp.stderr);
    const back = cli(['history', 'import', '--db', join(dir, 'b.db'), '-'], cli(['history', 'export', '--db', join(dir, 'a.db')]).stdout);
    assert.equal(back.status, 0, back.stderr);
    const rows = cli(['history', 'export', '--db', join(dir, 'b.db')]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r: { text: string; createdAt: string }) => [r.text, r.createdAt]), [['good stuff', '2020-07-26T12:46:38.000Z']]);
    const bad = cli(['history', 'import', '--db', join(dir, 'c.db'), '-'], '{"txt": 1}\n');
    assert.equal(bad.status, 1);
    assert.equal(cli(['history', 'export', '--format', 'xml']).status, 2);
  });
});
