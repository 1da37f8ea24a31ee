// Logs, request ids, process metrics and the version: what an operator reads. The metrics are
// checked by Prometheus's own parser and linter (promtool check metrics, Debian package prometheus).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requestIdOf } from '../src/http/security.js';
import { maxOpenFds } from '../src/http/metrics.js';
import { VERSION } from '../src/version.js';
import { makeApp, ROOT, tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function promtool(): string | undefined {
  for (const p of ['/usr/bin/promtool', '/usr/local/bin/promtool']) if (spawnSync(p, ['--version']).status === 0) return p;
  return undefined;
}

test('one version: package.json, --version, OpenAPI info.version and polarity_build_info agree', async (t) => {
  assert.equal(VERSION, PACKAGE_VERSION);
  for (const flag of ['--version', '-v']) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), flag], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${PACKAGE_VERSION}\n`);
  }
  const { app } = await makeApp(t);
  assert.equal((await app.inject({ url: '/openapi.json' })).json().info.version, PACKAGE_VERSION);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  assert.match(metrics, new RegExp(`^polarity_build_info\\{version="${PACKAGE_VERSION.replaceAll('.', '\\.')}",node="v\\d+\\.\\d+\\.\\d+"\\} 1$`, 'm'));
});

test('request ids: a sane X-Request-Id is kept, anything else replaced by a UUID', () => {
  for (const ok of ['abc', 'req-1', 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'trace:00f067aa0ba902b7', 'x'.repeat(128), 'A.b_c/d+e=f@g']) {
    assert.equal(requestIdOf(ok), ok);
  }
  for (const bad of [undefined, '', 'x'.repeat(129), 'has space', 'quote"', 'new\nline', 'tab\t', 'é', '<script>', ['a', 'b']]) {
    assert.match(requestIdOf(bad), UUID, JSON.stringify(bad));
  }
});

test('request ids: echoed in X-Request-Id and in every problem document', async (t) => {
  const { app } = await makeApp(t);
  const given = await app.inject({ method: 'POST', url: '/analyze', headers: { 'x-request-id': 'client-42' }, payload: { text: 'good' } });
  assert.equal(given.statusCode, 200, given.body);
  assert.equal(given.headers['x-request-id'], 'client-42');
  const made = await app.inject({ url: '/history' });
  assert.match(String(made.headers['x-request-id']), UUID);
  assert.notEqual((await app.inject({ url: '/history' })).headers['x-request-id'], made.headers['x-request-id']);
  // Problems of several kinds: validation, parsing, not found, method, the handler's own.
  const bad = [
    { method: 'POST' as const, url: '/analyze', payload: { text: 5 } },
    { method: 'POST' as const, url: '/analyze', payload: '{"text":', headers: { 'content-type': 'application/json' } },
    { method: 'GET' as const, url: '/nowhere' },
    { method: 'PUT' as const, url: '/history' },
    { method: 'GET' as const, url: '/history/999999' },
    { method: 'DELETE' as const, url: '/history' },
  ];
  for (const req of bad) {
    const r = await app.inject({ ...req, headers: { ...req.headers, 'x-request-id': `bad-${req.method}` } });
    assert.ok(r.statusCode >= 400, `${req.method} ${req.url}: ${r.statusCode}`);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(r.json().requestId, `bad-${req.method}`, `${req.method} ${req.url}: ${r.body}`);
    assert.equal(r.headers['x-request-id'], `bad-${req.method}`);
  }
  const unnamed = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'not sane' } });
  assert.match(unnamed.json().requestId, UUID);
  assert.equal(unnamed.json().requestId, unnamed.headers['x-request-id']);
});

test('/proc/self/limits: the soft open-files limit', () => {
  const limits =
    'Limit                     Soft Limit           Hard Limit           Units\nMax cpu time              unlimited            unlimited            seconds\nMax open files            1024                 524288               files\n';
  assert.equal(maxOpenFds(limits), 1024);
  assert.equal(maxOpenFds('Max open files            unlimited            unlimited            files\n'), 0);
  assert.equal(maxOpenFds('nothing here'), 0);
});

test("a served process: stdout is JSON lines only, each request's lines carry its id, /metrics passes promtool", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(['--workers', '2', '--db', join(dir, 'h.db')], { LOG_LEVEL: 'debug' });
  t.after(async () => {
    server.signal('SIGKILL');
    await server.exited;
  });
  const posted = await fetch(`${server.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'obs-post-1' }, body: '{"text":"a fine day"}' });
  assert.equal(posted.status, 200);
  const rejected = await fetch(`${server.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'obs-bad-1' }, body: '{"text": 1}' });
  assert.equal(rejected.status, 400);
  assert.equal(((await rejected.json()) as { requestId: string }).requestId, 'obs-bad-1');
  const scrape = await fetch(`${server.url}/metrics`);
  assert.equal(scrape.status, 200);
  const metrics = await scrape.text();
  await new Promise((r) => setTimeout(r, 300)); // the debug lines of the last requests
  server.signal('SIGINT'); // drains without waiting for idle keep-alive connections
  await server.exited;

  // stdout: JSON lines only (stderr is separate in a real run; here both are read, and both are JSON).
  const lines = server
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const records = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      assert.fail(`not a JSON line: ${l}`);
    }
  });
  const listening = records.find((r) => typeof r.msg === 'string' && /listening on http/.test(r.msg));
  assert.ok(listening, 'the listening line is a JSON log line');
  assert.equal(listening.version, PACKAGE_VERSION);
  assert.equal(listening.workers, 2);
  for (const id of ['obs-post-1', 'obs-bad-1']) {
    const mine = records.filter((r) => r.requestId === id);
    assert.ok(mine.length >= 1, `a log line for ${id}:\n${lines.join('\n')}`);
  }
  assert.ok(
    records.some((r) => r.requestId === 'obs-bad-1' && r.msg === 'request rejected'),
    'the rejection is logged with its id',
  );
  // Every line logged about a request carries a request id.
  for (const r of records.filter((x) => x.msg === 'request' || x.msg === 'request rejected')) assert.equal(typeof r.requestId, 'string', JSON.stringify(r));

  for (const name of [
    'process_cpu_seconds_total',
    'process_cpu_user_seconds_total',
    'process_cpu_system_seconds_total',
    'process_resident_memory_bytes',
    'process_start_time_seconds',
    'process_open_fds',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_used_bytes',
  ]) {
    assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
    const value = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(Number.isFinite(value) && value >= 0, `${name} = ${value}`);
  }
  const start = Number(/^process_start_time_seconds (\S+)$/m.exec(metrics)![1]);
  assert.ok(Math.abs(start - Date.now() / 1000) < 120, `process_start_time_seconds ${start} is recent`);
  assert.ok(Number(/^process_cpu_seconds_total (\S+)$/m.exec(metrics)![1]) > 0);
  assert.match(metrics, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  assert.match(metrics, /^polarity_build_info\{version="[^"]+",node="[^"]+"\} 1$/m);

  const tool = promtool();
  if (tool === undefined) {
    t.skip('promtool not found: `promtool check metrics` skipped (apt-get install prometheus)');
    return;
  }
  const checked = spawnSync(tool, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  assert.equal(checked.status, 0, `promtool check metrics:\n${checked.stdout}${checked.stderr}`);
});
