// The one-cluster-per-machine lock that test/cluster, `plan calibrate` and bench/plan-validate share
// (src/lab/local-cluster.ts), on a lock file of the test's own: free, re-entrant, a dead holder's
// lock taken over, a live holder waited for and not removed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireClusterLock, LocalClusterError, releaseClusterLock } from '../../src/lab/local-cluster.js';
import { tempDir } from '../helpers.js';

test('cluster lock: taken when free, re-entrant, released only by its holder', async (t) => {
  const file = join(tempDir(t, 'polarity-lock-'), 'cluster.lock');
  assert.equal(await acquireClusterLock({ timeoutMs: 1000, file }), true);
  assert.equal(readFileSync(file, 'utf8'), String(process.pid));
  assert.equal(await acquireClusterLock({ timeoutMs: 1000, file }), false, 'held by this process already');
  releaseClusterLock(file);
  assert.ok(!existsSync(file));
});

test('cluster lock: a dead holder’s lock is taken over', async (t) => {
  const file = join(tempDir(t, 'polarity-lock-'), 'cluster.lock');
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(file, gone.stdout);
  assert.equal(await acquireClusterLock({ timeoutMs: 1000, file }), true);
  assert.equal(readFileSync(file, 'utf8'), String(process.pid));
  releaseClusterLock(file);
});

test('cluster lock: a live holder is waited for, then the lock is taken when it exits', async (t) => {
  const file = join(tempDir(t, 'polarity-lock-'), 'cluster.lock');
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  writeFileSync(file, String(holder.pid));
  const waited: number[] = [];
  await assert.rejects(acquireClusterLock({ timeoutMs: 300, pollMs: 50, file, onWait: (pid) => waited.push(pid) }), LocalClusterError);
  assert.deepEqual(waited, [holder.pid], 'told once who holds it');
  releaseClusterLock(file);
  assert.equal(readFileSync(file, 'utf8'), String(holder.pid), 'not ours to release');
  const taken = acquireClusterLock({ timeoutMs: 10_000, pollMs: 50, file });
  setTimeout(() => holder.kill('SIGKILL'), 200);
  assert.equal(await taken, true);
  releaseClusterLock(file);
});
