// The one error base for users' mistakes (src/user-error.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { reportUserError, UserError } from '../src/user-error.js';

test('a user mistake is one line and its exit code; a bug is rethrown', () => {
  let out = '';
  const stderr = { write: (s: string) => (out += s) };
  assert.equal(reportUserError(new UserError('no such file: x.csv', 'input', 'Give an existing file.', 3), 'polarity history', stderr), 3);
  assert.equal(out, 'polarity history: no such file: x.csv\nGive an existing file.\n');
  out = '';
  assert.equal(reportUserError(new UserError('bad'), 'polarity x', stderr, 'Run polarity x --help.'), 2);
  assert.equal(out, 'polarity x: bad\nRun polarity x --help.\n');
  const bug = new TypeError('undefined is not a function');
  assert.throws(
    () => reportUserError(bug, 'polarity x', stderr),
    (e) => e === bug,
  );
  assert.throws(() => reportUserError(new RangeError('out of range'), 'polarity x', stderr), RangeError, 'a RangeError is not a usage error');
});

test('configuration errors are user errors with exit code 2', () => {
  let caught: unknown;
  try {
    loadConfig({ PORT: 'abc' }, []);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError && caught instanceof UserError);
  assert.equal(caught.code, 'config');
  assert.equal(caught.exitCode, 2);
  assert.equal(caught.name, 'ConfigError');
});
