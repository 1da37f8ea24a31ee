// Every topology a price table allows within a budget: one VM running everything; an app VM and a
// database VM; N identical app hosts behind a load balancer, with the load balancer and the
// database each on a VM of their own, sharing a VM, on the first app host, or bought as a
// provider's managed service. (Mixed app host sizes are not enumerated: a bigger host of the same
// price family is always one of the candidates, and equal hosts keep round robin simple.)
import { evaluate, type Evaluation, type HostSpec, type ModelOptions, type Role, type Topology } from './model.js';
import type { Calibration } from './calibration.js';
import type { Mix } from './mix.js';
import type { ManagedDbOffer, ManagedLbOffer, PriceTable, VmType } from './prices.js';

export interface EnumerateOptions {
  readonly budgetUsd: number;
  /** at most this many app hosts (default 16) */
  readonly maxAppHosts?: number;
  /** at least this many app hosts (default 1; 2 for no single app host to lose) */
  readonly minAppHosts?: number;
}

type LbPlace = { kind: 'vm'; vm: VmType } | { kind: 'on-app' } | { kind: 'managed'; offer: ManagedLbOffer; nodes: number };
type DbPlace = { kind: 'vm'; vm: VmType } | { kind: 'with-lb' } | { kind: 'on-app' } | { kind: 'managed'; offer: ManagedDbOffer };

function price(x: LbPlace | DbPlace): number {
  if (x.kind === 'vm') return x.vm.monthlyUsd;
  if (x.kind === 'managed') return 'nodes' in x ? x.offer.monthlyUsdPerNode * x.nodes : x.offer.monthlyUsd;
  return 0;
}

const SHAPE_LB: Record<LbPlace['kind'], string> = { vm: 'LB VM', 'on-app': 'LB on app host 1', managed: 'managed LB' };
const SHAPE_DB: Record<DbPlace['kind'], string> = { vm: 'DB VM', 'with-lb': 'DB on the LB VM', 'on-app': 'DB on app host 1', managed: 'managed DB' };

function group(hosts: readonly HostSpec[]): string {
  const parts: { key: string; n: number }[] = [];
  for (const h of hosts) {
    const key = `${h.vm.id} [${h.roles.join('+')}]`;
    const last = parts.at(-1);
    if (last && last.key === key) last.n++;
    else parts.push({ key, n: 1 });
  }
  return parts.map((p) => (p.n > 1 ? `${p.n}×${p.key}` : p.key)).join(' + ');
}

export function describeTopology(t: Topology): string {
  let s = group(t.hosts);
  if (t.managedLb) s += ` + managed LB ${t.managedLb.offer.id}${t.managedLb.nodes > 1 ? ` ×${t.managedLb.nodes}` : ''}`;
  if (t.managedDb) s += ` + managed DB ${t.managedDb.id}`;
  return `${s} · ${t.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`;
}

function make(hosts: HostSpec[], store: Topology['store'], shape: string, extra: Partial<Topology> = {}): Topology {
  const t = { id: '', shape, store, hosts, ...extra } as Topology;
  return { ...t, id: describeTopology(t) };
}

