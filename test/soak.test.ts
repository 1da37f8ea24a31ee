// A short soak in CI (the recorded run is 10 minutes: bench/results/soak.md): the seed mix at half
// of the measured capacity, no errors, no growth of memory or descriptors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from './helpers.js';

test('soak (20 s in CI): no errors, no memory or descriptor growth', { timeout: 90_000 }, (t) => {
  const out = tempDir(t);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/soak.js'), '--duration', '20s', '--sample', '2', '--out', out], { encoding: 'utf8', timeout: 80_000 });
  t.diagnostic(r.stdout.split('\n').filter((l) => l.startsWith('- ') || l.startsWith('Seed')).join(' | '));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /errors: 0/);
  assert.match(r.stdout, /verdict: PASS/);
});
