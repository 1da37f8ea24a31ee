// The bottleneck model against capacities computed by hand from test/plan/fixtures.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colocationFactor, cpuPerRequest, parseCalibration } from '../../src/plan/calibration.js';
import { SEED_MIX, type Mix } from '../../src/plan/mix.js';
import { DEFAULT_MODEL_OPTIONS, evaluate, evaluateLocalCluster, headroom, type HostSpec, type Topology } from '../../src/plan/model.js';
import type { ManagedDbOffer, ManagedLbOffer } from '../../src/plan/prices.js';
import { handCalibration, vm } from './fixtures.js';

// Shared-core figures at the seed mix: app 1.5 ×, nginx 1.5 ×, PostgreSQL 2 × their figures alone (50, 20, 25 µs); SQLite app 1.2 × 30 µs.
const COLOCATED = {
  postgres: { post: 1, get: 2, cpuUs: { appPostgres: 75, nginx: 30, postgres: 50 } },
  sqlite: { post: 1, get: 2, cpuUs: { appSqlite: 36 } },
};

const lbOffer: ManagedLbOffer = { id: 'mlb', monthlyUsdPerNode: 12, maxRpsPerNode: 10_000, maxNodes: 10 };
const dbOffer = (over: Partial<ManagedDbOffer> = {}): ManagedDbOffer => ({ id: 'mdb', vcpus: 2, memoryMiB: 1024, monthlyUsd: 15, maxConnections: 22, ...over });

function topo(store: Topology['store'], hosts: HostSpec[], extra: Partial<Topology> = {}): Topology {
  return { id: 'test', shape: 'test', store, hosts, ...extra };
}

interface Case {
  name: string;
  topology: Topology;
  mix?: Mix;
  cal?: Partial<ReturnType<typeof handCalibration>>;
  ignoreMemory?: boolean;
  /** hand-computed capacity, req/s; undefined: infeasible */
  rps?: number;
  bottleneck?: string;
  workers?: number[];
  reason?: RegExp;
  check?: (e: ReturnType<typeof evaluate>) => void;
}