export function enumerateTopologies(prices: PriceTable, opts: EnumerateOptions): Topology[] {
  const budget = opts.budgetUsd + 1e-9;
  const maxApp = opts.maxAppHosts ?? 16;
  const out: Topology[] = [];
  const vms = prices.vms;

  // One VM running everything: the embedded SQLite store, or PostgreSQL beside the app.
  for (const vm of vms) {
    if (vm.monthlyUsd > budget) continue;
    out.push(make([{ name: 'app1', vm, roles: ['app'] }], 'sqlite', 'one VM (SQLite)'));
    out.push(make([{ name: 'app1', vm, roles: ['app', 'db'] }], 'postgres', 'one VM (app + PostgreSQL)'));
  }

  const lbPlaces: LbPlace[] = [
    ...vms.map((vm) => ({ kind: 'vm' as const, vm })),
    { kind: 'on-app' },
    ...prices.managedLoadBalancers.flatMap((offer) => {
      const n = Math.min(offer.maxNodes, offer.monthlyUsdPerNode > 0 ? Math.floor(opts.budgetUsd / offer.monthlyUsdPerNode) : 1);
      return Array.from({ length: Math.max(0, n) }, (_, i) => ({ kind: 'managed' as const, offer, nodes: i + 1 }));
    }),
  ];
  const dbPlaces: DbPlace[] = [
    ...vms.map((vm) => ({ kind: 'vm' as const, vm })),
    { kind: 'with-lb' },
    { kind: 'on-app' },
    ...prices.managedDatabases.map((offer) => ({ kind: 'managed' as const, offer })),
  ];

  for (const app of vms) {
    // One app host and a database elsewhere: no load balancer needed.
    for (const db of dbPlaces) {
      if (db.kind === 'with-lb' || db.kind === 'on-app') continue;
      if (app.monthlyUsd + price(db) > budget) continue;
      const hosts: HostSpec[] = [{ name: 'app1', vm: app, roles: ['app'] }];
      if (db.kind === 'vm') hosts.push({ name: 'db', vm: db.vm, roles: ['db'] });
      out.push(make(hosts, 'postgres', `app VM + ${SHAPE_DB[db.kind]}`, db.kind === 'managed' ? { managedDb: db.offer } : {}));
    }
    // N app hosts behind a load balancer, one shared PostgreSQL.
    for (let n = 2; n <= maxApp && n * app.monthlyUsd <= budget; n++) {
      for (const lb of lbPlaces) {
        const withLb = n * app.monthlyUsd + price(lb);
        if (withLb > budget) continue;
        for (const db of dbPlaces) {
          if (db.kind === 'with-lb' && lb.kind !== 'vm') continue;
          if (withLb + price(db) > budget) continue;
          const hosts: HostSpec[] = [];
          const app1: Role[] = ['app'];
          if (lb.kind === 'on-app') app1.push('lb');
          if (db.kind === 'on-app') app1.push('db');
          if (lb.kind === 'vm') hosts.push({ name: 'lb', vm: lb.vm, roles: db.kind === 'with-lb' ? ['lb', 'db'] : ['lb'] });
          for (let i = 1; i <= n; i++) hosts.push({ name: `app${i}`, vm: app, roles: i === 1 ? app1 : ['app'] });
          if (db.kind === 'vm') hosts.push({ name: 'db', vm: db.vm, roles: ['db'] });
          const extra: Partial<Topology> = {};
          if (lb.kind === 'managed') Object.assign(extra, { managedLb: { offer: lb.offer, nodes: lb.nodes } });
          if (db.kind === 'managed') Object.assign(extra, { managedDb: db.offer });
          out.push(make(hosts, 'postgres', `${n} app hosts, ${SHAPE_LB[lb.kind]}, ${SHAPE_DB[db.kind]}`.replace(/^\d+ app hosts/, 'N app hosts'), extra));
        }
      }
    }
  }
  const min = opts.minAppHosts ?? 1;
  return out.filter((t) => t.hosts.filter((h) => h.roles.includes('app')).length >= min);
}

/** Feasible first; then the most requests/s; then the cheapest; then the fewest machines. */
export function rank(evals: readonly Evaluation[]): Evaluation[] {
  const machines = (e: Evaluation) => e.topology.hosts.length + (e.topology.managedLb ? 1 : 0) + (e.topology.managedDb ? 1 : 0);
  return [...evals].sort((a, b) => {
    if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
    // Within 0.5 % the figures are the same prediction: prefer the cheaper, then the simpler.
    if (Math.abs(a.rps - b.rps) > 0.005 * Math.max(a.rps, b.rps)) return b.rps - a.rps;
    if (a.costUsd !== b.costUsd) return a.costUsd - b.costUsd;
    if (machines(a) !== machines(b)) return machines(a) - machines(b);
    return a.topology.id < b.topology.id ? -1 : a.topology.id > b.topology.id ? 1 : 0;
  });
}

export interface PlanResult {
  readonly ranked: readonly Evaluation[];
  readonly feasible: readonly Evaluation[];
  readonly recommendation?: Evaluation;
  /** the best feasible topology of each shape, best first */
  readonly bestByShape: readonly Evaluation[];
  readonly considered: number;
}

export function plan(prices: PriceTable, cal: Calibration, mix: Mix, opts: EnumerateOptions, model?: ModelOptions): PlanResult {
  const topologies = enumerateTopologies(prices, opts);
  const ranked = rank(topologies.map((t) => evaluate(t, cal, mix, model)));
  const feasible = ranked.filter((e) => e.feasible);
  const seen = new Set<string>();
  const bestByShape = feasible.filter((e) => (seen.has(e.topology.shape) ? false : (seen.add(e.topology.shape), true)));
  return { ranked, feasible, recommendation: feasible[0], bestByShape, considered: topologies.length };
}
