// Is the planner right? Its prediction for the topologies the local cluster can build, against the
// load tester's measurement on that cluster, in the same run.
//
//   npm run build && sudo node dist/bench/plan-validate.js [--calibration FILE] [--duration 8] [--rounds 3]
//
// Runs ROUNDS rounds; each round
// 1. calibrates this machine (`polarity plan calibrate`, one round of each phase), unless
//    --calibration names a file;
// 2. builds deploy/local-cluster under its own name (polv, 10.77.3.0/24): first with one app host,
//    then with two (load balancer + app hosts with --workers 1 + PostgreSQL, each in a network
//    namespace); on the one-host cluster it also starts a SQLite app host in app1's namespace
//    (the one-VM topology, as bench/cluster.ts does);
// 3. runs the load tester once per topology and core layout, in --max mode (64 keep-alive
//    connections, the seed mix):
//      "1 core":  every cluster process pinned to core 0, the load tester to core 1
//                 → the cluster is one machine with 1 vCPU running every role;
//      "2 cores": everything, the load tester too, on both cores
//                 → one machine with 2 vCPUs running every role and the load generator.
// Then compares, per topology and layout, the median run's requests/s with the model's prediction
// from the median of the rounds' calibrations: both sides come from the same minutes of the machine.
// All "hosts" share the same cores here, so the model is scaled to the cores the cluster actually
// has; the CPU the cluster's processes really received (a shared machine lends some of it to
// others) is recorded, and the prediction at that CPU shown beside.
// Needs root, iproute2, nginx, PostgreSQL's server binaries and taskset. Traffic goes only to the
// cluster's namespaces and 127.0.0.1. Results: bench/results/plan-validate.md and .json.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calibrate, calibrateUnavailable } from '../src/lab/calibrate.js';
import { type CleanupStack, withCleanup } from '../src/lab/cleanup.js';
import { Interrupted } from '../src/lab/errors.js';
import { clusterUp, holdClusterLock, namespacePids as nsPids, type ClusterSettings } from '../src/lab/local-cluster.js';
import { defaultLabel, describeMachine } from '../src/lab/machine.js';
import { measureRun, postGetScenario, warmUp, type Group } from '../src/lab/measure.js';
import { pin, pinSelf } from '../src/lab/pin.js';
import { serve, type Served } from '../src/lab/serve.js';
import { DEFAULT_CALIBRATION_FILE, loadCalibration, medianCalibration, type Calibration } from '../src/plan/calibration.js';
import { SEED_MIX } from '../src/plan/mix.js';
import { evaluateLocalCluster, type Role } from '../src/plan/model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'polv';
const NET = '10.77.3';
const STATE = join(tmpdir(), 'polarity-plan-validate');

