// History export/import: round trips through NDJSON and CSV, and the original app's mongoexport;
// CSV's formula escape and how a malformed CSV record is reported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { score } from '../src/engine/engines.js';
import { analyze } from '../src/engine/index.js';
import { escapeFormula, readCsv, unescapeFormula, type CsvItem } from '../src/store/csv.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { exportHistory, importHistory } from '../src/store/transfer.js';
import { ROOT, tempDir } from './helpers.js';

// Texts a spreadsheet would run as formulas, and texts that look like the escape of one.
const FORMULAS = ['=1+1', '+1', '-1', '-0.5', '@SUM(A1:A2)', '\tTab first', '\rCR first', '=HYPERLINK("http://x","y")'];
const QUOTED = ["'=already quoted", "''=two quotes", "'-", "'plain", "'", "''", "x'=", "'\t"];
const TRICKY = ['plain', 'comma, inside', 'quote " inside', '"quoted"', 'new\nline', 'crlf\r\nline', ' edge space ', 'nul \u0000 here', '😀 emoji', '', ...FORMULAS, ...QUOTED];

function newStore(t: { after: (fn: () => unknown) => void }): SqliteHistoryStore {
  const store = new SqliteHistoryStore(join(tempDir(t), 'h.db'));
  t.after(() => store.close());
  return store;
}

function seed(store: SqliteHistoryStore, texts: readonly string[], createdAt?: Date) {
  return store.insert(texts.map((text) => ({ text, sentiment: analyze(text).polarity, subjectivity: analyze(text).subjectivity, engine: 'textblob' as const, ...(createdAt ? { createdAt } : {}) })));
}

async function items(chunks: Iterable<string | Buffer>): Promise<CsvItem[]> {
  const out: CsvItem[] = [];
  for await (const item of readCsv(Readable.from(chunks, { objectMode: true }))) out.push(item);
  return out;
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
      await seed(source, TRICKY, when);
      const dump = await collect((out) => exportHistory(source, format, out));
      if (format === 'csv') assert.ok(dump.startsWith('id,text,sentiment,subjectivity,label,engine,createdAt\r\n'));
      const target = newStore(t);
      const report = await importHistory(target, 'auto', Readable.from([dump]));
      assert.deepEqual(report, { imported: TRICKY.length, skipped: 0, sentimentMismatches: 0, errors: [] });
      const rows = await target.rowsAfter(0, 100);
      assert.deepEqual(
        rows.map((r) => r.text),
        TRICKY,
      );
      assert.ok(rows.every((r) => r.createdAt === when.toISOString()));
    });
  }

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
      assert.deepEqual(
        (await target.rowsAfter(0, 10)).map((r) => [r.engine, r.sentiment]),
        rows.map((r) => [r.engine, r.sentiment]),
        format,
      );
    }
    const target = newStore(t);
    const report = await importHistory(target, 'ndjson', Readable.from(['{"text": "good"}\n{"text": "good", "engine": "afinn"}\n{"text": "good", "engine": "vader"}\n']));
    assert.deepEqual([report.imported, report.skipped], [2, 1]);
    assert.match(report.errors[0]!, /^line 2: unknown engine "afinn"/);
    assert.deepEqual(
      (await target.rowsAfter(0, 10)).map((r) => [r.engine, r.sentiment]),
      [
        ['textblob', analyze('good').polarity],
        ['vader', score('good', 'vader').sentiment],
      ],
    );
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

  test('the CLI: export to a file, import it into another database; CSV with and without --csv-exact', async (t) => {
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
    const rows = cli(['history', 'export', '--db', join(dir, 'b.db')])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((r: { text: string; createdAt: string }) => [r.text, r.createdAt]),
      [['good stuff', '2020-07-26T12:46:38.000Z']],
    );
    const bad = cli(['history', 'import', '--db', join(dir, 'c.db'), '-'], '{"txt": 1}\n');
    assert.equal(bad.status, 1);
    assert.equal(cli(['history', 'export', '--format', 'xml']).status, 2);
    // CSV: formulas escaped by default, exact with --csv-exact; each read back as it was written.
    const formulas = new SqliteHistoryStore(join(dir, 'd.db'));
    await seed(formulas, ['=1+1', "'=x"]);
    await formulas.close();
    for (const [flags, cells] of [
      [[], ["'=1+1", "''=x"]],
      [['--csv-exact'], ['=1+1', "'=x"]],
    ] as const) {
      const file = join(dir, `formulas${flags.length}.csv`);
      assert.equal(cli(['history', 'export', '--db', join(dir, 'd.db'), '--format', 'csv', ...flags, '--out', file]).status, 0);
      assert.deepEqual(
        readFileSync(file, 'utf8')
          .split('\r\n')
          .slice(1, 3)
          .map((l) => l.split(',')[1]),
        cells,
      );
      const db = join(dir, `back${flags.length}.db`);
      assert.equal(cli(['history', 'import', '--db', db, ...flags, file]).status, 0);
      const back = new SqliteHistoryStore(db);
      assert.deepEqual(
        (await back.rowsAfter(0, 10)).map((r) => r.text),
        ['=1+1', "'=x"],
      );
      await back.close();
    }
    const malformed = cli(['history', 'import', '--db', join(dir, 'e.db'), '-'], 'id,text\n1,5" screen\n2,fine\n');
    assert.equal(malformed.status, 1);
    assert.match(malformed.stderr, /^skipped line 2: a quote inside an unquoted field/m);
    assert.match(malformed.stderr, /imported 1 rows .* skipped 1;/);
    assert.equal(cli(['history', 'export', '--csv-exact']).status, 2);
    assert.equal(cli(['history', 'import', '--format', 'ndjson', '--csv-exact', '-'], '').status, 2);
  });
});

