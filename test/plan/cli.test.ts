// `polarity plan` from the command line, with the shipped calibration and price tables.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCalibration } from '../../src/plan/calibration.js';
import { ROOT } from '../helpers.js';

const polarity = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/polarity.js'), 'plan', ...args], { encoding: 'utf8', cwd: ROOT });

test('plan: the shipped calibration is labelled with its machine and loads', () => {
  const cal = loadCalibration();
  assert.match(cal.label, /shipped default/);
  assert.ok(cal.machine.cpuModel && cal.machine.cpus >= 1 && cal.machine.memoryGiB > 0 && cal.machine.node && cal.machine.nginx && cal.machine.postgresql);
  for (const role of ['appSqlite', 'appPostgres', 'nginx', 'postgres'] as const) assert.ok(cal.cpuUs[role].post > 0 && cal.cpuUs[role].get > 0, role);
});

test('plan --budget 65: a ranked table and a recommendation, for both price tables', () => {
  for (const prices of ['assignment', 'digitalocean']) {
    const r = polarity('--budget', '65', '--prices', prices);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Budget \$65 a month/);
    assert.match(r.stdout, /bottleneck/);
    assert.match(r.stdout, /Recommendation: .* — \$\d+(\.\d+)?\/month, about [\d,]+ req\/s/);
    assert.match(r.stdout, /Best of each shape:/);
  }
});

test('plan --json: the recommendation costs no more than the budget and the table is ranked', () => {
  const r = polarity('--budget', '40', '--json', '--top', '5');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { recommendation: { monthlyUsd: number; rps: number }; top: { rps: number; monthlyUsd: number }[] };
  assert.ok(j.recommendation.monthlyUsd <= 40);
  assert.equal(j.top.length, 5);
  for (let i = 1; i < j.top.length; i++) assert.ok(j.top[i - 1]!.rps >= j.top[i]!.rps * 0.995);
  for (const t of j.top) assert.ok(t.monthlyUsd <= 40);
});

test('plan: a budget nothing fits in, and bad options', () => {
  const none = polarity('--budget', '3');
  assert.equal(none.status, 1);
  assert.match(none.stdout, /Nothing fits/);
  for (const args of [['--budget', 'lots'], ['--prices', 'nowhere'], ['--mix', '1-2'], ['--bogus'], ['calibrate', '--network', 'wifi']]) {
    const r = polarity(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  const help = polarity('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /polarity plan calibrate/);
});
