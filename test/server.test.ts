// `polarity serve` as a user runs it: workers, graceful shutdown, configuration errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

test('two workers share the port and the history; SIGTERM finishes an in-flight request, exits 0', { timeout: 60_000 }, async (t) => {
  const db = join(tempDir(t), 'h.db');
  const server = await startServer(['--db', db, '--workers', '2']);
  t.after(() => server.signal('SIGKILL'));

  // Many connections (no keep-alive): both workers write; every row is visible from any worker.
  const texts = Array.from({ length: 60 }, (_, i) => `worker test ${i}`);
  await Promise.all(texts.map((text) => fetch(`${server.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ text }) })));
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${server.url}/history?limit=100`, { headers: { connection: 'close' } });
    const rows = (await res.json()) as { text: string }[];
    assert.deepEqual(new Set(rows.map((r) => r.text)), new Set(texts));
  }
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^polarity_workers 2$/m);
  assert.match(metrics, /^polarity_analyses_total\{engine="textblob",stored="true"\} 60$/m, 'metrics are summed over both workers');

  // A request whose body is still arriving when SIGTERM comes must still be answered.
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const body = JSON.stringify({ text: 'in flight during shutdown' });
  socket.write(`POST /analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  let answer = '';
  socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
  await new Promise((r) => setTimeout(r, 200));
  server.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  socket.write(body.slice(10));
  await new Promise((r) => socket.once('close', r));
  assert.match(answer, /^HTTP\/1\.1 200 OK/);
  assert.match(answer, /"sentiment":/);
  assert.equal(await server.exited, 0);

  const again = await startServer(['--db', db, '--workers', '1']);
  t.after(() => again.signal('SIGKILL'));
  const rows = (await (await fetch(`${again.url}/history`)).json()) as { text: string }[];
  assert.equal(rows[0]!.text, 'in flight during shutdown');
  assert.equal(rows.length, 50);
  again.signal('SIGTERM');
  assert.equal(await again.exited, 0);
});

test('bad configuration stops at start with a clear message and exit code 2', () => {
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['serve', '--port', 'abc'], {}, /port must be a whole number/],
    [['serve'], { PORT: '70000' }, /port must be between 0 and 65535/],
    [['serve', '--workers', '0'], {}, /workers must be between 1 and 256/],
    [['serve', '--bogus'], {}, /Unknown option '--bogus'/],
    [['serve'], { ADMIN_TOKEN: 'short' }, /admin-token must be at least 16 characters/],
    [['serve'], { CORS_ORIGINS: 'https://ok.example/path' }, /not an origin/],
    [['serve'], { DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres/],
  ];
  for (const [args, env, message] of cases) {
    const r = run(args, env);
    assert.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const help = run(['serve', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--workers\s+WORKERS/);
  const top = run(['--help']);
  assert.match(top.stdout, /history import/);
  assert.equal(run(['frobnicate']).status, 2);
});