const { values } = parseArgs({
  options: {
    calibration: { type: 'string' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);

const clusterOf = (apps: number): ClusterSettings => ({ name: NAME, net: NET, state: STATE, apps, workers: 1 });

const scenario = postGetScenario(1, 2, 'seed mix');

interface Measurement {
  rps: number;
  rounds: number[];
  failures: number;
  /** CPU seconds per wall second the cluster's processes received (median run) */
  cores: number;
  clientCores: number;
  /** CPU µs per request of each role's processes (median run), the load generator's as 'client' */
  usPerRequest: Record<string, number>;
}

interface Run {
  rps: number;
  cores: number;
  client: number;
  failures: number;
  us: Record<string, number>;
}

/** One measured run after a 2-s warm-up (the previous run was another topology or layout). */
async function runOnce(url: string, roles: Group[], signal: AbortSignal): Promise<Run> {
  const spec = { url, scenario, connections: CONNECTIONS, durationS: DURATION, seed: 11 };
  await warmUp(spec, 2, signal);
  const { report, cpuS } = await measureRun(spec, roles, signal);
  const seconds = Object.fromEntries(roles.map((g) => [g.name, cpuS[g.name]!]));
  const cores = Object.values(seconds).reduce((a, b) => a + b, 0) / report.durationS;
  const client = report.loadGenerator.cpuPercent / 100;
  const us = Object.fromEntries(Object.entries({ ...seconds, client: client * report.durationS }).map(([k, v]) => [k, Math.round((v / Math.max(1, report.requests)) * 1e6 * 10) / 10]));
  return { rps: report.avgRps, cores, client, failures: report.failures, us };
}

/** The median run of a topology's rounds. */
function summarize(runs: Run[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return { rps: mid.rps, rounds: runs.map((r) => Math.round(r.rps)), failures: runs.reduce((a, r) => a + r.failures, 0), cores: mid.cores, clientCores: mid.client, usPerRequest: mid.us };
}

interface Row {
  topology: string;
  layout: string;
  cores: number;
  predicted: number;
  /** with the shipped default calibration (src/plan/calibration-default.json), when there is one */
  predictedShipped?: number;
  /** from each round's own calibration, in order (the rounds' measurements are in measured.rounds) */
  predictedEachRound?: number[];
  measured: Measurement;
  /** the model's CPU µs per request of each role */
  modelUs: Record<string, number>;
  predictedAtReceived: number;
  bottleneck: string;
}

/** The local cluster as the model sees it: one machine of `cores` vCPUs running every role. */
function predict(cal: Calibration, store: 'sqlite' | 'postgres', appHosts: number, roles: Role[], cores: number): { rps: number; bottleneck: string; us: Record<string, number> } {
  const e = evaluateLocalCluster(cal, store, appHosts, roles, cores, SEED_MIX);
  if (!e.feasible) throw new Error(`model: ${e.reason}`);
  // The model's CPU per request of each role that runs here, in µs (the machine's: co-located when it runs several).
  const here = e.hosts[0]!.costs;
  const us = Object.fromEntries((['app', 'lb', 'db', 'client'] as const).filter((r) => here[r] !== undefined).map((r) => [r, Math.round(here[r]! * 1e7) / 10]));
  return { rps: e.rps, bottleneck: e.bottleneck!.label, us };
}

/** The model's capacity for a fractional number of cores (the CPU the cluster really received). */
function predictFraction(cal: Calibration, store: 'sqlite' | 'postgres', appHosts: number, roles: Role[], cores: number): number {
  // vCPUs are whole in price tables; here the model is linear in the cores below the per-worker cap.
  return evaluateLocalCluster(cal, store, appHosts, roles, cores, SEED_MIX).rps;
}

const all = `0-${cpus().length - 1}`;
const LAYOUTS = [
  { name: '1 core (load tester on the other)', cluster: '0', client: '1', cores: 1, clientOnCores: false },
  { name: `${cpus().length} cores, shared with the load tester`, cluster: all, client: all, cores: cpus().length, clientOnCores: true },
];
const TOPOLOGIES = [
  { apps: 1, topology: 'one VM: app with SQLite', url: '', store: 'sqlite' as const, roles: ['app'] as Role[] },
  { apps: 1, topology: 'load balancer + 1 app host + PostgreSQL', url: `http://${NET}.10`, store: 'postgres' as const, roles: ['app', 'lb', 'db'] as Role[] },
  { apps: 2, topology: 'load balancer + 2 app hosts + PostgreSQL', url: `http://${NET}.10`, store: 'postgres' as const, roles: ['app', 'lb', 'db'] as Role[] },
];
type Cell = { t: (typeof TOPOLOGIES)[number]; layout: (typeof LAYOUTS)[number]; runs: Run[] };

/** The SQLite app host (the one-VM topology): app host 1 again, in its namespace, with a SQLite file. */
async function startSqliteHost(stack: CleanupStack, dir: string): Promise<Served> {
  rmSync(join(dir, 'sqlite'), { recursive: true, force: true });
  mkdirSync(join(dir, 'sqlite'), { recursive: true });
  chmodSync(join(dir, 'sqlite'), 0o777);
  return serve(stack, { name: 'SQLite app host', netns: `${NAME}-app1`, host: `${NET}.21`, args: ['--workers', '1', '--db', join(dir, 'sqlite/history.db')], home: dir });
}

/** Each topology's processes, as the roles the model counts. */
function rolesOf(t: Cell['t'], apps: number, sqlite: Served | undefined): Group[] {
  if (t.store === 'sqlite') return [{ name: 'app', roots: () => [sqlite!.pid] }];
  // The SQLite host idles in app1's namespace beside the PostgreSQL one: only the target's
  // processes count (ip netns exec and setpriv exec, so the spawned pid is node's).
  const inNs = (h: string) => () => nsPids(`${NAME}-${h}`).filter((p) => p !== sqlite?.pid);
  return [
    { name: 'lb', roots: inNs('lb') },
    { name: 'db', roots: inNs('db') },
    { name: 'app', roots: () => Array.from({ length: apps }, (_, i) => inNs(`app${i + 1}`)()).flat() },
  ];
}

/** One round on the cluster with `apps` app hosts: one run of each of its topologies and layouts. */
async function measureCluster(stack: CleanupStack, apps: number, round: number, cells: Cell[], dir: string): Promise<void> {
  console.log(`round ${round + 1} of ${ROUNDS}: local cluster with ${apps} app host${apps > 1 ? 's' : ''} …`);
  const down = clusterUp(stack, clusterOf(apps), { stderr: 'inherit' });
  const hosts = ['lb', 'db', ...Array.from({ length: apps }, (_, i) => `app${i + 1}`)].map((h) => `${NAME}-${h}`);
  const sqlite = apps === 1 ? await startSqliteHost(stack, dir) : undefined;
  for (const { t, layout, runs } of cells.filter((c) => c.t.apps === apps)) {
    pin(hosts.flatMap(nsPids), layout.cluster);
    pinSelf(stack, layout.client);
    const r = await runOnce(t.store === 'sqlite' ? sqlite!.url : t.url, rolesOf(t, apps, sqlite), stack.signal);
    runs.push(r);
    console.log(`  ${t.topology.padEnd(42)} ${layout.name.padEnd(36)} ${Math.round(r.rps)} req/s`);
  }
  await sqlite?.stop();
  await down();
}

/**
 * Round by round: a one-round calibration, then one run of every topology and layout. The
 * prediction (from the median of the calibrations) and the measurement (the median run) then
 * come from the same minutes of a machine whose speed changes from one quarter of an hour to
 * the next, and a slow minute falls on one run of several rows, not on every run of one row.
 * In each round the SQLite rows run first, on a fresh cluster: measured behind PostgreSQL load
 * they were 20–50 % lower in two runs, most likely from PostgreSQL's deferred work after a run
 * (autovacuum, checkpoints) on the same cores — which a one-VM SQLite topology never has beside it.
 */
async function measureRounds(stack: CleanupStack, given: Calibration | undefined): Promise<{ cells: Cell[]; calibrations: Calibration[] }> {
  const cells: Cell[] = TOPOLOGIES.flatMap((t) => LAYOUTS.map((layout) => ({ t, layout, runs: [] as Run[] })));
  const calibrations: Calibration[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'polarity-plan-validate-'));
  stack.defer('the temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  for (let round = 0; round < ROUNDS; round++) {
    if (!given) {
      console.log(`round ${round + 1} of ${ROUNDS}: calibrating (polarity plan calibrate, one round) …`);
      calibrations.push(
        await calibrate({
          quick: false,
          durationS: 5,
          warmupS: 1,
          rounds: 1,
          connections: CONNECTIONS,
          mix: SEED_MIX,
          label: defaultLabel(describeMachine()),
          command: 'bench/plan-validate.ts',
          log: (l) => console.log(l),
        }),
      );
    }
    for (const apps of [1, 2]) await measureCluster(stack, apps, round, cells, dir);
  }
  return { cells, calibrations };
}

/** Per topology and layout: the median run against the model's prediction. */
function buildRows(cells: Cell[], cal: Calibration, shipped: Calibration | undefined, calibrations: Calibration[]): Row[] {
  return cells.map(({ t, layout, runs }) => {
    const m = summarize(runs);
    const roles: Role[] = layout.clientOnCores ? [...t.roles, 'client'] : t.roles;
    const p = predict(cal, t.store, t.apps, roles, layout.cores);
    const received = layout.clientOnCores ? m.cores + m.clientCores : m.cores;
    console.log(
      `${t.topology.padEnd(42)} ${layout.name.padEnd(36)} predicted ${Math.round(p.rps)}  measured ${Math.round(m.rps)} (${m.rounds.join(', ')})  error ${(((m.rps - p.rps) / p.rps) * 100).toFixed(1)}%  cluster CPU ${received.toFixed(2)} cores`,
    );
    return {
      topology: t.topology,
      layout: layout.name,
      cores: layout.cores,
      predicted: p.rps,
      ...(shipped ? { predictedShipped: predict(shipped, t.store, t.apps, roles, layout.cores).rps } : {}),
      ...(calibrations.length > 1 ? { predictedEachRound: calibrations.map((c) => Math.round(predict(c, t.store, t.apps, roles, layout.cores).rps)) } : {}),
      measured: m,
      modelUs: p.us,
      predictedAtReceived: predictFraction(cal, t.store, t.apps, roles, received),
      bottleneck: p.bottleneck,
    };
  });
}

/** bench/results/plan-validate.md and .json. */
function writeResults(rows: Row[], cal: Calibration, calibrationNote: string, shipped: Calibration | undefined, load0: number): void {
  const load1 = loadavg()[0]!;
  const m = cal.machine;
  const pct = (r: Row) => ((r.measured.rps - r.predicted) / r.predicted) * 100;
  const pctReceived = (r: Row) => ((r.measured.rps - r.predictedAtReceived) / r.predictedAtReceived) * 100;
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
  const shippedDate = shipped?.date.slice(0, 10) ?? '';
  const worst = Math.max(...rows.map((r) => Math.abs(pct(r))));
  const mean = rows.reduce((a, r) => a + Math.abs(pct(r)), 0) / rows.length;
  const md = [
    '# Planner validation: predicted against measured on the local cluster',
    '',
    `Run ${new Date().toISOString()} on ${m.cpus} × ${m.cpuModel}, Node ${m.node}, nginx ${m.nginx}, PostgreSQL ${m.postgresql}.`,
    `Command (as root): \`npm run build && node dist/bench/plan-validate.js${values.calibration ? ` --calibration ${values.calibration}` : ''} --duration ${DURATION} --rounds ${ROUNDS}\``,
    `Load average (1 min) before and after: ${load0.toFixed(2)}, ${load1.toFixed(2)} (a shared machine: other people's work runs on the same cores).`,
    '',
    `Predictions come from \`src/plan/model.ts\` with ${calibrationNote}; measurements from the built-in load tester`,
    `(\`--max\` mode, ${CONNECTIONS} keep-alive connections, the seed mix 1 POST /analyze : 2 GET /history, ${DURATION} s, median of ${ROUNDS} runs, each after a 2 s warm-up;`,
    `${values.calibration ? 'each round runs' : 'each round is a one-round calibration, then'} one run of every topology and layout, so that the prediction and the measurement come from the same minutes`,
    'of the machine and a slow minute falls on one run of several rows; in each round the SQLite rows run first, on a fresh cluster,',
    'before any PostgreSQL load, whose deferred work would otherwise share their cores)',
    'against deploy/local-cluster (nginx, app hosts with `--workers 1`, PostgreSQL, each in its own network namespace), and a SQLite',
    "app host in app host 1's namespace for the one-VM topology.",
    '',
    '**On one machine every "host" shares the same cores**, so the model is scaled to the cores the cluster has: the',
    'topology becomes one machine of that many vCPUs running every role (app hosts capped at one core each: one',
    'worker), plus the load generator when it shares them. "1 core" pins every cluster process to core 0 and the',
    'load tester to core 1; "2 cores" lets everything, the load tester too, use both.',
    '',
    "| topology | cores | predicted req/s | measured req/s | error | runs | each round's calibration predicted | failures | CPU the cluster received | predicted at that CPU | error there | model's bottleneck |",
    '|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.topology} | ${r.layout} | ${Math.round(r.predicted)} | ${Math.round(r.measured.rps)} | ${sign(pct(r))} | ${r.measured.rounds.join(', ')} | ${r.predictedEachRound?.join(', ') ?? '–'} | ${r.measured.failures} | ${(r.layout.startsWith('1') ? r.measured.cores : r.measured.cores + r.measured.clientCores).toFixed(2)} cores | ${Math.round(r.predictedAtReceived)} | ${sign(pctReceived(r))} | ${r.bottleneck} |`,
    ),
    '',
    ...(rows.some((r) => r.predictedShipped !== undefined)
      ? [
          `With the shipped default calibration (\`src/plan/calibration-default.json\`, ${shippedDate}) instead, the predictions and errors are:`,
          '',
          '| topology | cores | predicted req/s | measured req/s | error |',
          '|---|---|---:|---:|---:|',
          ...rows.map(
            (r) =>
              `| ${r.topology} | ${r.layout} | ${Math.round(r.predictedShipped!)} | ${Math.round(r.measured.rps)} | ${sign(((r.measured.rps - r.predictedShipped!) / r.predictedShipped!) * 100)} |`,
          ),
          '',
        ]
      : []),
    "Where the CPU went: µs of CPU per request of each role, the model's (from the calibration) against the measured (median run;",
    "the load tester's own figure too, which the model counts only where it shares the cores). On shared cores a process that",
    'waits its turn serves more requests per wake-up, so the measured figures depend on the layout, not only on the code.',
    '',
    '| topology | cores | app: model / measured | load balancer | PostgreSQL | load tester | all roles |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const cell = (k: string) =>
        r.modelUs[k] === undefined && r.measured.usPerRequest[k] === undefined
          ? '–'
          : `${r.modelUs[k] !== undefined ? Math.round(r.modelUs[k]!) : '–'} / ${r.measured.usPerRequest[k] !== undefined ? Math.round(r.measured.usPerRequest[k]!) : '–'}`;
      const sum = (o: Record<string, number>, keys: string[]) => Math.round(keys.reduce((a, k) => a + (o[k] ?? 0), 0));
      const keys = Object.keys(r.modelUs);
      return `| ${r.topology} | ${r.layout} | ${cell('app')} | ${cell('lb')} | ${cell('db')} | ${cell('client')} | ${sum(r.modelUs, keys)} / ${sum(r.measured.usPerRequest, keys)} |`;
    }),
    '',
    `Error = (measured − predicted) / predicted. Largest |error|: **${worst.toFixed(1)}%**; mean |error|: ${mean.toFixed(1)}% (target: within 25%).`,
    '"CPU the cluster received" is the CPU time its processes (plus the load tester, in the shared layout) used per second of the run;',
    'below the cores it was given, the rest went to other work on the machine, and "predicted at that CPU" is the model for what it got.',
    '',
  ].join('\n');
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'plan-validate.md'), md);
  writeFileSync(
    join(values.out!, 'plan-validate.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: m,
        calibration: { date: cal.date, label: cal.label, file: values.calibration ?? 'bench/results/plan-validate-calibration.json' },
        duration: DURATION,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        loadavg: [load0, load1],
        rows,
        worstErrorPct: worst,
        meanErrorPct: mean,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(md);
}

async function run(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the cluster lives in network namespaces');
  const why = calibrateUnavailable();
  if (why) throw new Error(why);
  if (cpus().length < 2) throw new Error('needs 2 cores: one for the cluster, one for the load tester');
  const given = values.calibration ? loadCalibration(values.calibration) : undefined;
  let shipped: Calibration | undefined;
  try {
    shipped = given ? undefined : loadCalibration(DEFAULT_CALIBRATION_FILE);
  } catch {
    shipped = undefined;
  }
  const load0 = loadavg()[0]!;
  // One cluster at a time per machine (test/cluster and plan calibrate use the same lock).
  const { cells, calibrations } = await withCleanup(
    async (stack) => {
      await holdClusterLock(stack, (line) => console.log(line));
      return measureRounds(stack, given);
    },
    { log: (l) => console.log(l), signals: true },
  );
  mkdirSync(values.out!, { recursive: true });
  let cal: Calibration;
  let calibrationNote: string;
  if (given) {
    cal = given;
    calibrationNote = `the calibration in \`${values.calibration}\` (${cal.date})`;
  } else {
    cal = medianCalibration(calibrations, `bench/plan-validate.ts: the median of ${ROUNDS} one-round calibrations, one before each round of the validation's measurements`);
    writeFileSync(join(values.out!, 'plan-validate-calibration.json'), JSON.stringify(cal, null, 2) + '\n');
    calibrationNote = `the median of ${ROUNDS} one-round calibrations, one made before each round of measurements (\`bench/results/plan-validate-calibration.json\`, every run in it)`;
  }
  writeResults(buildRows(cells, cal, shipped, calibrations), cal, calibrationNote, shipped, load0);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = err instanceof Interrupted ? 130 : 1;
});