const cases: Case[] = [
  {
    name: 'one VM, 2 vCPU, SQLite: 2 workers × 33,333 req/s',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v2', 2, 2048), roles: ['app'] }]),
    rps: 2 / 30e-6,
    bottleneck: 'app',
    workers: [2],
    check: (e) => {
      // memory: OS 200 + primary 40 + 2 × 80
      assert.equal(e.hosts[0]!.memoryUsedMiB, 400);
      // next limit: SQLite's write lock, held 4 µs per request of the mix → 250,000 req/s
      assert.equal(e.limits[1]!.id, 'db-writes');
      assert.ok(Math.abs(headroom(e)!.factor - 250_000 / (2 / 30e-6)) < 1e-6);
    },
  },
  {
    name: 'one VM, 1 vCPU 512 MiB, SQLite: one process',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v1', 1, 512), roles: ['app'] }]),
    rps: 1 / 30e-6,
    bottleneck: 'app',
    workers: [1],
  },
  {
    name: 'one VM, 1 vCPU 512 MiB, app + PostgreSQL: they share the core (50 + 25 µs)',
    topology: topo('postgres', [{ name: 'app1', vm: vm('v1', 1, 512), roles: ['app', 'db'] }]),
    rps: 1 / 75e-6,
    bottleneck: 'app',
    workers: [1],
    // 200 + 100 + (128 + 20 + 9 connections × 5)
    check: (e) => assert.equal(e.hosts[0]!.memoryUsedMiB, 493),
  },
  {
    name: 'one VM with too little memory for app + PostgreSQL is infeasible',
    topology: topo('postgres', [{ name: 'app1', vm: vm('v0', 1, 400), roles: ['app', 'db'] }]),
    reason: /has 400 MiB, needs 493 MiB/,
  },
  {
    name: 'LB VM + 2 app hosts + DB VM: the app hosts (2 × 20,000) before the LB (50,000)',
    topology: topo('postgres', [
      { name: 'lb', vm: vm('v1', 1, 1024), roles: ['lb'] },
      { name: 'app1', vm: vm('v1', 1, 1024), roles: ['app'] },
      { name: 'app2', vm: vm('v1', 1, 1024), roles: ['app'] },
      { name: 'db', vm: vm('v2', 2, 2048), roles: ['db'] },
    ]),
    rps: 40_000,
    bottleneck: 'app',
    workers: [0, 1, 1, 0],
    check: (e) => {
      assert.equal(e.limits[1]!.id, 'cpu:lb');
      assert.ok(Math.abs(e.limits[1]!.capacityRps - 50_000) < 1e-6);
      assert.ok(Math.abs(e.limits.find((l) => l.id === 'cpu:db')!.capacityRps - 80_000) < 1e-6);
      assert.deepEqual(
        e.hosts.map((h) => h.weight),
        [0, 10, 10, 0],
      );
    },
  },
  {
    name: 'LB on app host 1: that host gives the LB its share first, and gets a smaller weight',
    topology: topo('postgres', [
      { name: 'app1', vm: vm('v2', 2, 4096), roles: ['app', 'lb'] },
      { name: 'app2', vm: vm('v2', 2, 4096), roles: ['app'] },
      { name: 'db', vm: vm('v2', 2, 2048), roles: ['db'] },
    ]),
    // (2 − 20 µs·R) + 2 = 50 µs·R  →  R = 4 / 70 µs
    rps: 4 / 70e-6,
    bottleneck: 'app',
    workers: [2, 2, 0],
    check: (e) => {
      const free1 = 2 - (4 / 70e-6) * 20e-6; // 0.857 cores left for the app on app1
      assert.ok(Math.abs(e.hosts[0]!.share - free1 / (free1 + 2)) < 1e-9);
      assert.deepEqual(
        e.hosts.map((h) => h.weight),
        [4, 10, 0],
      );
    },
  },
  {
    name: 'a managed load balancer caps at its nodes × 10,000 req/s',
    topology: topo(
      'postgres',
      [
        { name: 'app1', vm: vm('v2', 2, 4096), roles: ['app'] },
        { name: 'app2', vm: vm('v2', 2, 4096), roles: ['app'] },
        { name: 'db', vm: vm('v2', 2, 2048), roles: ['db'] },
      ],
      { managedLb: { offer: lbOffer, nodes: 1 } },
    ),
    rps: 10_000,
    bottleneck: 'managed-lb',
  },
  {
    name: "a managed database's connection limit (22) cuts the workers to 2 × 9 connections",
    topology: topo(
      'postgres',
      [
        { name: 'lb', vm: vm('v1', 1, 1024), roles: ['lb'] },
        { name: 'app1', vm: vm('v2', 2, 4096), roles: ['app'] },
        { name: 'app2', vm: vm('v2', 2, 4096), roles: ['app'] },
      ],
      { managedDb: dbOffer() },
    ),
    rps: 40_000,
    bottleneck: 'app',
    workers: [0, 1, 1],
    check: (e) => {
      assert.match(e.bottleneck!.label, /limited by memory or connections/);
      assert.ok(Math.abs(e.limits.find((l) => l.id === 'managed-db')!.capacityRps - 80_000) < 1e-6);
    },
  },
  {
    name: 'a database that cannot take one worker’s connections is infeasible',
    topology: topo('postgres', [{ name: 'app1', vm: vm('v1', 1, 1024), roles: ['app'] }], { managedDb: dbOffer({ maxConnections: 8 }) }),
    reason: /needs 9 database connections .* allows 8/,
  },
  {
    name: "writes only: SQLite's write lock (held 12 µs per POST) binds before 8 cores of app",
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v8', 8, 8192), roles: ['app'] }]),
    mix: { post: 1, get: 0 },
    rps: 1 / 12e-6,
    bottleneck: 'db-writes',
  },
  {
    name: 'memory limits the workers: 512 MiB holds 3 workers (200 + 40 + 3 × 80), not 4',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v4s', 4, 512), roles: ['app'] }]),
    rps: 3 / 30e-6,
    bottleneck: 'app',
    workers: [3],
    check: (e) => assert.match(e.bottleneck!.label, /limited by memory/),
  },
  {
    name: 'a measured mix replaces the straight line: 45 µs at the seed mix',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v1', 1, 1024), roles: ['app'] }]),
    cal: { mixes: [{ post: 1, get: 2, cpuUs: { appSqlite: 45 } }] },
    rps: 1 / 45e-6,
  },
  {
    name: 'between measured points the cost is interpolated: 1 POST : 5 GET → halfway from 20 to 45 µs',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v1', 1, 1024), roles: ['app'] }]),
    cal: { mixes: [{ post: 1, get: 2, cpuUs: { appSqlite: 45 } }] },
    mix: { post: 1, get: 5 },
    rps: 1 / 32.5e-6,
  },
  {
    name: 'each worker beyond the first adds its measured overhead (3 µs at the seed mix)',
    topology: topo('sqlite', [{ name: 'app1', vm: vm('v4', 4, 8192), roles: ['app'] }]),
    cal: { extraWorkerUs: { share: 1 / 3, appSqlite: 3, appPostgres: 0, postgres: 0, appPostgresHost: 0, postgresHost: 0 } },
    rps: 4 / 39e-6,
    workers: [4],
  },
  {
    name: 'with PostgreSQL, a second worker and a second app host each add their own measured cost',
    topology: topo('postgres', [
      { name: 'lb', vm: vm('v2', 2, 2048), roles: ['lb'] },
      { name: 'app1', vm: vm('v2', 2, 4096), roles: ['app'] },
      { name: 'app2', vm: vm('v2', 2, 4096), roles: ['app'] },
      { name: 'db', vm: vm('v4', 4, 4096), roles: ['db'] },
    ]),
    cal: { extraWorkerUs: { share: 1 / 3, appSqlite: 0, appPostgres: 5, postgres: 2, appPostgresHost: 3, postgresHost: 1, nginxHost: 4 } },
    // 4 workers on 2 hosts: 2 extra workers, 1 extra host → app 50 + 2×5 + 3 = 63 µs, PostgreSQL 25 + 2×2 + 1 = 30 µs, nginx 20 + 4 µs
    rps: 4 / 63e-6,
    bottleneck: 'app',
    workers: [0, 2, 2, 0],
    check: (e) => {
      assert.ok(Math.abs(e.costs.db - 30e-6) < 1e-12);
      assert.ok(Math.abs(e.limits.find((l) => l.id === 'cpu:lb')!.capacityRps - 2 / 24e-6) < 1e-6);
      // not scaled by the POSTs: the same 4 µs with reads only
      assert.ok(
        Math.abs(
          evaluate(e.topology, handCalibration({ extraWorkerUs: { share: 1 / 3, appSqlite: 0, appPostgres: 5, postgres: 2, appPostgresHost: 3, postgresHost: 1, nginxHost: 4 } }), { post: 0, get: 1 })
            .costs.lb - 24e-6,
        ) < 1e-12,
      );
      assert.ok(Math.abs(e.limits.find((l) => l.id === 'cpu:db')!.capacityRps - 4 / 30e-6) < 1e-6);
    },
  },
  {
    name: 'one shared machine (the local cluster): 2 app hosts of 1 worker, nginx and PostgreSQL on 1 core',
    topology: topo('postgres', [{ name: 'machine', vm: vm('here', 1, 1 << 20), roles: ['app', 'lb', 'db'], workers: 2 }]),
    ignoreMemory: true,
    // min(2, 1 − 45 µs·R) = 50 µs·R  →  R = 1 / 95 µs
    rps: 1 / 95e-6,
    bottleneck: 'app',
    workers: [2],
  },
  {
    name: 'co-located roles: app + PostgreSQL on one core cost their shared-core figures (75 + 50 µs)',
    topology: topo('postgres', [{ name: 'app1', vm: vm('v1', 1, 1024), roles: ['app', 'db'] }]),
    cal: { colocated: COLOCATED },
    rps: 1 / 125e-6,
    bottleneck: 'app',
    check: (e) => {
      const h = e.hosts[0]!;
      assert.equal(h.colocated, true);
      assert.ok(Math.abs(h.costs.app! - 75e-6) < 1e-12 && Math.abs(h.costs.db! - 50e-6) < 1e-12);
      // the topology's own figures stay those of a role alone
      assert.ok(Math.abs(e.costs.app - 50e-6) < 1e-12 && Math.abs(e.costs.db - 25e-6) < 1e-12);
    },
  },
  {
    name: 'co-located figures do not touch hosts with one role each (LB VM + 2 app hosts + DB VM: 40,000)',
    topology: topo('postgres', [
      { name: 'lb', vm: vm('v1', 1, 1024), roles: ['lb'] },
      { name: 'app1', vm: vm('v1', 1, 1024), roles: ['app'] },
      { name: 'app2', vm: vm('v1', 1, 1024), roles: ['app'] },
      { name: 'db', vm: vm('v2', 2, 2048), roles: ['db'] },
    ]),
    cal: { colocated: COLOCATED },
    rps: 40_000,
    check: (e) =>
      assert.deepEqual(
        e.hosts.map((h) => h.colocated),
        [false, false, false, false],
      ),
  },
  {
    name: 'LB on app host 1, co-located: that host serves (2 − 30 µs·R) / 75 µs, the other 2 / 50 µs',
    topology: topo('postgres', [
      { name: 'app1', vm: vm('v2', 2, 4096), roles: ['app', 'lb'] },
      { name: 'app2', vm: vm('v2', 2, 4096), roles: ['app'] },
      { name: 'db', vm: vm('v2', 2, 2048), roles: ['db'] },
    ]),
    cal: { colocated: COLOCATED },
    // 2/75 µs − 0.4·R + 40,000 = R  →  R = (26,666.7 + 40,000) / 1.4
    rps: (2 / 75e-6 + 40_000) / 1.4,
    bottleneck: 'app',
    check: (e) => {
      const r = (2 / 75e-6 + 40_000) / 1.4;
      const served1 = (2 - 30e-6 * r) / 75e-6; // ≈ 7,619 req/s
      assert.ok(Math.abs(e.hosts[0]!.share - served1 / r) < 1e-9);
      assert.deepEqual(
        e.hosts.map((h) => h.weight),
        [2, 10, 0],
      );
      assert.ok(Math.abs(e.hosts[0]!.cpuBusy - 2) < 1e-6, `app1 busy ${e.hosts[0]!.cpuBusy}`);
    },
  },
  {
    name: 'co-location without a measured figure for a role leaves that role as it is (SQLite app ×1.2, load generator ×1)',
    topology: topo('sqlite', [{ name: 'machine', vm: vm('here', 2, 1 << 20), roles: ['app', 'client'], workers: 1 }]),
    cal: { colocated: COLOCATED },
    ignoreMemory: true,
    // one worker: 1 core / 36 µs; the load generator's 10 µs·R leaves more than that core
    rps: 1 / 36e-6,
    check: (e) => assert.ok(Math.abs(e.hosts[0]!.costs.client! - 10e-6) < 1e-12),
  },
  {
    name: 'several app hosts without PostgreSQL are refused',
    topology: topo('sqlite', [
      { name: 'app1', vm: vm('v1', 1, 1024), roles: ['app', 'lb'] },
      { name: 'app2', vm: vm('v1', 1, 1024), roles: ['app'] },
    ]),
    reason: /shared PostgreSQL/,
  },
];

