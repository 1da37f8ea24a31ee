// `polarity plan calibrate`: what one core of each role costs per request on this machine.
//
// Layout on a machine with ≥ 2 cores (taskset): the process being measured — the app — has core 0
// to itself; the load tester (this process), PostgreSQL and nginx share core 1. Three phases, each
// with a POST-only, a GET-only and a mixed run of the built-in load tester in --max mode (a fixed
// number of keep-alive connections, no think time), after a warm-up:
//   A  load tester → app (embedded SQLite)                          app CPU, SQLite write-lock time
//   B  load tester → app (PostgreSQL) → PostgreSQL                  app CPU, PostgreSQL CPU
//   C  load tester → nginx (1 worker) → app (PostgreSQL) → PostgreSQL   nginx CPU
//   D  every process on every core, one- and two-process variants side by side: what a second
//      worker and a second app host add per request, what each role costs when all of them share
//      the cores (a host running several roles), and the memory of node:cluster's primary and workers.
// CPU comes from /proc/<pid>/stat of each process tree before and after a run, memory
// from /proc/<pid>/smaps_rollup (proportional set size) under load. Nothing listens beyond
// 127.0.0.1 (or the cluster's namespaces); every run is bounded in time and in requests; everything
// started is stopped, and the temporary directory removed, also on failure or a signal (the
// cleanup stack of src/lab/cleanup.ts).
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Calibration, CostRole, MachineDescription, MemoryFigures, PerKind, RunRecord } from '../plan/calibration.js';
import { formatMix, type Mix } from '../plan/mix.js';
import { type CleanupStack, withCleanup } from './cleanup.js';
import { LabError } from './errors.js';
import { clusterPostmaster, clusterUp, holdClusterLock, namespacePids, runClusterSync, type ClusterSettings } from './local-cluster.js';
import { describeMachine } from './machine.js';
import { type Group, measureRun, postGetScenario, warmUp } from './measure.js';
import { startNginx, type StartedNginx } from './nginx.js';
import { pin, pinSelf } from './pin.js';
import { hbaLine, pgBinDir, pgTool, psql, startLocalPostgres } from './postgres.js';
import { commandLine, processMemory, processTree } from './proc.js';
import { serve, type Served } from './serve.js';
import { freePort, isRoot, ROOT, userIds, which } from './system.js';
import { fetchWriteMetrics, serialWriteUsPerPost } from './write-metrics.js';

/** shared_buffers of the measured PostgreSQL: Debian's default, which deploy/cloud-init/database.yaml keeps */
const SHARED_BUFFERS_MIB = 128;
const CLUSTER: ClusterSettings = { name: 'polc', net: '10.77.4', state: join(tmpdir(), 'polarity-calibrate-cluster'), apps: 2, workers: 1 };

export interface CalibrateOptions {
  readonly quick: boolean;
  /** seconds of each measured run */
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** each POST / GET / mix run is repeated this many times, interleaved; the fastest counts */
  readonly rounds: number;
  readonly mix: Mix;
  readonly label: string;
  readonly command: string;
  /** 'namespaces': on deploy/local-cluster (root), every hop over a veth pair like a network; 'loopback': 127.0.0.1 */
  readonly network?: 'namespaces' | 'loopback';
  readonly log: (line: string) => void;
}

/** Why calibration cannot run here, or undefined. */
export function calibrateUnavailable(): string | undefined {
  if (platform() !== 'linux') return 'calibration reads /proc: Linux only';
  if (!which('taskset')) return 'taskset (util-linux) not found';
  if (!which('nginx')) return 'nginx not found (apt-get install nginx)';
  if (!pgBinDir()) return 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, or set PG_BIN)';
  if (!existsSync(join(ROOT, 'dist/src/cli.js'))) return 'Polarity is not built (npm run build)';
  if (isRoot() && !userIds('postgres')) return 'running as root needs a "postgres" user to run PostgreSQL as';
  return undefined;
}

/** Why the calibration cannot use deploy/local-cluster's network namespaces, or undefined. */
export function namespacesUnavailable(): string | undefined {
  if (!isRoot()) return 'not root';
  if (!which('ip')) return 'ip (iproute2) not found';
  if (!which('setpriv')) return 'setpriv (util-linux) not found';
  if (!existsSync(join(ROOT, 'deploy/local-cluster'))) return 'deploy/local-cluster not found';
  return undefined;
}

