// `polarity plan calibrate --quick` end to end, over 127.0.0.1 (no root needed): it writes a
// calibration the planner accepts, with every figure measured. Skipped with the reason when the
// machine lacks what calibration needs (taskset, nginx, PostgreSQL's server binaries).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { calibrateUnavailable } from '../../src/lab/calibrate.js';
import { loadCalibration } from '../../src/plan/calibration.js';
import { ROOT, tempDir } from '../helpers.js';

test('plan calibrate --quick: a valid calibration, then a plan from it', { timeout: 240_000 }, (t) => {
  const why = calibrateUnavailable();
  if (why) {
    t.skip(`calibration cannot run here: ${why}`);
    return;
  }
  const dir = tempDir(t, 'polarity-calibrate-test-');
  const out = join(dir, 'cal.json');
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('polarity-calibrate-')));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), 'plan', 'calibrate', '--quick', '--duration', '1', '--network', 'loopback', '--out', out, '--label', 'test'], {
    encoding: 'utf8',
    timeout: 230_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const cal = loadCalibration(out);
  assert.equal(cal.label, 'test');
  assert.equal(cal.quick, true);
  assert.equal(cal.settings.network, 'loopback');
  for (const role of ['appSqlite', 'appPostgres', 'nginx', 'postgres', 'client'] as const) {
    assert.ok(cal.cpuUs[role].post > 0 && cal.cpuUs[role].get > 0, `${role}: ${JSON.stringify(cal.cpuUs[role])}`);
  }
  // SQLite's serial cost is the time its commits held the write lock, a part of the app's CPU per POST
  assert.ok(cal.writeSerialUs.sqlite > 0 && cal.writeSerialUs.sqlite < cal.cpuUs.appSqlite.post, JSON.stringify(cal.writeSerialUs));
  assert.ok(cal.runs.filter((x) => x.phase === 'A sqlite' && x.kind !== 'get').every((x) => (x.writeLockUsPerPost ?? 0) > 0));
  assert.ok(cal.memoryMiB.appSingleSqlite > 10 && cal.memoryMiB.appWorkerPostgres > 10 && cal.memoryMiB.nginxWorker > 0);
  assert.ok(cal.runs.length >= 15 && cal.runs.every((x) => x.failures === 0));
  // the shared-core figures come from phase D's one-process runs, which the calibration keeps
  const d1 = cal.runs.find((x) => x.phase === 'D 1 host')!;
  assert.ok(cal.colocated, 'colocated figures recorded');
  assert.equal(cal.colocated.postgres.post + cal.colocated.postgres.get, d1.requests);
  for (const role of ['appPostgres', 'nginx', 'postgres', 'client'] as const) assert.ok((cal.colocated.postgres.cpuUs[role] ?? 0) > 0, `colocated ${role}`);
  assert.ok((cal.colocated.sqlite.cpuUs.appSqlite ?? 0) > 0 && cal.extraWorkerUs.nginxHost !== undefined);
  // everything it started is gone, and so is its temporary directory
  const left = readdirSync(tmpdir()).filter((f) => f.startsWith('polarity-calibrate-') && !before.has(f));
  assert.deepEqual(left, []);
  assert.ok(!existsSync(join(tmpdir(), 'polarity-calibrate-cluster')));
  const plan = spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), 'plan', '--calibration', out, '--budget', '65'], { encoding: 'utf8' });
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /Recommendation: /);
});