for (const c of cases) {
  test(`model: ${c.name}`, () => {
    const cal = handCalibration(c.cal);
    const e = evaluate(c.topology, cal, c.mix ?? SEED_MIX, { ...DEFAULT_MODEL_OPTIONS, ...(c.ignoreMemory ? { ignoreMemory: true } : {}) });
    if (c.rps === undefined) {
      assert.equal(e.feasible, false, `expected infeasible, got ${e.rps}`);
      assert.match(e.reason ?? '', c.reason!);
      return;
    }
    assert.ok(e.feasible, e.reason);
    assert.ok(Math.abs(e.rps - c.rps) <= 1e-6 * c.rps, `predicted ${e.rps}, computed by hand ${c.rps}`);
    if (c.bottleneck) assert.equal(e.bottleneck!.id, c.bottleneck);
    if (c.workers)
      assert.deepEqual(
        e.hosts.map((h) => h.workers),
        c.workers,
      );
    c.check?.(e);
  });
}

test('model: limits are listed tightest first and the bottleneck is the first', () => {
  const e = evaluate(
    topo('postgres', [
      { name: 'lb', vm: vm('v1', 1, 1024), roles: ['lb', 'db'] },
      { name: 'app1', vm: vm('v2', 2, 2048), roles: ['app'] },
      { name: 'app2', vm: vm('v2', 2, 2048), roles: ['app'] },
    ]),
    handCalibration(),
    SEED_MIX,
  );
  // LB + DB on one core: 1 / (20 + 25) µs = 22,222 < app 4 / 50 µs = 80,000
  assert.equal(e.bottleneck!.id, 'cpu:lb');
  assert.ok(Math.abs(e.rps - 1 / 45e-6) < 1e-6);
  for (let i = 1; i < e.limits.length; i++) assert.ok(e.limits[i - 1]!.capacityRps <= e.limits[i]!.capacityRps);
});

