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
// 127.0.0.1; every run is bounded in time and in requests; everything started is stopped, and
// the temporary directory removed, also on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, platform, release, tmpdir, totalmem, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../loadtest/run.js';
import { parseScenario, SEED_TEXT, type Scenario } from '../loadtest/scenario.js';
import type { Calibration, CostRole, MachineDescription, MemoryFigures, PerKind, RunRecord } from './calibration.js';
import { formatMix, type Mix } from './mix.js';
import { commandLine, cpuSecondsBetween, cpuSnapshot, processMemory, processTree } from './proc.js';
import { acquireClusterLock, CLUSTER_LOCK, type ClusterSettings, LocalClusterError, namespacePids as nsPids, releaseClusterLock, runClusterSync, waitForOk } from './local-cluster.js';
import { fetchWriteMetrics, serialWriteUsPerPost } from './write-metrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PATH = `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;
/** shared_buffers of the measured PostgreSQL: Debian's default, which deploy/cloud-init/database.yaml keeps */
const SHARED_BUFFERS_MIB = 128;

export interface CalibrateOptions {
  readonly quick: boolean;
  /** seconds of each measured run */
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** each POST / GET / mix run is repeated this many times, interleaved; the median counts */
  readonly rounds: number;
  readonly mix: Mix;
  readonly label: string;
  readonly command: string;
  /** 'namespaces': on deploy/local-cluster (root), every hop over a veth pair like a network; 'loopback': 127.0.0.1 */
  readonly network?: 'namespaces' | 'loopback';
  readonly log: (line: string) => void;
}

export class CalibrateError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8', env: { ...process.env, PATH } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function pgBinDir(): string | undefined {
  if (process.env['PG_BIN']) return process.env['PG_BIN'];
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
}

/** Why calibration cannot run here, or undefined. */
export function calibrateUnavailable(): string | undefined {
  if (platform() !== 'linux') return 'calibration reads /proc: Linux only';
  if (!which('taskset')) return 'taskset (util-linux) not found';
  if (!which('nginx')) return 'nginx not found (apt-get install nginx)';
  if (!pgBinDir()) return 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, or set PG_BIN)';
  if (!existsSync(join(ROOT, 'dist/src/cli.js'))) return 'Polarity is not built (npm run build)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root needs a "postgres" user to run PostgreSQL as';
  return undefined;
}

/** Why the calibration cannot use deploy/local-cluster's network namespaces, or undefined. */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!which('ip')) return 'ip (iproute2) not found';
  if (!which('setpriv')) return 'setpriv (util-linux) not found';
  if (!existsSync(join(ROOT, 'deploy/local-cluster'))) return 'deploy/local-cluster not found';
  return undefined;
}

const CLUSTER: ClusterSettings = { name: 'polc', net: '10.77.4', state: join(tmpdir(), 'polarity-calibrate-cluster'), apps: 2, workers: 1 };

/** The cluster's failures as calibration errors (the command line reports those without a stack). */
function asCalibrateError(err: unknown): never {
  throw err instanceof LocalClusterError ? new CalibrateError(err.message) : err;
}

function clusterCmd(...args: string[]): void {
  try {
    runClusterSync(CLUSTER, args);
  } catch (err) {
    asCalibrateError(err);
  }
}

export function versionOf(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH } });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

export function describeMachine(): MachineDescription {
  const pg = pgBinDir();
  let polarity = 'unknown';
  try {
    polarity = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep "unknown"
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    os: `${platform()} ${release()}`,
    node: process.version,
    nginx: versionOf('nginx', ['-v'], /nginx\/(\S+)/),
    postgresql: pg ? versionOf(join(pg, 'postgres'), ['--version'], /(\d+(?:\.\d+)*)/) : 'unknown',
    polarity,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const waitReady = (url: string, seconds: number, alive: () => boolean): Promise<void> => waitForOk(url, seconds, alive).catch(asCalibrateError);

/** Integer task weights for a mix (the load tester, like Locust, takes whole weights). */
function mixScenario(mix: Mix): Scenario {
  const scale = Number.isInteger(mix.post) && Number.isInteger(mix.get) ? 1 : 100;
  const post = Math.round(mix.post * scale);
  const get = Math.round(mix.get * scale);
  const tasks = [];
  if (post > 0) tasks.push({ method: 'POST', path: '/analyze', json: { text: SEED_TEXT }, weight: post });
  if (get > 0) tasks.push({ method: 'GET', path: '/history', weight: get });
  return parseScenario({ name: `mix ${post}:${get}`, wait: { min: 0, max: 0 }, tasks }, 'calibration mix');
}

interface Group {
  readonly name: string;
  /** root pids of the process trees */
  readonly roots: () => number[];
}

interface Measured {
  record: RunRecord;
  cpuS: Record<string, number>;
  posts: number;
  gets: number;
  /** µs per POST that commits held SQLite's write lock (from the app's /metrics), when asked for */
  serialWriteUs: number;
}

/** Pins a process (and all its threads) to a CPU list; returns the old mask to restore. */
function pin(pid: number, list: string): string | undefined {
  const old = /mask:\s*([0-9a-f]+)/.exec(spawnSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }).stdout)?.[1];
  const r = spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new CalibrateError(`taskset -p -c ${list} ${pid}: ${r.stderr.trim()}`);
  return old;
}

