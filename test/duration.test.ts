// The program's one duration grammar (src/duration.ts), as the load tester and the configuration read it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { DurationError, formatDuration, parseDuration } from '../src/duration.js';

test('durations: single and compound forms, in seconds', () => {
  const table: [string, number][] = [
    ['500ms', 0.5],
    ['90s', 90],
    ['30m', 1800],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['1h30m', 5400],
    ['1m30s', 90],
    ['2m30s500ms', 150.5],
    ['1d12h', 129_600],
    ['1.5h', 5400],
    ['0.1s', 0.1],
    ['30 d', 2_592_000],
    ['1h 30m', 5400],
    ['  45s ', 45],
  ];
  for (const [text, seconds] of table) assert.equal(parseDuration(text), seconds, text);
});

test('durations: a bare number is seconds only where the caller allows it', () => {
  assert.equal(parseDuration('60', { bareSeconds: true }), 60);
  assert.equal(parseDuration('1.5', { bareSeconds: true }), 1.5);
  assert.throws(() => parseDuration('60'), DurationError);
});

test('durations: anything else is refused, saying what is accepted', () => {
  for (const bad of ['', 'h', '10 days', '1x', '1h30', 'm30', '-5s', '1e3s', '5sec', '1,5h', 's5']) {
    assert.throws(
      () => parseDuration(bad, { bareSeconds: true }),
      (e: unknown) => e instanceof DurationError && /use a number with a unit/.test((e as Error).message),
      bad,
    );
  }
});

test('durations: formatDuration writes what parseDuration reads back', () => {
  for (const s of [0.5, 1, 42, 90, 60, 120, 3600, 5400, 7200]) assert.equal(parseDuration(formatDuration(s)), s, formatDuration(s));
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(0.25), '250ms');
});

test('the configuration reads the same grammar: HISTORY_MAX_AGE=1h30m, --history-max-age 1d12h', () => {
  assert.equal(loadConfig({ HISTORY_MAX_AGE: '1h30m' }, []).historyMaxAgeMs, 5_400_000);
  assert.equal(loadConfig({}, ['--history-max-age', '1d12h']).historyMaxAgeMs, 129_600_000);
  assert.equal(loadConfig({ HISTORY_MAX_AGE: '30d' }, []).historyMaxAgeMs, 30 * 86_400_000);
  // An age needs a unit, and at least a second.
  assert.throws(
    () => loadConfig({ HISTORY_MAX_AGE: '90' }, []),
    (e: unknown) => e instanceof ConfigError && /must be a number with a unit/.test((e as Error).message),
  );
  assert.throws(
    () => loadConfig({ HISTORY_MAX_AGE: '500ms' }, []),
    (e: unknown) => e instanceof ConfigError && /at least 1s/.test((e as Error).message),
  );
});
