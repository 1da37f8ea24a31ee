// --threshold: the syntax, the evaluation against a report, and what the command does with them
// (exit status 3, the verdict in the text, JSON and HTML outputs).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { evaluateThreshold, parseThreshold, ThresholdError } from '../../src/loadtest/thresholds.js';
import { reportFromLogs, sink, stubServer, type LoggedRequest } from './helpers.js';

test('threshold syntax: metric, operator, value and unit, optionally per endpoint', () => {
  const table: [string, unknown][] = [
    ['p95<200ms', { endpoint: null, metric: { kind: 'percentile', p: 0.95 }, op: '<', limit: 200 }],
    ['p99 <= 1.5s', { endpoint: null, metric: { kind: 'percentile', p: 0.99 }, op: '<=', limit: 1500 }],
    ['p99.9<300', { endpoint: null, metric: { kind: 'percentile', p: 0.999 }, op: '<', limit: 300 }],
    ['avg<50ms', { endpoint: null, metric: { kind: 'avg' }, op: '<', limit: 50 }],
    ['max<2s', { endpoint: null, metric: { kind: 'max' }, op: '<', limit: 2000 }],
    ['failures<0.1%', { endpoint: null, metric: { kind: 'failures', ratio: true }, op: '<', limit: 0.001 }],
    ['failures<=10', { endpoint: null, metric: { kind: 'failures', ratio: false }, op: '<=', limit: 10 }],
    ['failures==0', { endpoint: null, metric: { kind: 'failures', ratio: false }, op: '<=', limit: 0 }],
    ['rps>5000', { endpoint: null, metric: { kind: 'rps' }, op: '>', limit: 5000 }],
    ['late<1%', { endpoint: null, metric: { kind: 'late', ratio: true }, op: '<', limit: 0.01 }],
    ['POST /analyze:p95<200ms', { endpoint: { method: 'POST', name: '/analyze' }, metric: { kind: 'percentile', p: 0.95 }, op: '<', limit: 200 }],
    ['/history:failures<1%', { endpoint: { method: null, name: '/history' }, metric: { kind: 'failures', ratio: true }, op: '<', limit: 0.01 }],
    ['GET /a:b:rps>=3', { endpoint: { method: 'GET', name: '/a:b' }, metric: { kind: 'rps' }, op: '>=', limit: 3 }],
  ];
  for (const [text, want] of table) {
    const { text: _t, ...got } = parseThreshold(text);
    assert.deepEqual(got, want, text);
  }
  for (const bad of ['p95', 'p95<', 'p95<200%', 'failures<5ms', 'rps>5%', 'p0<1', 'p101<1', 'speed<3', 'p95=200', 'rps==3', ':p95<1', 'POST /x:late<1']) {
    assert.throws(() => parseThreshold(bad), ThresholdError, bad);
  }
});

// 100 requests: POST /analyze 1..50 ms, GET /history 51..100 ms (one of them failed), over 10 s.
const LOGS: LoggedRequest[] = Array.from({ length: 100 }, (_, i) => ({
  method: i < 50 ? 'POST' : 'GET',
  name: i < 50 ? '/analyze' : '/history',
  ms: i + 1,
  at: (i + 1) / 10,
  ...(i === 99 ? { error: "HTTPError('500 Server Error')" } : {}),
}));

test('thresholds read the report: percentiles from the buckets, per endpoint or aggregated, ratios, RPS', () => {
  const r = reportFromLogs(LOGS);
  const check = (text: string, actual: number | null, passed: boolean): void => {
    const res = evaluateThreshold(r, parseThreshold(text));
    assert.equal(res.actual, actual, text);
    assert.equal(res.passed, passed, text);
  };
  // Locust's percentile: from the slowest bucket down until at most ⌊n·p⌋ requests remain below.
  check('p95<100ms', 96, true);
  check('p95<96ms', 96, false);
  check('p95<=96ms', 96, true);
  check('POST /analyze:p95<50ms', 48, true);
  check('GET /history:p50<=76', 76, true);
  check('GET /history:p50<76', 76, false);
  check('/history:max<100ms', 100, false);
  check('avg<50.5ms', 50.5, false);
  check('avg<=50.5ms', 50.5, true);
  check('min>=1ms', 1, true);
  check('med<51', 50, true);
  check('failures<1%', 0.01, false);
  check('failures<=1%', 0.01, true);
  check('/analyze:failures==0', 0, true);
  check('failures<1', 1, false);
  check('requests>=100', 100, true);
  check('rps>10', 10, false); // 100 requests over the 10 s to the last one
  check('rps>=10', 10, true);
  check('PUT /analyze:p50<1s', null, false); // no such endpoint: nothing measured, not held
  // Per endpoint and aggregated values agree with the report's own tables.
  assert.equal(evaluateThreshold(r, parseThreshold('p99<1s')).actual, r.aggregated.percentiles['99%']);
});

test('polarity loadtest --threshold: exit 3 when one breaks, the verdict in text, JSON and HTML; 0 when all hold', async (t) => {
  // Every 5th request fails (20%), every answer takes ~30 ms.
  const server = await stubServer(t, (_req, res, _b, n) => {
    setTimeout(() => res.writeHead(n % 5 === 0 ? 500 : 200, { 'content-length': 2 }).end('{}'), 30);
  });
  const dir = mkdtempSync(join(tmpdir(), 'polarity-thresholds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['--host', server.url, '--max', '--connections', '4', '-t', '1s', '--max-requests', '400', '-q', '--seed', '3'];

  const text = sink();
  const code = await runLoadtest([...base, '--threshold', 'p95<10ms', '--threshold', 'failures<50%', '--threshold', 'POST /analyze:p50<5s', '--html', join(dir, 'r.html')], {
    stdout: text.stream,
    stderr: sink().stream,
  });
  assert.equal(code, 3, 'a broken threshold → exit status 3');
  assert.match(text.text(), /Thresholds: 1 of 3 BROKEN/);
  assert.match(text.text(), /BROKEN {2}p95<10ms {2}\(\d+ ms\)/);
  assert.match(text.text(), /ok {6}failures<50% {2}\(\d+(\.\d+)?%\)/);
  const html = readFileSync(join(dir, 'r.html'), 'utf8');
  assert.match(html, /1 of 3 broken/);
  assert.match(html, /<td class="bad">BROKEN<\/td><td>p95&lt;10ms<\/td>/);

  const json = sink();
  assert.equal(
    await runLoadtest([...base, '--json', '--threshold', 'p95<10s', '--threshold', 'failures<50%'], { stdout: json.stream, stderr: sink().stream }),
    0,
    'failures within the failures threshold: 0',
  );
  const report = JSON.parse(json.text());
  assert.deepEqual(
    report.thresholds.map((x: { threshold: string; passed: boolean }) => [x.threshold, x.passed]),
    [
      ['p95<10s', true],
      ['failures<50%', true],
    ],
  );
  // Without a failures threshold, failures still give Locust's 1.
  assert.equal(await runLoadtest([...base, '--threshold', 'p95<10s'], { stdout: sink().stream, stderr: sink().stream }), 1);
  const err = sink();
  assert.equal(await runLoadtest([...base, '--threshold', 'p95 under 10'], { stdout: sink().stream, stderr: err.stream }), 2);
  assert.match(err.text(), /not METRIC OP VALUE/);
});
