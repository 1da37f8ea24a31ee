// Enumeration of topologies within a budget, ranking, and the recommendation on small price tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumerateTopologies, plan, rank } from '../../src/plan/enumerate.js';
import { SEED_MIX } from '../../src/plan/mix.js';
import { topologyCost, type Evaluation } from '../../src/plan/model.js';
import { loadPriceTable, parsePriceTable, PriceTableError } from '../../src/plan/prices.js';
import { handCalibration, priceTable, vm } from './fixtures.js';

// a: 1 vCPU / 1 GiB for $5, b: 2 vCPU / 2 GiB for $10
const small = priceTable([vm('a', 1, 1024, 5), vm('b', 2, 2048, 10)]);

test('enumerate: every shape within a $20 budget, counted by hand', () => {
  const ts = enumerateTopologies(small, { budgetUsd: 20 });
  const ids = ts.map((t) => t.id);
  assert.equal(new Set(ids).size, ids.length, 'no topology twice');
  for (const t of ts) assert.ok(topologyCost(t) <= 20, `${t.id} costs ${topologyCost(t)}`);
  // one VM: a or b, SQLite or app + PostgreSQL                                   4
  // one app VM + one DB VM: a+a, a+b, b+a, b+b                                    4
  // 2×a: LB a + (DB a | on LB | on app1), LB b + (on LB | on app1),
  //      LB on app1 + (DB a | DB b | on app1)                                     8
  // 3×a: LB a + (on LB | on app1), LB on app1 + (DB a | on app1)                  4
  // 4×a: LB and DB on app1                                                        1
  // 2×b: LB and DB on app1                                                        1
  assert.equal(ts.length, 22);
  assert.ok(ids.includes('b [app] · SQLite'));
  assert.ok(ids.includes('a [lb] + 2×a [app] + a [db] · PostgreSQL'));
  assert.ok(ids.includes('a [lb+db] + 3×a [app] · PostgreSQL'));
  assert.ok(ids.includes('a [app+lb+db] + 3×a [app] · PostgreSQL'));
  assert.ok(ids.includes('b [app+lb+db] + b [app] · PostgreSQL'));
  assert.ok(!ids.some((id) => id.includes('5×a')), '5 app hosts cost $25');
});

test('enumerate: --min-app-hosts 2 keeps only topologies with two app hosts or more', () => {
  const ts = enumerateTopologies(small, { budgetUsd: 20, minAppHosts: 2 });
  assert.equal(ts.length, 14);
  for (const t of ts) assert.ok(t.hosts.filter((h) => h.roles.includes('app')).length >= 2);
});

test('enumerate: managed load balancers by node count and managed databases, within the budget', () => {
  const prices = priceTable([vm('a', 1, 1024, 5)], {
    managedLoadBalancers: [{ id: 'mlb', monthlyUsdPerNode: 10, maxRpsPerNode: 10_000, maxNodes: 5 }],
    managedDatabases: [{ id: 'mdb', vcpus: 1, memoryMiB: 1024, monthlyUsd: 15, maxConnections: 22 }],
  });
  const ts = enumerateTopologies(prices, { budgetUsd: 40 });
  const managedLb = ts.filter((t) => t.managedLb);
  // 2 app hosts ($10) + 1 node ($10) + DB: a VM ($5) | on app1 | managed ($15); 2 nodes ($20) + a DB VM or app1
  assert.ok(managedLb.some((t) => t.managedLb!.nodes === 1 && t.managedDb));
  assert.ok(managedLb.some((t) => t.managedLb!.nodes === 2 && !t.managedDb));
  assert.ok(!managedLb.some((t) => t.managedLb!.nodes === 2 && t.managedDb), '$10 + $20 + $15 > $40');
  assert.ok(!managedLb.some((t) => t.managedLb!.nodes === 4), '4 nodes + 2 app hosts = $50');
  assert.ok(ts.some((t) => t.id === 'a [app] + managed DB mdb · PostgreSQL'));
  for (const t of ts) assert.ok(topologyCost(t) <= 40);
});

test('rank: feasible first, then most requests/s, then cheapest, then fewest machines', () => {
  const e = (id: string, rps: number, costUsd: number, hosts = 1, feasible = true): Evaluation =>
    ({
      topology: { id, shape: id, store: 'sqlite', hosts: Array.from({ length: hosts }, () => ({ name: 'x', vm: vm('a', 1, 1024), roles: ['app'] })) },
      costUsd,
      feasible,
      rps,
      limits: [],
      hosts: [],
      costs: {},
    }) as unknown as Evaluation;
  const ranked = rank([e('slow', 100, 5), e('none', 0, 1, 1, false), e('fast-dear', 1000, 50), e('fast-cheap', 999, 40), e('fast-cheap-simple', 999.5, 40, 1), e('fast-cheap-2', 999.5, 40, 2)]);
  assert.deepEqual(
    ranked.map((r) => r.topology.id),
    ['fast-cheap', 'fast-cheap-simple', 'fast-cheap-2', 'fast-dear', 'slow', 'none'],
  );
});