describe('CSV formula escape (OWASP CSV injection)', () => {
  test('a cell that starts with = + - @ tab or CR gets a quote; so does one that starts with quotes and then one of those', () => {
    const table: [string, string][] = [
      ['=1+1', "'=1+1"],
      ['+1', "'+1"],
      ['-0.5', "'-0.5"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\tx', "'\tx"],
      ['\rx', "'\rx"],
      ["'=x", "''=x"],
      ["''-x", "'''-x"],
      ["'x", "'x"],
      ["'", "'"],
      ['x=1', 'x=1'],
      [' =1', ' =1'],
      ['', ''],
    ];
    for (const [text, cell] of table) {
      assert.equal(escapeFormula(text), cell, JSON.stringify(text));
      assert.equal(unescapeFormula(cell), text, JSON.stringify(cell));
    }
  });

  test('unescape(escape(s)) is s for every string, and no escaped cell starts with a trigger', () => {
    const unit = fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '\n', '"', ',', ' ', 'a', '1');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 8 }), (s) => {
        const cell = escapeFormula(s);
        assert.equal(unescapeFormula(cell), s);
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
      }),
      { seed: 4180, numRuns: 5000 },
    );
  });

  test('export escapes text cells only: ids and scores stay numbers, negative ones too', async (t) => {
    const source = newStore(t);
    await seed(source, ['This is terrible', ...FORMULAS, ...QUOTED]);
    const dump = await collect((out) => exportHistory(source, 'csv', out));
    assert.match(dump, /\r\n1,This is terrible,-1,1,negative,textblob,/);
    const records = (await items([dump])).slice(1);
    assert.equal(records.length, 1 + FORMULAS.length + QUOTED.length);
    for (const item of records) {
      assert.ok('fields' in item);
      const [id, text, sentiment, subjectivity, label, engine] = item.fields;
      for (const n of [id, sentiment, subjectivity]) assert.match(n!, /^-?\d+(\.\d+)?(e-\d+)?$/, `a number: ${n}`);
      for (const cell of [text, label, engine]) assert.doesNotMatch(cell!, /^[=+\-@\t\r]/);
    }
    assert.deepEqual(
      records.map((r) => ('fields' in r ? r.fields[1] : r.problem)),
      ['This is terrible', ...FORMULAS, ...QUOTED].map(escapeFormula),
    );
  });

  test('--csv-exact writes cells as stored and reads them as written; without it on import, the rule removes one quote', async (t) => {
    const source = newStore(t);
    await seed(source, TRICKY);
    const dump = await collect((out) => exportHistory(source, 'csv', out, { csvExact: true }));
    assert.match(dump, /\r\n\d+,=1\+1,/);
    assert.match(dump, /\r\n\d+,'=already quoted,/);
    const exact = newStore(t);
    assert.equal((await importHistory(exact, 'auto', Readable.from([dump]), { csvExact: true })).imported, TRICKY.length);
    assert.deepEqual(
      (await exact.rowsAfter(0, 100)).map((r) => r.text),
      TRICKY,
    );
    // An exact file read with the default rule: texts that look escaped lose their first quote.
    const ruled = newStore(t);
    await importHistory(ruled, 'auto', Readable.from([dump]));
    assert.deepEqual(
      (await ruled.rowsAfter(0, 100)).map((r) => r.text),
      TRICKY.map(unescapeFormula),
    );
    assert.notDeepEqual(TRICKY.map(unescapeFormula), TRICKY);
  });
});

