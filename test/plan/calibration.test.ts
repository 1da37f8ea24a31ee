// medianCalibration: several calibrations of one machine merged figure by figure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CalibrationError, medianCalibration, parseCalibration, type RunRecord } from '../../src/plan/calibration.js';
import { handCalibration } from './fixtures.js';

// each calibration is one round of plan-validate's
const oneRound = { durationS: 5, warmupS: 1, connections: 64, rounds: 1, pinned: true };
const run = (phase: string, rps: number): RunRecord => ({ phase, kind: 'mix', requests: rps * 5, failures: 0, wallS: 5, rps, cpuS: { app: 1 } });

test('medianCalibration: each figure the median of the calibrations, mixes point by point, runs kept', () => {
  const a = handCalibration({
    date: '2026-12-02T10:00:00.000Z',
    settings: oneRound,
    cpuUs: { appSqlite: { post: 50, get: 20 }, appPostgres: { post: 70, get: 40 }, nginx: { post: 20, get: 20 }, postgres: { post: 55, get: 10 }, client: { post: 10, get: 10 } },
    extraWorkerUs: { share: 0.33, appSqlite: 10, appPostgres: 30, postgres: 5, appPostgresHost: 60, postgresHost: 20, nginxHost: 7 },
    mixes: [{ post: 100, get: 200, cpuUs: { appSqlite: 40 } }],
    colocated: { sqlite: { post: 100, get: 200, cpuUs: { appSqlite: 45 } }, postgres: { post: 50, get: 100, cpuUs: { appPostgres: 110, nginx: 60 } } },
    runs: [run('A sqlite', 20000)],
  });
  const b = handCalibration({
    date: '2026-12-02T10:05:00.000Z',
    settings: oneRound,
    cpuUs: { appSqlite: { post: 90, get: 36 }, appPostgres: { post: 75, get: 44 }, nginx: { post: 30, get: 26 }, postgres: { post: 50, get: 12 }, client: { post: 12, get: 9 } },
    extraWorkerUs: { share: 0.34, appSqlite: -4, appPostgres: 50, postgres: 9, appPostgresHost: 163, postgresHost: 30 },
    mixes: [{ post: 90, get: 180, cpuUs: { appSqlite: 70 } }],
    colocated: { sqlite: { post: 90, get: 180, cpuUs: { appSqlite: 80 } }, postgres: { post: 40, get: 80, cpuUs: { appPostgres: 130, nginx: 70 } } },
    runs: [run('A sqlite', 12000)],
  });
  const c = handCalibration({
    date: '2026-12-02T10:10:00.000Z',
    settings: oneRound,
    cpuUs: { appSqlite: { post: 55, get: 22 }, appPostgres: { post: 65, get: 42 }, nginx: { post: 22, get: 24 }, postgres: { post: 60, get: 11 }, client: { post: 11, get: 11 } },
    extraWorkerUs: { share: 0.32, appSqlite: 12, appPostgres: 40, postgres: 7, appPostgresHost: 90, postgresHost: 25, nginxHost: 9 },
    mixes: [{ post: 110, get: 220, cpuUs: { appSqlite: 42 } }],
    colocated: { sqlite: { post: 110, get: 220, cpuUs: { appSqlite: 47 } }, postgres: { post: 60, get: 120, cpuUs: { appPostgres: 120, nginx: 65 } } },
    runs: [run('A sqlite', 19000)],
  });
  const m = medianCalibration([a, b, c], 'three rounds');
  // b is the slow round: one slow calibration of three does not move the median
  assert.deepEqual(m.cpuUs.appSqlite, { post: 55, get: 22 });
  assert.deepEqual(m.cpuUs.nginx, { post: 22, get: 24 });
  assert.deepEqual(m.cpuUs.postgres, { post: 55, get: 11 });
  assert.equal(m.extraWorkerUs.appPostgresHost, 90);
  assert.equal(m.extraWorkerUs.appSqlite, 10);
  // present in two of the three: the median of those two
  assert.equal(m.extraWorkerUs.nginxHost, 8);
  assert.deepEqual(m.mixes, [{ post: 100, get: 200, cpuUs: { appSqlite: 42 } }]);
  assert.deepEqual(m.colocated!.postgres, { post: 50, get: 100, cpuUs: { appPostgres: 120, nginx: 65 } });
  assert.deepEqual(
    m.runs.map((r) => r.rps),
    [20000, 12000, 19000],
  );
  assert.equal(m.date, c.date);
  assert.equal(m.settings.rounds, 3);
  assert.equal(m.command, 'three rounds');
  assert.equal(m.label, a.label);
  // what the planner reads back is a valid calibration
  assert.deepEqual(parseCalibration(JSON.parse(JSON.stringify(m))).cpuUs, m.cpuUs);
});

test('medianCalibration: an even count takes the mean of the middle two; shapes must agree', () => {
  const a = handCalibration({ writeSerialUs: { sqlite: 10, postgres: 30 } });
  const b = handCalibration({ writeSerialUs: { sqlite: 14, postgres: 40 } });
  assert.deepEqual(medianCalibration([a, b], 'two').writeSerialUs, { sqlite: 12, postgres: 35 });
  const oneMix = handCalibration({ mixes: [{ post: 1, get: 2, cpuUs: { appSqlite: 40 } }] });
  assert.throws(() => medianCalibration([a, oneMix], 'x'), CalibrationError);
  assert.throws(() => medianCalibration([], 'none'), CalibrationError);
});
