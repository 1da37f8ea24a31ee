// The capacity model: how many requests a second a topology sustains, and what stops it.
//
// Every request of the mix costs each role some CPU time (the calibration: µs of one core per
// request). A host with v vCPUs running roles whose costs per request add up to c can carry at
// most v / c requests a second; the topology's capacity is the smallest such limit over all its
// resources (the bottleneck), because every request passes through each role once:
//
//   app hosts   Σ_h min(workers_h, v_h − R·other_h) / c_app,h ≥ R   (the load balancer sends each
//               host what it can serve — nginx weights — and a host's other roles take their CPU first)
//   other VMs   R·Σ c_role ≤ v
//   DB writes   R·postShare·c_serial ≤ 1 (inserts take turns: SQLite commits hold the file's write
//               lock one process at a time; PostgreSQL inserts hold an advisory lock until COMMIT
//               so ids appear in order)
//   managed LB  R ≤ nodes × the provider's stated requests/s per node
//   managed DB  R·c_db ≤ its vCPUs, and its connection limit bounds the app's workers
//
// A role costs more on a host where it shares the cores with other roles than on cores of its own
// (c_role,h = the calibration's co-located figure where h runs two roles or more): processes take
// turns, each serves fewer requests per wake-up and finds its caches cold.
//
// Memory decides the workers: a host runs one worker per vCPU unless its RAM (minus the OS
// reserve and its other roles) holds fewer; a host that cannot hold one is infeasible. Each
// worker opens up to 9 PostgreSQL connections (pool of 8 + 1 LISTEN), which the database's memory
// and connection limit must hold too.
//
// Each limit is monotone in R, so the capacity is the minimum of the limits taken one at a
// time; the app limit, the only non-linear one, is solved by bisection.
import { colocationFactor, cpuPerRequest, extraWorkerCost, type Calibration } from './calibration.js';
import { postShare, type Mix } from './mix.js';
import type { ManagedDbOffer, ManagedLbOffer, VmType } from './prices.js';

export type Role = 'app' | 'lb' | 'db' | 'client';
export type Store = 'sqlite' | 'postgres';

export interface HostSpec {
  readonly name: string;
  readonly vm: VmType;
  readonly roles: readonly Role[];
  /** fixed worker count (e.g. the local cluster's --workers 1); default: what vCPUs and memory allow */
  readonly workers?: number;
}

export interface Topology {
  readonly id: string;
  /** what kind of architecture, for "the best of each shape" */
  readonly shape: string;
  readonly store: Store;
  readonly hosts: readonly HostSpec[];
  readonly managedLb?: { readonly offer: ManagedLbOffer; readonly nodes: number };
  readonly managedDb?: ManagedDbOffer;
}

