// A recorded validation run, predicted again with the current model: what a model change does to
// measurements already made, without measuring again.
//
//   npm run build && node dist/bench/plan-repredict.js --calibration FILE --validation FILE
//
// --validation: a bench/results/plan-validate.json (e.g. an earlier one: git show COMMIT:bench/results/plan-validate.json > old.json);
// --calibration: the calibration that run made (its plan-validate-calibration.json, or the shipped
// file when that is the same run's, relabelled). Prints each row's new prediction and error beside
// the recorded ones. No load, no processes: it only reads the two files.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCalibration } from '../src/plan/calibration.js';
import { SEED_MIX } from '../src/plan/mix.js';
import { evaluateLocalCluster, type Role } from '../src/plan/model.js';

interface RecordedRow {
  topology: string;
  layout: string;
  cores: number;
  predicted: number;
  measured: { rps: number };
}

const { values } = parseArgs({ options: { calibration: { type: 'string' }, validation: { type: 'string' } } });
if (!values.calibration || !values.validation) {
  console.error('usage: node dist/bench/plan-repredict.js --calibration FILE --validation FILE');
  process.exit(2);
}
const cal = loadCalibration(values.calibration);
const run = JSON.parse(readFileSync(values.validation, 'utf8')) as { date: string; rows: RecordedRow[] };
const pct = (measured: number, predicted: number) => `${measured >= predicted ? '+' : ''}${(((measured - predicted) / predicted) * 100).toFixed(1)}%`;
console.log(`validation run of ${run.date}, calibration ${cal.date} (${cal.label})`);
console.log('| topology | cores | recorded prediction | error | current model | error |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of run.rows) {
  // The rows plan-validate records: which store, how many app hosts, the load tester on the cores or not.
  const pg = !r.topology.startsWith('one VM');
  const appHosts = /2 app hosts/.test(r.topology) ? 2 : 1;
  const roles: Role[] = pg ? ['app', 'lb', 'db'] : ['app'];
  if (!r.layout.startsWith('1 core')) roles.push('client');
  const e = evaluateLocalCluster(cal, pg ? 'postgres' : 'sqlite', appHosts, roles, r.cores, SEED_MIX);
  console.log(`| ${r.topology} | ${r.layout} | ${Math.round(r.predicted)} | ${pct(r.measured.rps, r.predicted)} | ${Math.round(e.rps)} | ${pct(r.measured.rps, e.rps)} |`);
}