/** Measures this machine; undoes everything it started when it ends, fails or is interrupted. */
export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const why = calibrateUnavailable();
  if (why) throw new LabError(why);
  const network = chooseNetwork(opts);
  return withCleanup((stack) => run(setUp(stack, opts, network)), { log: opts.log, signals: true });
}

async function run(lab: Lab): Promise<Calibration> {
  const load0 = loadavg()[0]!;
  await buildNetwork(lab);
  const a = await phaseA(lab);
  const b = await phaseB(lab);
  const c = await phaseC(lab, b);
  await b.app.stop();
  const d = await phaseD(lab, b.db);
  const cal = assemble(lab, a, b, c, d);
  lab.log(`load average (1 min) before and after: ${load0.toFixed(2)}, ${loadavg()[0]!.toFixed(2)}`);
  return cal;
}

// ---- the lab: where things run --------------------------------------------------------------

interface Lab {
  readonly opts: CalibrateOptions;
  readonly log: (line: string) => void;
  readonly stack: CleanupStack;
  readonly machine: MachineDescription;
  /** a temporary directory, removed on unwind */
  readonly dir: string;
  readonly pinned: boolean;
  readonly appCore: string;
  readonly otherCore: string;
  readonly allCores: string;
  readonly network: 'namespaces' | 'loopback';
  readonly ns: boolean;
  /** every measured run, in order */
  readonly runs: RunRecord[];
  /** the next port for an nginx in the namespaces */
  nextPort: number;
}

function chooseNetwork(opts: CalibrateOptions): 'namespaces' | 'loopback' {
  const nsWhy = namespacesUnavailable();
  const network = opts.network ?? (nsWhy ? 'loopback' : 'namespaces');
  if (network === 'namespaces' && nsWhy) throw new LabError(`--network namespaces: ${nsWhy}`);
  if (network === 'loopback' && nsWhy) opts.log(`every hop over 127.0.0.1 (network namespaces need deploy/local-cluster: ${nsWhy}); real networks cost more per request`);
  return network;
}

function setUp(stack: CleanupStack, opts: CalibrateOptions, network: 'namespaces' | 'loopback'): Lab {
  const pinned = cpus().length >= 2;
  if (!pinned) opts.log('only one core: nothing can be pinned apart; the figures still are CPU time per request');
  const dir = mkdtempSync(join(tmpdir(), 'polarity-calibrate-'));
  stack.defer('the temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const lab: Lab = {
    opts,
    log: opts.log,
    stack,
    machine: describeMachine(),
    dir,
    pinned,
    appCore: '0',
    otherCore: pinned ? '1' : '0',
    allCores: pinned ? `0-${cpus().length - 1}` : '0',
    network,
    ns: network === 'namespaces',
    runs: [],
    nextPort: 3101,
  };
  if (pinned) pinSelf(stack, lab.otherCore);
  return lab;
}