test('calibration: per-request cost is the straight line between the measured points', () => {
  const cal = handCalibration({ mixes: [{ post: 1, get: 1, cpuUs: { postgres: 40 } }] });
  const us = (mix: Mix) => cpuPerRequest(cal, 'postgres', mix) * 1e6;
  assert.equal(us({ post: 0, get: 1 }), 10);
  assert.equal(us({ post: 1, get: 0 }), 55);
  assert.equal(us({ post: 1, get: 1 }), 40);
  assert.ok(Math.abs(us({ post: 1, get: 3 }) - 25) < 1e-9); // share 1/4: halfway from 10 (0) to 40 (1/2)
  assert.ok(Math.abs(us({ post: 3, get: 1 }) - 47.5) < 1e-9); // share 3/4: halfway from 40 to 55
  // roles without a measured mix: the two ends
  assert.ok(Math.abs(cpuPerRequest(cal, 'appSqlite', SEED_MIX) * 1e6 - 30) < 1e-9);
});

test('calibration: the co-location factor is the shared-core figure over the figure alone at the same mix', () => {
  const cal = handCalibration({ colocated: COLOCATED });
  assert.ok(Math.abs(colocationFactor(cal, 'postgres', 'postgres') - 2) < 1e-9);
  assert.ok(Math.abs(colocationFactor(cal, 'postgres', 'appPostgres') - 1.5) < 1e-9);
  assert.equal(colocationFactor(cal, 'postgres', 'client'), 1);
  assert.equal(colocationFactor(handCalibration(), 'postgres', 'nginx'), 1); // calibrations before 2026-12-02
  // measured at 1 POST : 1 GET, where PostgreSQL alone costs (55 + 10) / 2 = 32.5 µs
  const half = handCalibration({ colocated: { ...COLOCATED, postgres: { post: 5, get: 5, cpuUs: { postgres: 65 } } } });
  assert.ok(Math.abs(colocationFactor(half, 'postgres', 'postgres') - 2) < 1e-9);
});

