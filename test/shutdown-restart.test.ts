// A worker crashes, and shutdown begins before its restart (scheduled 500 ms after the crash) is
// due: the primary must not fork a new worker after shutdown began.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

const children = (pid: number): number[] =>
  spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);

test('no worker is restarted once shutdown began', { timeout: 30_000 }, async (t) => {
  const db = join(tempDir(t), 'h.db');
  const server = await startServer(['--db', db, '--workers', '2']);
  t.after(() => server.signal('SIGKILL'));
  const primary = server.child.pid!;
  const workers = children(primary);
  assert.equal(workers.length, 2);

  process.kill(workers[0]!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  // An idle keep-alive connection on the surviving worker keeps it draining (DRAIN_MS) past the
  // moment the restart would have been due.
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const status = await new Promise<number>((resolve, reject) => {
    request(`${server.url}/livez`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(status, 200);
  process.kill(primary, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 1200)); // past the 500 ms restart delay
  const during = children(primary);
  assert.ok(
    during.every((pid) => pid === workers[1]),
    `children during shutdown: ${during.join(', ')} (workers were ${workers.join(', ')})`,
  );
  agent.destroy();
  assert.equal(await server.exited, 0, server.output());
  assert.match(server.output(), /restarting it/);
});