describe('CSV import: malformed records are skipped with their line, the rest still imports', () => {
  const importCsv = async (t: { after: (fn: () => unknown) => void }, csv: string) => {
    const store = newStore(t);
    const report = await importHistory(store, 'auto', Readable.from([csv]));
    return { report, texts: (await store.rowsAfter(0, 100)).map((r) => r.text) };
  };

  test('a quote inside an unquoted field (1,5" screen) and a quoted field with an undoubled quote', async (t) => {
    const { report, texts } = await importCsv(t, 'id,text,sentiment\r\n1,good,\r\n2,1,5" screen is too small,\r\n3,"the 5" screen is fine",\r\n4,"closed"then more,\r\n5,fine,\r\n');
    assert.deepEqual(texts, ['good', 'fine']);
    assert.equal(report.skipped, 3);
    assert.match(report.errors[0]!, /^line 3: a quote inside an unquoted field/);
    assert.match(report.errors[1]!, /^line 4: a quoted field's closing quote is followed by " "/);
    assert.match(report.errors[2]!, /^line 5: a quoted field's closing quote is followed by "t"/);
  });

  test('a quote never closed: reported at its line, with how far it reached', async (t) => {
    const { report, texts } = await importCsv(t, 'text\ngood\n"never closed\nstill inside\n');
    assert.deepEqual(texts, ['good']);
    assert.deepEqual(report.errors, ['line 3: a quoted field that starts on this line is never closed: the rest of the input, to line 4, is skipped']);
    // A later quote makes it a quoted field that is closed wrongly: the lines it took are named.
    const later = await importCsv(t, 'id,text\n1,"opened\n2,taken\n3,"x",\n4,after\n');
    assert.deepEqual(later.texts, ['after']);
    assert.deepEqual(later.report.errors, [
      `line 2: a quoted field's closing quote is followed by "x", not by a comma or the end of the line (inside a quoted field a quote is written twice) (the record runs to line 4)`,
    ]);
  });

  test('too many or too few fields', async (t) => {
    const { report, texts } = await importCsv(t, 'id,text,sentiment\n1,good,\n2,two\n3,a,b,c\n4,"multi\nline",x,y\n5,fine,\n');
    assert.deepEqual(texts, ['good', 'fine']);
    assert.deepEqual(report.errors, ['line 3: 2 fields, where the header has 3', 'line 4: 4 fields, where the header has 3', 'line 5: 4 fields, where the header has 3 (the record runs to line 6)']);
  });

  test('BOM, CRLF, quoted CR LF and blank lines: fields and line numbers', async (t) => {
    const csv = '\uFEFFtext,engine\r\n"a\r\nb",vader\r\n\r\n"c\nd",\r\n"x"y,\r\n"e ""q""",blend\r\nlast,';
    assert.deepEqual(await items([csv]), [
      { line: 1, fields: ['text', 'engine'] },
      { line: 2, fields: ['a\r\nb', 'vader'] },
      { line: 5, fields: ['c\nd', ''] },
      { line: 7, problem: `a quoted field's closing quote is followed by "y", not by a comma or the end of the line (inside a quoted field a quote is written twice)` },
      { line: 8, fields: ['e "q"', 'blend'] },
      { line: 9, fields: ['last', ''] },
    ]);
    const { report, texts } = await importCsv(t, csv);
    assert.deepEqual(texts, ['a\r\nb', 'c\nd', 'e "q"', 'last']);
    assert.deepEqual(
      report.errors.map((e) => e.slice(0, 7)),
      ['line 7:'],
    );
  });

  test('split across chunks at every position (text and bytes) parses the same', async () => {
    const csv = '\uFEFFid,text\r\n1,"a ""b"", c"\r\n2,"multi\r\nline é"\r\n\r\n3,5" bad\r\n4,"😀 ok",\r\n5,plain\r\n6,"end"';
    const whole = await items([csv]);
    assert.deepEqual(whole, [
      { line: 1, fields: ['id', 'text'] },
      { line: 2, fields: ['1', 'a "b", c'] },
      { line: 3, fields: ['2', 'multi\r\nline é'] },
      { line: 6, problem: 'a quote inside an unquoted field (a field with a quote, comma or line break must be quoted, its quotes doubled)' },
      { line: 7, problem: '3 fields, where the header has 2' },
      { line: 8, fields: ['5', 'plain'] },
      { line: 9, fields: ['6', 'end'] },
    ]);
    for (let cut = 1; cut < csv.length; cut++) assert.deepEqual(await items([csv.slice(0, cut), csv.slice(cut)]), whole, `text cut at ${cut}`);
    const bytes = Buffer.from(csv);
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(await items([bytes.subarray(0, cut), bytes.subarray(cut)]), whole, `byte cut at ${cut}`);
    assert.deepEqual(await items([...bytes].map((b) => Buffer.of(b))), whole, 'one byte at a time');
  });

  test('a malformed header stops the import; so does a record too long to be one (a quote never closed in a big file)', async (t) => {
    await assert.rejects(importHistory(newStore(t), 'csv', Readable.from(['id,"te"xt\n1,a\n'])), /the CSV header \(line 1\) is malformed/);
    const chunks = ['text\nfine\n"open\n', ...Array.from({ length: 10 }, () => 'x'.repeat(100) + '\n')];
    await assert.rejects(
      (async () => {
        for await (const item of readCsv(Readable.from(chunks), 500)) void item;
      })(),
      /^Error: line 3: a record longer than 500 bytes \(a quote never closed\?\)/,
    );
  });
});