test('calibration: a malformed "colocated" is refused with what is wrong', () => {
  const doc = (colocated: unknown) => JSON.parse(JSON.stringify({ ...handCalibration(), colocated }));
  assert.doesNotThrow(() => parseCalibration(doc(COLOCATED)));
  assert.doesNotThrow(() => parseCalibration(JSON.parse(JSON.stringify(handCalibration()))));
  assert.throws(() => parseCalibration(doc({ sqlite: COLOCATED.sqlite })), /colocated\.postgres needs/);
  assert.throws(() => parseCalibration(doc({ ...COLOCATED, sqlite: { post: 1, get: 2, cpuUs: { redis: 3 } } })), /colocated\.sqlite\.cpuUs\.redis is not a role/);
  assert.throws(() => parseCalibration(doc({ ...COLOCATED, sqlite: { post: 1, get: 2, cpuUs: { appSqlite: 0 } } })), /must be a number > 0/);
  assert.throws(() => parseCalibration(doc({ ...COLOCATED, sqlite: { post: 0, get: 0, cpuUs: { appSqlite: 3 } } })), /counts no requests/);
});

test('model: the local cluster is one machine of the cores it received (fractional), memory not counted', () => {
  // 2 one-worker app hosts, nginx and PostgreSQL on half a core: (0.5 − 45 µs·R) = 50 µs·R
  const e = evaluateLocalCluster(handCalibration(), 'postgres', 2, ['app', 'lb', 'db'], 0.5, SEED_MIX);
  assert.ok(e.feasible, e.reason);
  assert.ok(Math.abs(e.rps - 0.5 / 95e-6) < 1e-6, `${e.rps}`);
  assert.deepEqual(Object.keys(e.hosts[0]!.memoryParts).sort(), ['app', 'db', 'lb']); // no OS reserve
});