test('plan: with the hand calibration and $20, one 2-vCPU VM with SQLite wins; the best with two app hosts is next', () => {
  const cal = handCalibration();
  const r = plan(small, cal, SEED_MIX, { budgetUsd: 20 });
  // b alone: 2 workers × 33,333 = 66,667 req/s, for $10
  assert.equal(r.recommendation!.topology.id, 'b [app] · SQLite');
  assert.ok(Math.abs(r.recommendation!.rps / (2 / 30e-6) - 1) < 1e-9);
  // 2×b with LB and DB on app1: 4 cores, app1 gives (20 + 25) µs per request to LB + DB → 4 / 95 µs = 42,105
  const redundant = plan(small, cal, SEED_MIX, { budgetUsd: 20, minAppHosts: 2 });
  assert.equal(redundant.recommendation!.topology.id, 'b [app+lb+db] + b [app] · PostgreSQL');
  assert.ok(Math.abs(redundant.recommendation!.rps / (4 / 95e-6) - 1) < 1e-9, String(redundant.recommendation!.rps));
  // next: LB + DB on b (2 / 45 µs = 44,444) in front of 2 × a (2 / 50 µs = 40,000)
  assert.equal(redundant.feasible[1]!.topology.id, 'b [lb+db] + 2×a [app] · PostgreSQL');
  assert.ok(Math.abs(redundant.feasible[1]!.rps / 40_000 - 1) < 1e-9);
  // 4 × a with LB and DB on app1 costs the same $20 but app1's single core carries LB + DB: 1 / 45 µs
  const fourA = redundant.feasible.find((x) => x.topology.id === 'a [app+lb+db] + 3×a [app] · PostgreSQL')!;
  assert.ok(Math.abs(fourA.rps / (1 / 45e-6) - 1) < 1e-9);
  assert.equal(fourA.bottleneck!.id, 'cpu:app1');
  // every shape appears once in bestByShape, best first
  const shapes = r.bestByShape.map((x) => x.topology.shape);
  assert.equal(new Set(shapes).size, shapes.length);
  for (let i = 1; i < r.bestByShape.length; i++) assert.ok(r.bestByShape[i - 1]!.rps >= r.bestByShape[i]!.rps * 0.995);
});

test('prices: the shipped tables load; a table without a source or with a bad field is refused', () => {
  const assignment = loadPriceTable('assignment');
  assert.deepEqual(
    assignment.vms.map((v) => [v.id, v.vcpus, v.memoryMiB, v.monthlyUsd]),
    [
      ['vm1', 1, 512, 4],
      ['vm2', 1, 1024, 6],
      ['vm3', 1, 2048, 12],
      ['vm4', 2, 2048, 18],
      ['vm5', 2, 4096, 24],
      ['vm6', 4, 8192, 48],
    ],
  );
  const digitalocean = loadPriceTable('digitalocean');
  assert.ok(digitalocean.sources.every((s) => /^https:\/\//.test(s.url) && /^\d{4}-\d{2}-\d{2}$/.test(s.read)));
  assert.ok(digitalocean.managedLoadBalancers.length > 0 && digitalocean.managedDatabases.length > 0);
  assert.match(digitalocean.recheck, /re-check/i);
  const base = { schema: 'polarity-prices/1', name: 'x', title: 'x', currency: 'USD', recheck: 'x', vms: [vm('a', 1, 1024, 5)] };
  assert.throws(() => parsePriceTable({ ...base, sources: [] }), PriceTableError);
  assert.throws(() => parsePriceTable({ ...base, sources: [{ what: 'x', url: 'y', read: 'yesterday' }] }), /YYYY-MM-DD/);
  assert.throws(() => parsePriceTable({ ...base, sources: [{ what: 'x', url: 'y', read: '2026-01-01' }], vms: [{ id: 'a', vcpus: 0, memoryMiB: 1024, monthlyUsd: 1 }] }), /vcpus/);
  assert.throws(() => parsePriceTable({ ...base, sources: [{ what: 'x', url: 'y', read: '2026-01-01' }], vms: [vm('a', 1, 1024), vm('a', 2, 2048)] }), /duplicate id/);
  assert.throws(() => loadPriceTable('/nonexistent/prices.json'), /no price table/);
});
