// The Python behaviours Locust's output depends on, checked against CPython's own results
// (fixtures/locust-reference.json, written by fixtures/locust-reference.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { csvRow, pyFloat, pyFloatRepr, pyJsonDumps, pyRound, pyStrRepr, type PyValue } from '../../src/loadtest/python-compat.js';
import { ROOT } from '../helpers.js';

const ref = JSON.parse(readFileSync(join(ROOT, 'test/loadtest/fixtures/locust-reference.json'), 'utf8')) as {
  float_repr: [number, string][];
  rounds: [number, number, number, number, number][];
  json_dumps: [unknown, string][];
  csv_rows: [(string | number | null)[], string][];
};

test(`round() with ties to even, as CPython, on ${ref.rounds.length} values`, () => {
  for (const [x, r0, r1, r2, r3] of ref.rounds) {
    assert.equal(pyRound(x), r0, `round(${x})`);
    assert.equal(pyRound(x, -1), r1, `round(${x}, -1)`);
    assert.equal(pyRound(x, -2), r2, `round(${x}, -2)`);
    assert.equal(pyRound(x, -3), r3, `round(${x}, -3)`);
  }
});

test(`repr() of floats, as CPython, on ${ref.float_repr.length} values`, () => {
  for (const [x, repr] of ref.float_repr) assert.equal(pyFloatRepr(x), repr, String(x));
});

test("json.dumps() with Python's defaults (what requests sends for json=)", () => {
  for (const [value, text] of ref.json_dumps) assert.equal(pyJsonDumps(value), text);
});

test('csv.writer rows: minimal quoting, None empty, floats by repr, \\r\\n', () => {
  for (const [row, text] of ref.csv_rows) {
    // The fixture's 150.0 arrives from JSON as 150: mark which numbers were Python floats.
    const values: PyValue[] = row.map((v) => (v === 150 ? pyFloat(150) : v));
    assert.equal(csvRow(values), text);
  }
});

test("repr() of str picks quotes like Python's", () => {
  assert.equal(pyStrRepr('plain'), "'plain'");
  assert.equal(pyStrRepr("it's"), '"it\'s"');
  assert.equal(pyStrRepr(`it's "x"`), `'it\\'s "x"'`);
  assert.equal(pyStrRepr('a\\b\n'), "'a\\\\b\\n'");
});