/** CPU seconds the whole machine spent busy since boot (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait
  const busy = f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0) - (f[8] ?? 0) - (f[9] ?? 0);
  return busy / 100;
}

export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const why = calibrateUnavailable();
  if (why) throw new CalibrateError(why);
  const log = opts.log;
  const machine = describeMachine();
  const pinned = cpus().length >= 2;
  const appCore = '0';
  const otherCore = pinned ? '1' : '0';
  if (!pinned) log('only one core: nothing can be pinned apart; the figures still are CPU time per request');
  const root = process.getuid?.() === 0;
  const pgUser = root ? { uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout) } : undefined;
  const pg = pgBinDir()!;

  const nsWhy = namespacesUnavailable();
  const network = opts.network ?? (nsWhy ? 'loopback' : 'namespaces');
  if (network === 'namespaces' && nsWhy) throw new CalibrateError(`--network namespaces: ${nsWhy}`);
  if (network === 'loopback' && nsWhy) log(`every hop over 127.0.0.1 (network namespaces need deploy/local-cluster: ${nsWhy}); real networks cost more per request`);
  const ns = network === 'namespaces';
  const dir = mkdtempSync(join(tmpdir(), 'polarity-calibrate-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  let pgStarted = false;
  let clusterUp = false;
  let lockTaken = false;
  let nextPort = 3101;
  const nginxConfs: string[] = [];
  const oldMask = pinned ? pin(process.pid, otherCore) : undefined;
  const load0 = loadavg()[0]!;
  // Ctrl-C or a kill: stop what was started before going (the finally below does it otherwise).
  const cleanup = (): void => {
    for (const conf of nginxConfs.splice(0)) spawnSync('nginx', ['-p', `${dirname(conf)}/`, '-e', join(dirname(conf), 'error.log'), '-c', conf, '-s', 'stop'], { env: { ...process.env, PATH } });
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pgStarted) spawnSync(join(pg, 'pg_ctl'), ['-D', join(dir, 'pg/data'), '-m', 'immediate', '-w', 'stop'], { cwd: '/', env: { PATH }, ...(pgUser ?? {}) });
    pgStarted = false;
    if (clusterUp) {
      try {
        clusterCmd('down');
      } catch {
        // best effort
      }
      clusterUp = false;
    }
    if (lockTaken) releaseClusterLock();
    lockTaken = false;
    if (oldMask) spawnSync('taskset', ['-a', '-p', oldMask, String(process.pid)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: stopping what calibration started`);
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** An app process on app host 1 or 2: 127.0.0.1, or a port of its own in the cluster's app namespace (as nobody). */
  const startApp = async (args: string[], name: string, cores = appCore, host: 1 | 2 = 1): Promise<{ proc: ChildProcess; url: string }> => {
    const port = ns ? nextPort++ : await freePort();
    const address = ns ? `${CLUSTER.net}.${20 + host}` : '127.0.0.1';
    const serve = [process.execPath, join(ROOT, 'bin/polarity.js'), 'serve', '--host', ns ? '0.0.0.0' : '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...args];
    const command = ns ? ['-c', cores, 'ip', 'netns', 'exec', `${CLUSTER.name}-app${host}`, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', ...serve] : ['-c', cores, ...serve];
    const proc = spawn('taskset', command, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH, LANG: 'C.UTF-8', HOME: dir } });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    proc.stdout!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    children.push(proc);
    const url = `http://${address}:${port}`;
    try {
      await waitReady(`${url}/readyz`, 60, () => proc.exitCode === null);
    } catch (err) {
      throw new CalibrateError(`${name} did not start: ${(err as Error).message}\n${stderr}`);
    }
    return { proc, url };
  };
  const stopApp = async (proc: ChildProcess): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT'); // Ctrl-C: stop without waiting for idle keep-alive connections
    await Promise.race([exited, sleep(15_000)]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };

  const asPg = (cmd: string, args: string[]) => {
    const r = spawnSync(join(pg, cmd), args, { encoding: 'utf8', cwd: '/', env: { PATH, LANG: 'C.UTF-8' }, ...(pgUser ?? {}) });
    if (r.status !== 0) throw new CalibrateError(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };

  const runs: RunRecord[] = [];
  const measure = async (phase: string, kind: 'post' | 'get' | 'mix', url: string, groups: Group[], writeMetricsOf?: string, connections = opts.connections): Promise<Measured> => {
    const scenario = kind === 'post' ? mixScenario({ post: 1, get: 0 }) : kind === 'get' ? mixScenario({ post: 0, get: 1 }) : mixScenario(opts.mix);
    const spec = (durationS: number) => ({
      host: url,
      scenario,
      users: connections,
      spawnRate: connections,
      durationS,
      timeoutS: 10,
      stopTimeoutS: 5,
      maxRequests: Math.ceil(durationS * 200_000),
      mode: 'max' as const,
      seed: 7,
    });
    await runLoad(spec(opts.warmupS), { progress: null, handleSignals: false });
    const writesBefore = writeMetricsOf ? await fetchWriteMetrics(writeMetricsOf) : undefined; // before the CPU readings: the scrape is not a request of the run
    const busy0 = machineBusySeconds();
    const before = groups.map((g) => cpuSnapshot(g.roots()));
    const { report } = await runLoad(spec(opts.durationS), { progress: null, handleSignals: false });
    const after = groups.map((g) => cpuSnapshot(g.roots()));
    const busy1 = machineBusySeconds();
    const cpuS: Record<string, number> = {};
    groups.forEach((g, i) => (cpuS[g.name] = cpuSecondsBetween(before[i]!, after[i]!)));
    cpuS['client'] = report.loadGenerator.cpuUserS + report.loadGenerator.cpuSystemS;
    const posts = report.entries.filter((e) => e.method === 'POST').reduce((a, e) => a + e.requests, 0);
    const gets = report.entries.filter((e) => e.method === 'GET').reduce((a, e) => a + e.requests, 0);
    // What runs one at a time: commits hold SQLite's write lock, whichever process makes them. The
    // store times each commit; every POST of the run has been answered, so committed, by now.
    const serialWriteUs = writesBefore ? serialWriteUsPerPost(writesBefore, await fetchWriteMetrics(writeMetricsOf!), posts) : 0;
    const wallS = report.durationS;
    const ours = Object.values(cpuS).reduce((a, b) => a + b, 0);
    const otherCores = wallS > 0 ? Math.max(0, (busy1 - busy0 - ours) / wallS) : 0;
    const record: RunRecord = {
      phase,
      kind,
      requests: report.requests,
      failures: report.failures,
      wallS: Math.round(wallS * 1000) / 1000,
      rps: Math.round(report.avgRps),
      cpuS: Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
      ...(pinned && cpuS['app'] !== undefined && wallS > 0 ? { measuredCoreBusy: Math.round((cpuS['app'] / wallS) * 1000) / 1000 } : {}),
      otherCores: Math.round(otherCores * 100) / 100,
      ...(writesBefore && posts > 0 ? { writeLockUsPerPost: Math.round(serialWriteUs * 100) / 100 } : {}),
    };
    runs.push(record);
    const perReq = (k: string) => (report.requests > 0 ? ((cpuS[k] ?? 0) / report.requests) * 1e6 : 0);
    log(
      `  ${phase.padEnd(10)} ${kind.padEnd(4)} ${String(record.rps).padStart(6)} req/s  ${report.failures} failed  µs/request: ` +
        groups.map((g) => `${g.name} ${perReq(g.name).toFixed(1)}`).join(', ') +
        `, client ${perReq('client').toFixed(1)}${record.writeLockUsPerPost !== undefined ? `, write lock ${record.writeLockUsPerPost.toFixed(1)} per POST` : ''}${record.measuredCoreBusy !== undefined ? `  (app core ${(record.measuredCoreBusy * 100).toFixed(0)}% busy` : '  ('}${record.measuredCoreBusy !== undefined ? ', ' : ''}other work ${otherCores.toFixed(2)} cores)`,
    );
    if (report.failures > 0) throw new CalibrateError(`${phase} ${kind}: ${report.failures} of ${report.requests} requests failed (${report.failureList.map((f) => f.error).join('; ')})`);
    if (report.requests < 100) throw new CalibrateError(`${phase} ${kind}: only ${report.requests} requests in ${opts.durationS} s`);
    return { record, cpuS, posts, gets, serialWriteUs };
  };
  /**
   * POST-only, GET-only and mixed runs, `rounds` times in turn; per kind, the run that went fastest.
   * On a shared machine a neighbour's load starves our processes now and then, and a starved
   * process serves fewer requests per event-loop turn, so each costs more CPU: the fastest run is
   * the one closest to the saturated process whose capacity the model predicts.
   */
  /** The run that went fastest: the one least disturbed by other work. */
  const fastest = (ms: Measured[]) => [...ms].sort((a, b) => b.record.rps - a.record.rps)[0]!;
  const measureSet = async (phase: string, url: string, groups: Group[], key: string, writeMetricsOf?: string): Promise<Record<'post' | 'get' | 'mix', Measured>> => {
    const got: Record<'post' | 'get' | 'mix', Measured[]> = { post: [], get: [], mix: [] };
    for (let r = 0; r < opts.rounds; r++) {
      for (const kind of ['post', 'get', 'mix'] as const) got[kind].push(await measure(phase, kind, url, groups, writeMetricsOf));
    }
    void key;
    return { post: fastest(got.post), get: fastest(got.get), mix: fastest(got.mix) };
  };
  const us = (m: Measured, group: string) => (m.cpuS[group]! / m.record.requests) * 1e6;
  const perKind = (post: Measured, get: Measured, group: string): PerKind => ({ post: round(us(post, group)), get: round(us(get, group)) });
  const mixPoint = (m: Measured, groups: Partial<Record<CostRole, string>>) => ({
    post: m.posts,
    get: m.gets,
    cpuUs: Object.fromEntries(Object.entries(groups).map(([role, g]) => [role, round(us(m, g!))])),
  });
  const pss = (pid: number) => processMemory(pid)?.pssMiB ?? 0;

  try {
    if (ns) lockTaken = await acquireClusterLock({ timeoutMs: 15 * 60_000, onWait: (owner) => log(`waiting for another cluster user (pid ${owner}, ${CLUSTER_LOCK}) to finish …`) }).catch(asCalibrateError);
    log(`network: ${ns ? `deploy/local-cluster's namespaces (${CLUSTER.name}, ${CLUSTER.net}.0/24): every hop crosses a veth pair and a bridge` : '127.0.0.1'}`);
    if (ns) {
      // deploy/local-cluster: a load balancer, two app hosts and PostgreSQL in network namespaces.
      // Its own app hosts and nginx stay idle; ours run beside them on other ports.
      clusterCmd('down');
      clusterUp = true;
      clusterCmd('up');
      // Only the namespaces and the database are used. The cluster's own app hosts would not stay
      // idle: every commit is notified (LISTEN/NOTIFY) to every app process on the database, which
      // wakes it and costs PostgreSQL a notification — CPU that no real one-host topology spends.
      for (const h of ['app1', 'app2']) clusterCmd('stop', h);
    }
    log(`calibrating on ${machine.cores} × ${machine.cpuModel}; ${pinned ? `app on core ${appCore}, load tester + PostgreSQL + nginx on core ${otherCore}` : 'no pinning'}`);
    log(`runs: ${opts.warmupS} s warm-up + ${opts.durationS} s measured, ${opts.rounds} round${opts.rounds > 1 ? 's (the fastest of each kind counts)' : ''}, ${opts.connections} connections, mix ${formatMix(opts.mix)}`);

    // A: the embedded store.
    log('A  app with SQLite');
    mkdirSync(join(dir, 'sqlite'));
    chmodSync(join(dir, 'sqlite'), 0o777);
    let app = await startApp(['--workers', '1', '--db', join(dir, 'sqlite/history.db')], 'app (SQLite)');
    const appGroup: Group = { name: 'app', roots: () => [app.proc.pid!] };
    const { post: aPost, get: aGet, mix: aMix } = await measureSet('A sqlite', app.url, [appGroup], 'app', app.url);
    const appSingleSqlite = pss(app.proc.pid!);
    await stopApp(app.proc);

    // B: PostgreSQL, our own instance on a free port, pinned beside the load tester.
    log('B  app with PostgreSQL');
    let postmaster: number;
    let dbUrl: string;
    /** PostgreSQL's Unix socket, for the superuser */
    let pgSocket: { dir: string; port: number };
    if (ns) {
      postmaster = Number(readFileSync(join(CLUSTER.state, 'db/data/postmaster.pid'), 'utf8').split('\n')[0]);
      for (const n of ['db', 'lb']) for (const pid of nsPids(`${CLUSTER.name}-${n}`)) spawnSync('taskset', ['-a', '-p', '-c', otherCore, String(pid)], { stdio: 'ignore' });
      dbUrl = `postgres://polarity@${CLUSTER.net}.30:5432/polarity`;
      pgSocket = { dir: join(CLUSTER.state, 'db/run'), port: 5432 };
    } else {
      const pgDir = join(dir, 'pg');
      mkdirSync(join(pgDir, 'run'), { recursive: true });
      if (pgUser) {
        chownSync(pgDir, pgUser.uid, pgUser.gid);
        chownSync(join(pgDir, 'run'), pgUser.uid, pgUser.gid);
      }
      asPg('initdb', ['-D', join(pgDir, 'data'), '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync', '--auth-local=trust', '--auth-host=reject']);
      const pgPort = await freePort();
      const conf = `\n# polarity plan calibrate\nlisten_addresses = '127.0.0.1'\nport = ${pgPort}\nunix_socket_directories = '${join(pgDir, 'run')}'\nmax_connections = 100\nshared_buffers = ${SHARED_BUFFERS_MIB}MB\n`;
      writeFileSync(join(pgDir, 'data/postgresql.conf'), readFileSync(join(pgDir, 'data/postgresql.conf'), 'utf8') + conf);
      writeFileSync(join(pgDir, 'data/pg_hba.conf'), 'local all postgres trust\nhost all polarity 127.0.0.1/32 trust\n');
      if (pgUser) for (const f of ['postgresql.conf', 'pg_hba.conf']) chownSync(join(pgDir, 'data', f), pgUser.uid, pgUser.gid);
      const r = spawnSync('taskset', ['-c', otherCore, join(pg, 'pg_ctl'), '-D', join(pgDir, 'data'), '-l', join(pgDir, 'postgres.log'), '-w', '-t', '30', 'start'], { encoding: 'utf8', cwd: '/', env: { PATH, LANG: 'C.UTF-8' }, ...(pgUser ?? {}) });
      if (r.status !== 0) throw new CalibrateError(`pg_ctl start: ${r.stderr || r.stdout}`);
      pgStarted = true;
      asPg('psql', ['-X', '-q', '-h', join(pgDir, 'run'), '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE ROLE polarity LOGIN', '-c', 'CREATE DATABASE polarity OWNER polarity']);
      postmaster = Number(readFileSync(join(pgDir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
      dbUrl = `postgres://polarity@127.0.0.1:${pgPort}/polarity`;
      pgSocket = { dir: join(pgDir, 'run'), port: pgPort };
    }
    const pgGroup: Group = { name: 'postgres', roots: () => [postmaster] };
    /** More databases owned by polarity (phase D gives each variant its own: NOTIFY stays within a database). */
    const createDatabases = (names: string[]): void => {
      if (ns) {
        // The cluster admits polarity to its own database only; these go with it on `down`.
        appendFileSync(join(CLUSTER.state, 'db/data/pg_hba.conf'), `host all polarity ${CLUSTER.net}.0/24 trust\n`);
        asPg('pg_ctl', ['-D', join(CLUSTER.state, 'db/data'), 'reload']);
      }
      asPg('psql', ['-X', '-q', '-h', pgSocket.dir, '-p', String(pgSocket.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', ...names.flatMap((n) => ['-c', `CREATE DATABASE ${n} OWNER polarity`])]);
    };
    app = await startApp(['--workers', '1', '--database-url', dbUrl], 'app (PostgreSQL)');
    const { post: bPost, get: bGet, mix: bMix } = await measureSet('B postgres', app.url, [appGroup, pgGroup], 'app');
    const appSinglePostgres = pss(app.proc.pid!);
    // PostgreSQL's memory under load: its own processes, and one backend per connection.
    let pgFixed = 0;
    const backends: number[] = [];
    for (const pid of processTree(postmaster)) {
      const m = processMemory(pid);
      if (!m) continue;
      const own = m.pssMiB - m.shmemMiB; // shared_buffers is counted whole, separately
      if (/postgres: polarity /.test(commandLine(pid))) backends.push(own);
      else pgFixed += own;
    }

    // C: nginx with one worker (one core) in front of the same app.
    log('C  nginx → app with PostgreSQL');
    const startNginx = async (name: string, upstreams: string[], cores: string, workerProcesses = 1): Promise<{ url: string; master: number }> => {
      const ngDir = join(dir, name);
      mkdirSync(join(ngDir, 'tmp'), { recursive: true });
      chmodSync(join(ngDir, 'tmp'), 0o777);
      const ngPort = ns ? nextPort++ : await freePort();
      const address = ns ? `${CLUSTER.net}.10` : '127.0.0.1';
      // The production template with its per-client limits raised out of the way (one load tester
      // is one client address here), as deploy/local-cluster does.
      const noLimits = ['--rate', '100000r/s', '--burst', '100000', '--conns', '60000', '--stream-rate', '1000r/s', '--stream-burst', '1000', '--streams', '10000'];
      const rendered = spawnSync(join(ROOT, 'deploy/nginx/render-config'), [...upstreams.flatMap((u) => ['--upstream', u.replace('http://', '')]), '--listen', `${address}:${ngPort}`, '--access-log', join(ngDir, 'access.log'), ...noLimits], { encoding: 'utf8' });
      if (rendered.status !== 0) throw new CalibrateError(`deploy/nginx/render-config: ${rendered.stderr}`);
      writeFileSync(join(ngDir, 'polarity.conf'), rendered.stdout);
      const workerUser = root ? (spawnSync('id', ['-u', 'www-data']).status === 0 ? 'www-data' : 'nobody') : undefined;
      const conf = join(ngDir, 'nginx.conf');
      writeFileSync(
        conf,
        `${workerUser ? `user ${workerUser};\n` : ''}worker_processes ${workerProcesses};\npid ${ngDir}/nginx.pid;\nerror_log ${ngDir}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n` +
          ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${ngDir}/tmp/${t};\n`).join('') +
          `  default_type application/octet-stream;\n  keepalive_timeout 75s;\n  include ${ngDir}/polarity.conf;\n}\n`,
      );
      const start = ['nginx', '-p', `${ngDir}/`, '-e', join(ngDir, 'error.log'), '-c', conf];
      const ng = spawnSync('taskset', ['-c', cores, ...(ns ? ['ip', 'netns', 'exec', `${CLUSTER.name}-lb`] : []), ...start], { encoding: 'utf8', env: { ...process.env, PATH } });
      if (ng.status !== 0) throw new CalibrateError(`nginx did not start: ${ng.stderr}`);
      nginxConfs.push(conf);
      const url = `http://${address}:${ngPort}`;
      await waitReady(`${url}/readyz`, 15, () => true);
      return { url, master: Number(readFileSync(join(ngDir, 'nginx.pid'), 'utf8').trim()) };
    };
    const stopNginx = (): void => {
      for (const conf of nginxConfs.splice(0)) spawnSync('nginx', ['-p', `${dirname(conf)}/`, '-e', join(dirname(conf), 'error.log'), '-c', conf, '-s', 'quit'], { env: { ...process.env, PATH } });
    };
    const { url: ngUrl, master: nginxMaster } = await startNginx('nginx', [app.url], otherCore);
    const ngGroup: Group = { name: 'nginx', roots: () => [nginxMaster] };
    const { post: cPost, get: cGet, mix: cMix } = await measureSet('C nginx', ngUrl, [ngGroup, appGroup, pgGroup], 'nginx');
    const ngPids = processTree(nginxMaster);
    const nginxWorker = Math.max(0, ...ngPids.filter((p) => p !== nginxMaster).map(pss));
    const nginxMasterMiB = pss(nginxMaster);
    stopNginx();
    await stopApp(app.proc);

    // D: what a second process costs per request, compared under the same conditions: every
    // process (the load tester too) may use every core, as a second worker or host would have a
    // core of its own; the one- and two-process variants run side by side, their runs interleaved
    // round by round, and the fastest run of each variant counts. Both get the same
    // load (the same connections), as a topology with more processes gets the same clients: each
    // process then sees fewer requests per event-loop turn, part of what a second one costs.
    log('D  what a second worker (--workers 2, node:cluster) and a second app host add per request; memory');
    const allCores = pinned ? `0-${cpus().length - 1}` : '0';
    if (pinned) {
      pin(process.pid, allCores);
      if (ns) for (const n of ['db', 'lb']) for (const pid of nsPids(`${CLUSTER.name}-${n}`)) spawnSync('taskset', ['-a', '-p', '-c', allCores, String(pid)], { stdio: 'ignore' });
      else for (const pid of processTree(postmaster)) spawnSync('taskset', ['-a', '-p', '-c', allCores, String(pid)], { stdio: 'ignore' });
    }
    const s1 = await startApp(['--workers', '1', '--db', join(dir, 'sqlite/one.db')], 'app (SQLite, 1 worker)', allCores);
    const s2 = await startApp(['--workers', '2', '--db', join(dir, 'sqlite/two.db')], 'app (SQLite, 2 workers)', allCores);
    // Each PostgreSQL variant has a database of its own, as each real topology has: the idle
    // variants then hear nothing of the measured one's commits (NOTIFY reaches only listeners on
    // the same database; a listener is woken by every commit).
    createDatabases(['polarity_d1', 'polarity_d2', 'polarity_dh']);
    const dbOf = (name: string) => dbUrl.replace(/\/polarity$/, `/${name}`);
    const p1 = await startApp(['--workers', '1', '--database-url', dbOf('polarity_d1')], 'app (PostgreSQL, 1 worker)', allCores);
    const p2 = await startApp(['--workers', '2', '--database-url', dbOf('polarity_d2')], 'app (PostgreSQL, 2 workers)', allCores);
    const h2 = await startApp(['--workers', '1', '--database-url', dbOf('polarity_dh')], 'app host 1 (of 2)', allCores, 1);
    const h3 = await startApp(['--workers', '1', '--database-url', dbOf('polarity_dh')], 'app host 2 (of 2)', allCores, 2);
    // Two nginx workers each, as a 2-vCPU load balancer has (worker_processes auto): each keeps up
    // to 64 idle upstream connections (deploy/nginx's `keepalive 64`).
    const ngOne = await startNginx('nginx-one', [p1.url], allCores, 2);
    const ngTwo = await startNginx('nginx-two', [h2.url, h3.url], allCores, 2);
    const appOf = (...ps: { proc: ChildProcess }[]): Group => ({ name: 'app', roots: () => ps.map((x) => x.proc.pid!) });
    // Each variant runs once per round, interleaved; per variant the fastest run counts, as in A–C:
    // the one least disturbed by other work (a starved process serves fewer requests per wake-up
    // and costs more per request, which a difference of two runs would take for the variant's).
    const variants = { s1: [] as Measured[], s2: [] as Measured[], p1: [] as Measured[], p2: [] as Measured[], host1: [] as Measured[], host2: [] as Measured[] };
    const nginxOf = (master: number): Group => ({ name: 'nginx', roots: () => [master] });
    for (let r = 0; r < opts.rounds; r++) {
      variants.s1.push(await measure('D sqlite ×1', 'mix', s1.url, [appOf(s1)]));
      variants.s2.push(await measure('D sqlite ×2', 'mix', s2.url, [appOf(s2)]));
      variants.p1.push(await measure('D postgres ×1', 'mix', p1.url, [appOf(p1), pgGroup]));
      variants.p2.push(await measure('D postgres ×2', 'mix', p2.url, [appOf(p2), pgGroup]));
      variants.host1.push(await measure('D 1 host', 'mix', ngOne.url, [nginxOf(ngOne.master), appOf(p1), pgGroup]));
      variants.host2.push(await measure('D 2 hosts', 'mix', ngTwo.url, [nginxOf(ngTwo.master), appOf(h2, h3), pgGroup]));
    }
    const v = Object.fromEntries(Object.entries(variants).map(([k, ms]) => [k, fastest(ms)])) as Record<keyof typeof variants, Measured>;
    const share = v.s2.posts / Math.max(1, v.s2.posts + v.s2.gets);
    const deltas = {
      appSqlite: us(v.s2, 'app') - us(v.s1, 'app'),
      appPostgres: us(v.p2, 'app') - us(v.p1, 'app'),
      postgres: us(v.p2, 'postgres') - us(v.p1, 'postgres'),
      appPostgresHost: us(v.host2, 'app') - us(v.host1, 'app'),
      postgresHost: us(v.host2, 'postgres') - us(v.host1, 'postgres'),
      nginxHost: us(v.host2, 'nginx') - us(v.host1, 'nginx'),
    };
    const clusterMemory = (x: { proc: ChildProcess }) => {
      const pids = processTree(x.proc.pid!);
      return { primary: pss(x.proc.pid!), worker: Math.max(0, ...pids.filter((p) => p !== x.proc.pid).map(pss)) };
    };
    const dSqlite = clusterMemory(s2);
    const dPg = clusterMemory(p2);
    stopNginx();
    for (const x of [s1, s2, p1, p2, h2, h3]) await stopApp(x.proc);
    log(`  a second process adds, µs per request (fastest runs of ${opts.rounds}): ` + Object.entries(deltas).map(([k, d]) => `${k} ${d.toFixed(1)}`).join(', '));
    // The one-process variants are also what each role costs when every role shares the cores.
    const colocated = {
      sqlite: mixPoint(v.s1, { appSqlite: 'app', client: 'client' }),
      postgres: mixPoint(v.host1, { appPostgres: 'app', nginx: 'nginx', postgres: 'postgres', client: 'client' }),
    };
    log('  every role on shared cores, µs per request: ' + Object.entries(colocated).map(([k, m]) => `${k}: ${Object.entries(m.cpuUs).map(([r, x]) => `${r} ${x.toFixed(1)}`).join(', ')}`).join('; '));

    const memoryMiB: MemoryFigures = {
      appSingleSqlite: round(appSingleSqlite),
      appSinglePostgres: round(appSinglePostgres),
      appPrimary: round(Math.max(dSqlite.primary, dPg.primary)),
      appWorkerSqlite: round(dSqlite.worker),
      appWorkerPostgres: round(dPg.worker),
      nginxMaster: round(nginxMasterMiB),
      nginxWorker: round(nginxWorker),
      postgresFixed: round(pgFixed),
      postgresPerConnection: round(backends.length ? backends.reduce((a, b) => a + b, 0) / backends.length : 0),
      postgresSharedBuffers: SHARED_BUFFERS_MIB,
    };
    const cpuUs: Record<CostRole, PerKind> = {
      appSqlite: perKind(aPost, aGet, 'app'),
      appPostgres: perKind(bPost, bGet, 'app'),
      nginx: perKind(cPost, cGet, 'nginx'),
      postgres: perKind(bPost, bGet, 'postgres'),
      client: perKind(bPost, bGet, 'client'),
    };
    const cal: Calibration = {
      schema: 'polarity-calibration/1',
      label: opts.label,
      date: new Date().toISOString(),
      machine,
      command: opts.command,
      quick: opts.quick,
      settings: { durationS: opts.durationS, warmupS: opts.warmupS, connections: opts.connections, rounds: opts.rounds, pinned, network },
      cpuUs,
      writeSerialUs: { sqlite: round(aPost.serialWriteUs), postgres: cpuUs.postgres.post },
      extraWorkerUs: {
        share,
        appSqlite: round(deltas.appSqlite),
        appPostgres: round(deltas.appPostgres),
        postgres: round(deltas.postgres),
        appPostgresHost: round(deltas.appPostgresHost),
        postgresHost: round(deltas.postgresHost),
        nginxHost: round(deltas.nginxHost),
      },
      mixes: [
        // One point per role: the app with SQLite from A, the app with PostgreSQL, PostgreSQL and
        // the load tester from B (direct), nginx from C. C's figures for the others are in runs.
        mixPoint(aMix, { appSqlite: 'app' }),
        mixPoint(bMix, { appPostgres: 'app', postgres: 'postgres', client: 'client' }),
        mixPoint(cMix, { nginx: 'nginx' }),
      ],
      colocated,
      memoryMiB,
      sustainedRps: {
        'app (SQLite), POST only': aPost.record.rps,
        'app (SQLite), GET only': aGet.record.rps,
        'app (SQLite), mix': aMix.record.rps,
        'app (PostgreSQL), mix': bMix.record.rps,
        'nginx → app (PostgreSQL), mix': cMix.record.rps,
      },
      runs,
    };
    log(`load average (1 min) before and after: ${load0.toFixed(2)}, ${loadavg()[0]!.toFixed(2)}`);
    return cal;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The calibration's label when none is given: the machine, plainly. */
export function defaultLabel(m: MachineDescription): string {
  return `measured on ${m.cores} × ${m.cpuModel}, ${Math.round(m.memoryMiB / 1024)} GiB, ${m.os}, by ${userInfo().username}`;
}