export interface ModelOptions {
  /** RAM each VM keeps for the OS, cloud agents and page cache, MiB */
  readonly osReserveMiB: number;
  /** PostgreSQL connections one app worker opens: its pool (8) + one LISTEN connection */
  readonly connectionsPerWorker: number;
  /** max_connections of a self-hosted PostgreSQL (deploy/cloud-init/database.yaml: 200) minus 3 reserved */
  readonly selfHostedMaxConnections: number;
  /** ignore memory (a shared test machine whose hosts are namespaces) */
  readonly ignoreMemory?: boolean;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = Object.freeze({
  osReserveMiB: 200,
  connectionsPerWorker: 9,
  selfHostedMaxConnections: 197,
});

export interface Limit {
  readonly id: string;
  readonly label: string;
  /** a few words, for tables */
  readonly short: string;
  /** requests/s at which this resource alone is full */
  readonly capacityRps: number;
}

export interface HostPlan {
  readonly name: string;
  readonly vm: VmType;
  readonly roles: readonly Role[];
  /** app workers (0 when the host runs no app) */
  readonly workers: number;
  readonly memoryUsedMiB: number;
  readonly memoryParts: Readonly<Record<string, number>>;
  /** share of requests the load balancer sends here (0…1), and as an nginx weight */
  readonly share: number;
  readonly weight: number;
  /** vCPUs busy at the predicted capacity */
  readonly cpuBusy: number;
  /**
   * CPU seconds per request of each role on this host (the app's: per request this host serves).
   * Above `Evaluation.costs` where the host runs several roles: they share its cores.
   */
  readonly costs: Readonly<Partial<Record<Role, number>>>;
  /** the roles share this host's cores (two or more of them) */
  readonly colocated: boolean;
}

export interface Evaluation {
  readonly topology: Topology;
  readonly costUsd: number;
  readonly feasible: boolean;
  /** why not, when infeasible */
  readonly reason?: string;
  /** predicted sustained requests/s (0 when infeasible) */
  readonly rps: number;
  readonly bottleneck?: Limit;
  /** every limit, tightest first */
  readonly limits: readonly Limit[];
  readonly hosts: readonly HostPlan[];
  /** CPU seconds per request, by role, for this mix, each role on cores of its own (see HostPlan.costs) */
  readonly costs: Readonly<Record<'app' | 'lb' | 'db' | 'client' | 'serialWrite', number>>;
}

export function topologyCost(t: Topology): number {
  let usd = t.hosts.reduce((a, h) => a + h.vm.monthlyUsd, 0);
  if (t.managedLb) usd += t.managedLb.offer.monthlyUsdPerNode * t.managedLb.nodes;
  if (t.managedDb) usd += t.managedDb.monthlyUsd;
  return Math.round(usd * 100) / 100;
}

/** MiB an app host needs for k workers (k = 1: one process; k ≥ 2: node:cluster primary + k workers). */
export function appMemoryMiB(cal: Calibration, store: Store, workers: number): number {
  const m = cal.memoryMiB;
  if (workers <= 0) return 0;
  if (workers === 1) return store === 'sqlite' ? m.appSingleSqlite : m.appSinglePostgres;
  return m.appPrimary + workers * (store === 'sqlite' ? m.appWorkerSqlite : m.appWorkerPostgres);
}

export function nginxMemoryMiB(cal: Calibration, vcpus: number): number {
  // worker_processes auto: one per vCPU
  return cal.memoryMiB.nginxMaster + vcpus * cal.memoryMiB.nginxWorker;
}

export function postgresMemoryMiB(cal: Calibration, connections: number): number {
  const m = cal.memoryMiB;
  return m.postgresSharedBuffers + m.postgresFixed + connections * m.postgresPerConnection;
}

function hostHasDbRole(t: Topology): boolean {
  return t.hosts.some((h) => h.roles.includes('db'));
}

/** Largest x in [0, hi] with ok(x), for ok monotone (true then false). */
function bisect(ok: (x: number) => boolean, hi: number): number {
  let lo = 0;
  if (ok(hi)) return hi;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

interface Plan {
  workers: number[];
  memory: { used: number; parts: Record<string, number> }[];
  reason?: string;
}

/** Workers per host and memory per host: as many workers as vCPUs, fewer when RAM or connections run short. */
function planWorkers(t: Topology, cal: Calibration, opts: ModelOptions): Plan {
  const workers = t.hosts.map((h) => (h.roles.includes('app') ? (h.workers ?? h.vm.vcpus) : 0));
  const needsPg = t.store === 'postgres';
  const maxConnections = t.managedDb ? t.managedDb.maxConnections : opts.selfHostedMaxConnections;
  const memoryOf = (i: number, k: number, connections: number) => {
    const h = t.hosts[i]!;
    const parts: Record<string, number> = {};
    if (!opts.ignoreMemory) parts['os'] = opts.osReserveMiB;
    if (h.roles.includes('app')) parts['app'] = appMemoryMiB(cal, t.store, k);
    if (h.roles.includes('lb')) parts['lb'] = nginxMemoryMiB(cal, h.vm.vcpus);
    if (h.roles.includes('db')) parts['db'] = postgresMemoryMiB(cal, connections);
    const used = Object.values(parts).reduce((a, b) => a + b, 0);
    return { used, parts };
  };
  for (let round = 0; round < 10_000; round++) {
    const connections = needsPg ? workers.reduce((a, b) => a + b, 0) * opts.connectionsPerWorker : 0;
    // The fixed worker counts of a validation topology are what they are.
    const fixed = (i: number) => t.hosts[i]!.workers !== undefined;
    const largest = (): number => {
      let best = -1;
      workers.forEach((k, i) => {
        if (!fixed(i) && k > 1 && (best < 0 || k > workers[best]!)) best = i;
      });
      return best;
    };
    if (needsPg && connections > maxConnections) {
      const i = largest();
      if (i < 0) return { workers, memory: [], reason: `needs ${connections} database connections (${opts.connectionsPerWorker} per app worker), the database allows ${maxConnections}` };
      workers[i]!--;
      continue;
    }
    if (opts.ignoreMemory) return { workers, memory: t.hosts.map((_, i) => memoryOf(i, workers[i]!, connections)) };
    let changed = false;
    for (let i = 0; i < t.hosts.length; i++) {
      const h = t.hosts[i]!;
      const m = memoryOf(i, workers[i]!, connections);
      if (m.used <= h.vm.memoryMiB) continue;
      if (h.roles.includes('app') && workers[i]! > 1 && !fixed(i)) {
        workers[i]!--;
      } else if (h.roles.includes('db') && largest() >= 0) {
        // the database's memory grows with connections: fewer workers elsewhere
        workers[largest()]!--;
      } else {
        const parts = Object.entries(m.parts)
          .map(([k, v]) => `${k} ${Math.round(v)}`)
          .join(' + ');
        return { workers, memory: [], reason: `${h.name} (${h.vm.id}) has ${h.vm.memoryMiB} MiB, needs ${Math.round(m.used)} MiB (${parts})` };
      }
      changed = true;
      break;
    }
    if (!changed) return { workers, memory: t.hosts.map((_, i) => memoryOf(i, workers[i]!, connections)) };
  }
  return { workers, memory: [], reason: 'worker planning did not converge' };
}

type Costs = Record<'app' | 'lb' | 'db' | 'client' | 'serialWrite', number>;

/** CPU per request of each role, and the serial part of a write, from the calibration at this mix. */
function baseCosts(cal: Calibration, pg: boolean, mix: Mix): Costs {
  return {
    app: cpuPerRequest(cal, pg ? 'appPostgres' : 'appSqlite', mix),
    lb: cpuPerRequest(cal, 'nginx', mix),
    db: cpuPerRequest(cal, 'postgres', mix),
    client: cpuPerRequest(cal, 'client', mix),
    serialWrite: (postShare(mix) * (pg ? cal.writeSerialUs.postgres : cal.writeSerialUs.sqlite)) / 1e6,
  };
}

/** Why a topology cannot work at all, whatever its VMs: undefined when it can. */
function shapeProblem(t: Topology): string | undefined {
  const pg = t.store === 'postgres';
  const appHosts = t.hosts.filter((h) => h.roles.includes('app'));
  if (appHosts.length === 0) return 'no app host';
  if (pg && !hostHasDbRole(t) && !t.managedDb) return 'PostgreSQL store without a database';
  if (appHosts.length > 1 && !pg) return 'several app hosts need the shared PostgreSQL store';
  const balanced = t.hosts.some((h) => h.roles.includes('lb')) || t.managedLb !== undefined;
  if (appHosts.length > 1 && !balanced) return 'several app hosts need a load balancer';
  return undefined;
}

/**
 * App processes sharing a store are not free of each other: each worker beyond a host's first
 * (node:cluster) and each app host beyond the first adds its measured cost per request.
 */
function withExtraProcessCosts(base: Costs, t: Topology, plan: Plan, cal: Calibration, mix: Mix): Costs {
  const costs = { ...base };
  const workers = plan.workers.reduce((a, b) => a + b, 0);
  const hostCount = t.hosts.filter((h, i) => h.roles.includes('app') && plan.workers[i]! > 0).length;
  // A validation topology stands for several one-worker hosts on one machine (fixed workers).
  const asHosts = t.hosts.length === 1 && t.hosts[0]!.workers !== undefined ? workers : hostCount;
  const extraWorkers = workers - asHosts;
  const extraHosts = asHosts - 1;
  if (t.store === 'postgres') {
    costs.app += extraWorkers * extraWorkerCost(cal, 'appPostgres', mix) + extraHosts * extraWorkerCost(cal, 'appPostgresHost', mix);
    costs.db += extraWorkers * extraWorkerCost(cal, 'postgres', mix) + extraHosts * extraWorkerCost(cal, 'postgresHost', mix);
    costs.lb += extraHosts * extraWorkerCost(cal, 'nginxHost', mix);
  } else {
    costs.app += (workers - 1) * extraWorkerCost(cal, 'appSqlite', mix);
  }
  return costs;
}

/**
 * Each host's CPU per request of its roles: more where several roles share the cores (measured
 * by the calibration with all of them on the same cores; the extra-process costs were measured so
 * already and are not scaled again).
 */
function hostCostsOf(t: Topology, costs: Costs, cal: Calibration, mix: Mix): { colocated: boolean; c: Partial<Record<Role, number>> }[] {
  const pg = t.store === 'postgres';
  const calRole = { app: pg ? 'appPostgres' : 'appSqlite', lb: 'nginx', db: 'postgres', client: 'client' } as const;
  const extras = { app: costs.app - cpuPerRequest(cal, calRole.app, mix), lb: costs.lb - cpuPerRequest(cal, 'nginx', mix), db: costs.db - cpuPerRequest(cal, 'postgres', mix), client: 0 };
  return t.hosts.map((h) => {
    const colocated = h.roles.length >= 2;
    const c: Partial<Record<Role, number>> = {};
    for (const role of h.roles) {
      const base = costs[role] - extras[role];
      c[role] = base * (colocated ? colocationFactor(cal, t.store, calRole[role]) : 1) + extras[role];
    }
    return { colocated, c };
  });
}

/** What limits the app: its workers, and whether it shares its hosts or was cut down for memory. */
function appLimitLabel(t: Topology, plan: Plan, other: number[]): string {
  const appHosts = t.hosts.filter((h) => h.roles.includes('app'));
  const shared = t.hosts.filter((h, i) => h.roles.includes('app') && other[i]! > 0).map((h) => h.name);
  const w = plan.workers.filter((k) => k > 0);
  const memLimited = t.hosts.some((h, i) => h.roles.includes('app') && h.workers === undefined && plan.workers[i]! < h.vm.vcpus);
  let s = appHosts.length === 1 ? `app CPU (${w[0]} worker${w[0] === 1 ? '' : 's'})` : `app CPU (${appHosts.length} hosts, ${w.reduce((a, b) => a + b, 0)} workers)`;
  if (shared.length) s += `, shared with ${shared.join(', ')}'s other roles`;
  if (memLimited) s += ', workers limited by memory or connections';
  return s;
}

/** The limits other than the app's: each host's other roles, managed services, serial writes. */
function otherLimits(t: Topology, costs: Costs, other: number[]): Limit[] {
  const limits: Limit[] = [];
  t.hosts.forEach((h, i) => {
    if (other[i]! <= 0) return;
    const roles = h.roles.filter((r) => r !== 'app');
    const what = roles.map((r) => (r === 'lb' ? 'load balancer' : r === 'db' ? 'database' : 'load generator')).join(' + ');
    const short = roles.map((r) => (r === 'lb' ? 'LB' : r === 'db' ? 'DB' : 'client')).join('+');
    limits.push({ id: `cpu:${h.name}`, label: `${what} CPU on ${h.name} (${h.vm.id}, ${h.vm.vcpus} vCPU)`, short: `${short} CPU (${h.name})`, capacityRps: h.vm.vcpus / other[i]! });
  });
  if (t.managedLb && t.managedLb.offer.maxRpsPerNode !== null) {
    limits.push({
      id: 'managed-lb',
      label: `managed load balancer (${t.managedLb.nodes} node${t.managedLb.nodes > 1 ? 's' : ''} × ${t.managedLb.offer.maxRpsPerNode} req/s)`,
      short: 'managed LB',
      capacityRps: t.managedLb.nodes * t.managedLb.offer.maxRpsPerNode,
    });
  }
  if (t.managedDb) {
    limits.push({ id: 'managed-db', label: `managed database CPU (${t.managedDb.id}, ${t.managedDb.vcpus} vCPU)`, short: 'managed DB CPU', capacityRps: t.managedDb.vcpus / costs.db });
  }
  if (costs.serialWrite > 0) {
    const pg = t.store === 'postgres';
    limits.push({
      id: 'db-writes',
      label: pg ? 'database writes (inserts take turns on the ordering lock)' : 'database writes (SQLite commits take turns on the write lock)',
      short: 'DB writes',
      capacityRps: 1 / costs.serialWrite,
    });
  }
  return limits;
}

export function evaluate(t: Topology, cal: Calibration, mix: Mix, opts: ModelOptions = DEFAULT_MODEL_OPTIONS): Evaluation {
  const costUsd = topologyCost(t);
  const base = baseCosts(cal, t.store === 'postgres', mix);
  const infeasible = (reason: string): Evaluation => ({ topology: t, costUsd, feasible: false, reason, rps: 0, limits: [], hosts: [], costs: base });
  const problem = shapeProblem(t);
  if (problem) return infeasible(problem);
  const plan = planWorkers(t, cal, opts);
  if (plan.reason) return infeasible(plan.reason);
  const costs = withExtraProcessCosts(base, t, plan, cal, mix);
  const hostCosts = hostCostsOf(t, costs, cal, mix);

  // CPU per request of each host's roles other than the app (they are served first).
  const other = hostCosts.map(({ c }) => (c.lb ?? 0) + (c.db ?? 0) + (c.client ?? 0));
  const appCores = (i: number, r: number): number => {
    const h = t.hosts[i]!;
    if (!h.roles.includes('app')) return 0;
    return Math.max(0, Math.min(plan.workers[i]!, h.vm.vcpus - r * other[i]!));
  };
  /** requests/s host i's app can serve while its other roles carry r */
  const appRps = (i: number, r: number): number => (t.hosts[i]!.roles.includes('app') ? appCores(i, r) / hostCosts[i]!.c.app! : 0);
  const totalVcpus = t.hosts.reduce((a, h) => a + h.vm.vcpus, 0);
  const ceiling = (totalVcpus + (t.managedDb?.vcpus ?? 0)) / Math.max(Math.min(costs.app, ...hostCosts.map(({ c }) => c.app ?? Infinity)), 1e-12) + 1;
  const appCapacity = bisect((r) => t.hosts.reduce((a, _, i) => a + appRps(i, r), 0) >= r, ceiling);
  const limits: Limit[] = [{ id: 'app', label: appLimitLabel(t, plan, other), short: 'app CPU', capacityRps: appCapacity }, ...otherLimits(t, costs, other)];
  limits.sort((a, b) => a.capacityRps - b.capacityRps);
  const bottleneck = limits[0]!;
  const rps = bottleneck.capacityRps;

  // The load balancer sends each host what its cores can serve.
  const served = t.hosts.map((_, i) => appRps(i, rps));
  const sumServed = served.reduce((a, b) => a + b, 0);
  const maxServed = Math.max(...served);
  const hosts: HostPlan[] = t.hosts.map((h, i) => {
    const share = h.roles.includes('app') && sumServed > 0 ? served[i]! / sumServed : 0;
    return {
      name: h.name,
      vm: h.vm,
      roles: h.roles,
      workers: plan.workers[i]!,
      memoryUsedMiB: plan.memory[i]!.used,
      memoryParts: plan.memory[i]!.parts,
      share,
      weight: share > 0 ? Math.max(1, Math.round((10 * served[i]!) / maxServed)) : 0,
      cpuBusy: rps * other[i]! + rps * share * (hostCosts[i]!.c.app ?? 0),
      costs: hostCosts[i]!.c,
      colocated: hostCosts[i]!.colocated,
    };
  });
  return { topology: t, costUsd, feasible: true, rps, bottleneck, limits, hosts, costs };
}

/** The spare capacity of the next limit: how far the load could grow if the bottleneck were removed. */
export function headroom(e: Evaluation): { label: string; short: string; factor: number } | undefined {
  const next = e.limits[1];
  if (!next || !e.feasible || e.rps <= 0) return undefined;
  return { label: next.label, short: next.short, factor: next.capacityRps / e.rps };
}

/** Users of the seed's Locust scenario a capacity serves: each waits 1–5 s (3 s on average) per request. */
export function seedUsers(rps: number): number {
  return rps * 3;
}

/**
 * deploy/local-cluster as the model sees it (bench/plan-validate.ts): every "host" shares the same
 * cores, so the topology is one machine of `cores` vCPUs (fractional: the CPU a run really received)
 * running every role, with `appHosts` one-worker app processes; memory is not the limit there.
 */
export function evaluateLocalCluster(cal: Calibration, store: Store, appHosts: number, roles: readonly Role[], cores: number, mix: Mix): Evaluation {
  return evaluate(
    { id: 'local', shape: 'local cluster', store, hosts: [{ name: 'machine', vm: { id: 'this machine', vcpus: cores, memoryMiB: 1 << 20, monthlyUsd: 0 }, roles, workers: appHosts }] },
    cal,
    mix,
    { ...DEFAULT_MODEL_OPTIONS, ignoreMemory: true },
  );
}