/** deploy/local-cluster's namespaces and database, when the hops go over veth pairs. */
async function buildNetwork(lab: Lab): Promise<void> {
  if (lab.ns) await holdClusterLock(lab.stack, lab.log);
  lab.log(`network: ${lab.ns ? `deploy/local-cluster's namespaces (${CLUSTER.name}, ${CLUSTER.net}.0/24): every hop crosses a veth pair and a bridge` : '127.0.0.1'}`);
  if (lab.ns) {
    // Its own app hosts and nginx stay idle; ours run beside them on other ports. The cluster's
    // app hosts would not stay idle: every commit is notified (LISTEN/NOTIFY) to every app
    // process on the database, which wakes it and costs PostgreSQL a notification — CPU that no
    // real one-host topology spends. So they are stopped.
    clusterUp(lab.stack, CLUSTER);
    for (const h of ['app1', 'app2']) runClusterSync(CLUSTER, ['stop', h]);
  }
  lab.log(`calibrating on ${lab.machine.cpus} × ${lab.machine.cpuModel}; ${lab.pinned ? `app on core ${lab.appCore}, load tester + PostgreSQL + nginx on core ${lab.otherCore}` : 'no pinning'}`);
  lab.log(
    `runs: ${lab.opts.warmupS} s warm-up + ${lab.opts.durationS} s measured, ${lab.opts.rounds} round${lab.opts.rounds > 1 ? 's (the fastest of each kind counts)' : ''}, ${lab.opts.connections} connections, mix ${formatMix(lab.opts.mix)}`,
  );
}

/** An app on app host 1 or 2: 127.0.0.1, or the host's address in the cluster's namespace (as nobody). */
function startApp(lab: Lab, args: string[], name: string, cores = lab.appCore, host: 1 | 2 = 1): Promise<Served> {
  return serve(lab.stack, {
    name,
    args,
    cores,
    home: lab.dir,
    ...(lab.ns ? { host: `${CLUSTER.net}.${20 + host}`, netns: `${CLUSTER.name}-app${host}` } : {}),
  });
}

/** nginx on the load balancer's address (or 127.0.0.1) in front of `upstreams`. */
async function startLb(lab: Lab, name: string, upstreams: string[], cores: string, workerProcesses = 1): Promise<StartedNginx> {
  const port = lab.ns ? lab.nextPort++ : await freePort();
  const address = lab.ns ? `${CLUSTER.net}.10` : '127.0.0.1';
  return startNginx(lab.stack, { dir: join(lab.dir, name), upstreams, listen: `${address}:${port}`, cores, workerProcesses, ...(lab.ns ? { netns: `${CLUSTER.name}-lb` } : {}) });
}

// ---- measuring ------------------------------------------------------------------------------

type Kind = 'post' | 'get' | 'mix';

interface Measured {
  record: RunRecord;
  cpuS: Record<string, number>;
  posts: number;
  gets: number;
  /** µs per POST that commits held SQLite's write lock (from the app's /metrics), when asked for */
  serialWriteUs: number;
}

/** Integer task weights for a mix (the load tester, like Locust, takes whole weights). */
function scenarioOf(kind: Kind, mix: Mix) {
  if (kind === 'post') return postGetScenario(1, 0);
  if (kind === 'get') return postGetScenario(0, 1);
  const scale = Number.isInteger(mix.post) && Number.isInteger(mix.get) ? 1 : 100;
  return postGetScenario(Math.round(mix.post * scale), Math.round(mix.get * scale));
}

/** One warmed-up, measured run; its record joins `lab.runs`. */
async function measure(lab: Lab, phase: string, kind: Kind, url: string, groups: Group[], writeMetricsOf?: string): Promise<Measured> {
  const spec = { url, scenario: scenarioOf(kind, lab.opts.mix), connections: lab.opts.connections, durationS: lab.opts.durationS, seed: 7 };
  await warmUp(spec, lab.opts.warmupS, lab.stack.signal);
  const writesBefore = writeMetricsOf ? await fetchWriteMetrics(writeMetricsOf) : undefined; // before the CPU readings: the scrape is not a request of the run
  const { report, cpuS, otherCores } = await measureRun(spec, groups, lab.stack.signal);
  const posts = report.entries.filter((e) => e.method === 'POST').reduce((a, e) => a + e.requests, 0);
  const gets = report.entries.filter((e) => e.method === 'GET').reduce((a, e) => a + e.requests, 0);
  // What runs one at a time: commits hold SQLite's write lock, whichever process makes them. The
  // store times each commit; every POST of the run has been answered, so committed, by now.
  const serialWriteUs = writesBefore ? serialWriteUsPerPost(writesBefore, await fetchWriteMetrics(writeMetricsOf!), posts) : 0;
  const wallS = report.durationS;
  const record: RunRecord = {
    phase,
    kind,
    requests: report.requests,
    failures: report.failures,
    wallS: Math.round(wallS * 1000) / 1000,
    rps: Math.round(report.avgRps),
    cpuS: Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    ...(lab.pinned && cpuS['app'] !== undefined && wallS > 0 ? { measuredCoreBusy: Math.round((cpuS['app'] / wallS) * 1000) / 1000 } : {}),
    otherCores: Math.round(otherCores * 100) / 100,
    ...(writesBefore && posts > 0 ? { writeLockUsPerPost: Math.round(serialWriteUs * 100) / 100 } : {}),
  };
  lab.runs.push(record);
  lab.log(describeRun(record, groups, cpuS, otherCores));
  if (report.failures > 0) throw new LabError(`${phase} ${kind}: ${report.failures} of ${report.requests} requests failed (${report.failureList.map((f) => f.error).join('; ')})`);
  if (report.requests < 100) throw new LabError(`${phase} ${kind}: only ${report.requests} requests in ${lab.opts.durationS} s`);
  return { record, cpuS, posts, gets, serialWriteUs };
}

function describeRun(r: RunRecord, groups: Group[], cpuS: Record<string, number>, otherCores: number): string {
  const perReq = (k: string) => (r.requests > 0 ? ((cpuS[k] ?? 0) / r.requests) * 1e6 : 0);
  const core = r.measuredCoreBusy !== undefined ? `app core ${(r.measuredCoreBusy * 100).toFixed(0)}% busy, ` : '';
  return (
    `  ${r.phase.padEnd(10)} ${r.kind.padEnd(4)} ${String(r.rps).padStart(6)} req/s  ${r.failures} failed  µs/request: ` +
    groups.map((g) => `${g.name} ${perReq(g.name).toFixed(1)}`).join(', ') +
    `, client ${perReq('client').toFixed(1)}${r.writeLockUsPerPost !== undefined ? `, write lock ${r.writeLockUsPerPost.toFixed(1)} per POST` : ''}  (${core}other work ${otherCores.toFixed(2)} cores)`
  );
}

/** The run that went fastest: the one least disturbed by other work. */
const fastest = (ms: Measured[]): Measured => [...ms].sort((a, b) => b.record.rps - a.record.rps)[0]!;

/**
 * POST-only, GET-only and mixed runs, `rounds` times in turn; per kind, the run that went fastest.
 * On a shared machine a neighbour's load starves our processes now and then, and a starved
 * process serves fewer requests per event-loop turn, so each costs more CPU: the fastest run is
 * the one closest to the saturated process whose capacity the model predicts.
 */
async function measureSet(lab: Lab, phase: string, url: string, groups: Group[], writeMetricsOf?: string): Promise<Record<Kind, Measured>> {
  const got: Record<Kind, Measured[]> = { post: [], get: [], mix: [] };
  for (let r = 0; r < lab.opts.rounds; r++) {
    for (const kind of ['post', 'get', 'mix'] as const) got[kind].push(await measure(lab, phase, kind, url, groups, writeMetricsOf));
  }
  return { post: fastest(got.post), get: fastest(got.get), mix: fastest(got.mix) };
}

const round = (x: number): number => Math.round(x * 100) / 100;
const us = (m: Measured, group: string): number => (m.cpuS[group]! / m.record.requests) * 1e6;
const perKind = (post: Measured, get: Measured, group: string): PerKind => ({ post: round(us(post, group)), get: round(us(get, group)) });
const mixPoint = (m: Measured, groups: Partial<Record<CostRole, string>>) => ({
  post: m.posts,
  get: m.gets,
  cpuUs: Object.fromEntries(Object.entries(groups).map(([role, g]) => [role, round(us(m, g!))])),
});
const pss = (pid: number): number => processMemory(pid)?.pssMiB ?? 0;
const appOf = (...apps: Served[]): Group => ({ name: 'app', roots: () => apps.map((x) => x.pid) });

// ---- the phases -----------------------------------------------------------------------------

interface PhaseA {
  set: Record<Kind, Measured>;
  memoryMiB: number;
}

/** A: the embedded store. */
async function phaseA(lab: Lab): Promise<PhaseA> {
  lab.log('A  app with SQLite');
  mkdirSync(join(lab.dir, 'sqlite'));
  chmodSync(join(lab.dir, 'sqlite'), 0o777);
  const app = await startApp(lab, ['--workers', '1', '--db', join(lab.dir, 'sqlite/history.db')], 'app (SQLite)');
  const set = await measureSet(lab, 'A sqlite', app.url, [appOf(app)], app.url);
  const memoryMiB = pss(app.pid);
  await app.stop();
  return { set, memoryMiB };
}

/** The PostgreSQL the phases share: the cluster's database host, or an instance of our own. */
interface Db {
  readonly url: string;
  readonly postmaster: number;
  readonly group: Group;
  /** more databases owned by polarity (phase D gives each variant its own: NOTIFY stays within a database) */
  readonly createDatabases: (names: string[]) => void;
}

async function startDb(lab: Lab): Promise<Db> {
  if (lab.ns) {
    const postmaster = clusterPostmaster(CLUSTER);
    for (const n of ['db', 'lb']) pin(namespacePids(`${CLUSTER.name}-${n}`), lab.otherCore);
    const data = join(CLUSTER.state, 'db/data');
    const createDatabases = (names: string[]) => {
      // The cluster admits polarity to its own database only; these go with it on `down`.
      appendFileSync(join(data, 'pg_hba.conf'), hbaLine({ database: 'all', cidr: `${CLUSTER.net}.0/24` }));
      pgTool('pg_ctl', ['-D', data, 'reload']);
      psql(
        { dir: join(CLUSTER.state, 'db/run'), port: 5432 },
        names.map((n) => `CREATE DATABASE ${n} OWNER polarity`),
      );
    };
    return { url: `postgres://polarity@${CLUSTER.net}.30:5432/polarity`, postmaster, group: { name: 'postgres', roots: () => [postmaster] }, createDatabases };
  }
  const pg = await startLocalPostgres(lab.stack, { dir: join(lab.dir, 'pg'), cores: lab.otherCore, sharedBuffersMiB: SHARED_BUFFERS_MIB, by: 'polarity plan calibrate' });
  return { url: pg.url, postmaster: pg.postmaster, group: { name: 'postgres', roots: () => [pg.postmaster] }, createDatabases: (names) => pg.createDatabases(names) };
}

interface PhaseB {
  set: Record<Kind, Measured>;
  db: Db;
  /** still running: phase C puts nginx in front of it */
  app: Served;
  appMemoryMiB: number;
  pg: { fixedMiB: number; perConnectionMiB: number };
}

/** B: PostgreSQL, pinned beside the load tester. */
async function phaseB(lab: Lab): Promise<PhaseB> {
  lab.log('B  app with PostgreSQL');
  const db = await startDb(lab);
  const app = await startApp(lab, ['--workers', '1', '--database-url', db.url], 'app (PostgreSQL)');
  const set = await measureSet(lab, 'B postgres', app.url, [appOf(app), db.group]);
  return { set, db, app, appMemoryMiB: pss(app.pid), pg: postgresMemory(db.postmaster) };
}

/** PostgreSQL's memory under load: its own processes, and one backend per connection. */
function postgresMemory(postmaster: number): { fixedMiB: number; perConnectionMiB: number } {
  let fixedMiB = 0;
  const backends: number[] = [];
  for (const pid of processTree(postmaster)) {
    const m = processMemory(pid);
    if (!m) continue;
    const own = m.pssMiB - m.shmemMiB; // shared_buffers is counted whole, separately
    if (/postgres: polarity /.test(commandLine(pid))) backends.push(own);
    else fixedMiB += own;
  }
  return { fixedMiB, perConnectionMiB: backends.length ? backends.reduce((a, b) => a + b, 0) / backends.length : 0 };
}

interface PhaseC {
  set: Record<Kind, Measured>;
  masterMiB: number;
  workerMiB: number;
}

/** C: nginx with one worker (one core) in front of phase B's app. */
async function phaseC(lab: Lab, b: PhaseB): Promise<PhaseC> {
  lab.log('C  nginx → app with PostgreSQL');
  const lb = await startLb(lab, 'nginx', [b.app.url], lab.otherCore);
  const set = await measureSet(lab, 'C nginx', lb.url, [{ name: 'nginx', roots: () => [lb.master] }, appOf(b.app), b.db.group]);
  const workerMiB = Math.max(
    0,
    ...processTree(lb.master)
      .filter((p) => p !== lb.master)
      .map(pss),
  );
  const masterMiB = pss(lb.master);
  await lb.stop();
  return { set, masterMiB, workerMiB };
}

type Variant = 's1' | 's2' | 'p1' | 'p2' | 'host1' | 'host2';

interface PhaseD {
  v: Record<Variant, Measured>;
  deltas: Record<'appSqlite' | 'appPostgres' | 'postgres' | 'appPostgresHost' | 'postgresHost' | 'nginxHost', number>;
  share: number;
  memory: { sqlite: { primary: number; worker: number }; postgres: { primary: number; worker: number } };
}

/** The apps, load balancers and groups of phase D's six variants. */
interface Variants {
  targets: Record<Variant, { url: string; groups: Group[]; label: string }>;
  s2: Served;
  p2: Served;
}

/** Every process of phase D — the load tester, PostgreSQL and nginx too — on every core. */
function unpin(lab: Lab, db: Db): void {
  if (!lab.pinned) return;
  pinSelf(lab.stack, lab.allCores);
  if (lab.ns) for (const n of ['db', 'lb']) pin(namespacePids(`${CLUSTER.name}-${n}`), lab.allCores);
  else pin(processTree(db.postmaster), lab.allCores);
}

async function startVariants(lab: Lab, db: Db): Promise<Variants> {
  const all = lab.allCores;
  const s1 = await startApp(lab, ['--workers', '1', '--db', join(lab.dir, 'sqlite/one.db')], 'app (SQLite, 1 worker)', all);
  const s2 = await startApp(lab, ['--workers', '2', '--db', join(lab.dir, 'sqlite/two.db')], 'app (SQLite, 2 workers)', all);
  // Each PostgreSQL variant has a database of its own, as each real topology has: the idle
  // variants then hear nothing of the measured one's commits (NOTIFY reaches only listeners on
  // the same database; a listener is woken by every commit).
  db.createDatabases(['polarity_d1', 'polarity_d2', 'polarity_dh']);
  const dbOf = (name: string) => db.url.replace(/\/polarity$/, `/${name}`);
  const p1 = await startApp(lab, ['--workers', '1', '--database-url', dbOf('polarity_d1')], 'app (PostgreSQL, 1 worker)', all);
  const p2 = await startApp(lab, ['--workers', '2', '--database-url', dbOf('polarity_d2')], 'app (PostgreSQL, 2 workers)', all);
  const h1 = await startApp(lab, ['--workers', '1', '--database-url', dbOf('polarity_dh')], 'app host 1 (of 2)', all, 1);
  const h2 = await startApp(lab, ['--workers', '1', '--database-url', dbOf('polarity_dh')], 'app host 2 (of 2)', all, 2);
  // Two nginx workers each, as a 2-vCPU load balancer has (worker_processes auto): each keeps up
  // to 64 idle upstream connections (deploy/nginx's `keepalive 64`).
  const one = await startLb(lab, 'nginx-one', [p1.url], all, 2);
  const two = await startLb(lab, 'nginx-two', [h1.url, h2.url], all, 2);
  const nginxOf = (lb: StartedNginx): Group => ({ name: 'nginx', roots: () => [lb.master] });
  return {
    targets: {
      s1: { url: s1.url, groups: [appOf(s1)], label: 'D sqlite ×1' },
      s2: { url: s2.url, groups: [appOf(s2)], label: 'D sqlite ×2' },
      p1: { url: p1.url, groups: [appOf(p1), db.group], label: 'D postgres ×1' },
      p2: { url: p2.url, groups: [appOf(p2), db.group], label: 'D postgres ×2' },
      host1: { url: one.url, groups: [nginxOf(one), appOf(p1), db.group], label: 'D 1 host' },
      host2: { url: two.url, groups: [nginxOf(two), appOf(h1, h2), db.group], label: 'D 2 hosts' },
    },
    s2,
    p2,
  };
}

/** node:cluster's primary and its largest worker, MiB. */
function clusterMemory(x: Served): { primary: number; worker: number } {
  return {
    primary: pss(x.pid),
    worker: Math.max(
      0,
      ...processTree(x.pid)
        .filter((p) => p !== x.pid)
        .map(pss),
    ),
  };
}

/**
 * D: what a second process costs per request, compared under the same conditions: every process
 * (the load tester too) may use every core, as a second worker or host would have a core of its
 * own; the one- and two-process variants run side by side, their runs interleaved round by round,
 * and the fastest run of each variant counts (the one least disturbed by other work: a starved
 * process serves fewer requests per wake-up and costs more per request, which a difference of two
 * runs would take for the variant's). Both get the same load (the same connections), as a
 * topology with more processes gets the same clients: each process then sees fewer requests per
 * event-loop turn, part of what a second one costs.
 */
async function phaseD(lab: Lab, db: Db): Promise<PhaseD> {
  lab.log('D  what a second worker (--workers 2, node:cluster) and a second app host add per request; memory');
  unpin(lab, db);
  const { targets, s2, p2 } = await startVariants(lab, db);
  const runs: Record<Variant, Measured[]> = { s1: [], s2: [], p1: [], p2: [], host1: [], host2: [] };
  for (let r = 0; r < lab.opts.rounds; r++) {
    for (const k of Object.keys(runs) as Variant[]) runs[k].push(await measure(lab, targets[k].label, 'mix', targets[k].url, targets[k].groups));
  }
  const v = Object.fromEntries(Object.entries(runs).map(([k, ms]) => [k, fastest(ms)])) as Record<Variant, Measured>;
  const deltas = {
    appSqlite: us(v.s2, 'app') - us(v.s1, 'app'),
    appPostgres: us(v.p2, 'app') - us(v.p1, 'app'),
    postgres: us(v.p2, 'postgres') - us(v.p1, 'postgres'),
    appPostgresHost: us(v.host2, 'app') - us(v.host1, 'app'),
    postgresHost: us(v.host2, 'postgres') - us(v.host1, 'postgres'),
    nginxHost: us(v.host2, 'nginx') - us(v.host1, 'nginx'),
  };
  const memory = { sqlite: clusterMemory(s2), postgres: clusterMemory(p2) };
  lab.log(
    `  a second process adds, µs per request (fastest runs of ${lab.opts.rounds}): ` +
      Object.entries(deltas)
        .map(([k, d]) => `${k} ${d.toFixed(1)}`)
        .join(', '),
  );
  return { v, deltas, share: v.s2.posts / Math.max(1, v.s2.posts + v.s2.gets), memory };
}

// ---- the calibration ------------------------------------------------------------------------

function assemble(lab: Lab, a: PhaseA, b: PhaseB, c: PhaseC, d: PhaseD): Calibration {
  const { opts } = lab;
  // The one-process variants are also what each role costs when every role shares the cores.
  const colocated = {
    sqlite: mixPoint(d.v.s1, { appSqlite: 'app', client: 'client' }),
    postgres: mixPoint(d.v.host1, { appPostgres: 'app', nginx: 'nginx', postgres: 'postgres', client: 'client' }),
  };
  lab.log(
    '  every role on shared cores, µs per request: ' +
      Object.entries(colocated)
        .map(
          ([k, m]) =>
            `${k}: ${Object.entries(m.cpuUs)
              .map(([r, x]) => `${r} ${x.toFixed(1)}`)
              .join(', ')}`,
        )
        .join('; '),
  );
  const memoryMiB: MemoryFigures = {
    appSingleSqlite: round(a.memoryMiB),
    appSinglePostgres: round(b.appMemoryMiB),
    appPrimary: round(Math.max(d.memory.sqlite.primary, d.memory.postgres.primary)),
    appWorkerSqlite: round(d.memory.sqlite.worker),
    appWorkerPostgres: round(d.memory.postgres.worker),
    nginxMaster: round(c.masterMiB),
    nginxWorker: round(c.workerMiB),
    postgresFixed: round(b.pg.fixedMiB),
    postgresPerConnection: round(b.pg.perConnectionMiB),
    postgresSharedBuffers: SHARED_BUFFERS_MIB,
  };
  const cpuUs: Record<CostRole, PerKind> = {
    appSqlite: perKind(a.set.post, a.set.get, 'app'),
    appPostgres: perKind(b.set.post, b.set.get, 'app'),
    nginx: perKind(c.set.post, c.set.get, 'nginx'),
    postgres: perKind(b.set.post, b.set.get, 'postgres'),
    client: perKind(b.set.post, b.set.get, 'client'),
  };
  return {
    schema: 'polarity-calibration/1',
    label: opts.label,
    date: new Date().toISOString(),
    machine: lab.machine,
    command: opts.command,
    quick: opts.quick,
    settings: { durationS: opts.durationS, warmupS: opts.warmupS, connections: opts.connections, rounds: opts.rounds, pinned: lab.pinned, network: lab.network },
    cpuUs,
    writeSerialUs: { sqlite: round(a.set.post.serialWriteUs), postgres: cpuUs.postgres.post },
    extraWorkerUs: { share: d.share, ...(Object.fromEntries(Object.entries(d.deltas).map(([k, x]) => [k, round(x)])) as PhaseD['deltas']) },
    mixes: [
      // One point per role: the app with SQLite from A, the app with PostgreSQL, PostgreSQL and
      // the load tester from B (direct), nginx from C. C's figures for the others are in runs.
      mixPoint(a.set.mix, { appSqlite: 'app' }),
      mixPoint(b.set.mix, { appPostgres: 'app', postgres: 'postgres', client: 'client' }),
      mixPoint(c.set.mix, { nginx: 'nginx' }),
    ],
    colocated,
    memoryMiB,
    sustainedRps: {
      'app (SQLite), POST only': a.set.post.record.rps,
      'app (SQLite), GET only': a.set.get.record.rps,
      'app (SQLite), mix': a.set.mix.record.rps,
      'app (PostgreSQL), mix': b.set.mix.record.rps,
      'nginx → app (PostgreSQL), mix': c.set.mix.record.rps,
    },
    runs: lab.runs,
  };
}
