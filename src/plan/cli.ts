// polarity plan — the capacity and cost planner's command line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CALIBRATION_FILE, loadCalibration } from './calibration.js';
import { plan, type PlanResult } from './enumerate.js';
import { formatPlanText, type PlanContext } from './format.js';
import { parseMix } from './mix.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions } from './model.js';
import { BUILTIN_PRICE_TABLES, loadPriceTable, PriceTableError } from './prices.js';
import { reportUserError, UserError } from '../user-error.js';

export interface PlanIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const PLAN_USAGE = `Usage: polarity plan [--budget 65] [--prices assignment|digitalocean|FILE] [options]
       polarity plan calibrate [--quick] [--out FILE] [--mix seed]

Which cloud topology serves the most requests a second for a monthly budget? Every topology the
price table allows is enumerated — one VM running everything; an app VM and a database VM; N app
hosts behind an nginx load balancer with a shared PostgreSQL, the load balancer and the database
each on a VM of their own, sharing one, on an app host, or managed by the provider — and its
capacity predicted from a calibration (CPU time per request of the app, nginx and PostgreSQL,
measured on a real machine, and the memory each needs): the smallest limit over app CPU, load
balancer CPU, database CPU, database writes and the provider's limits; a VM without the memory
for its roles is infeasible. The model: docs/plan.md.

Options:
  --budget USD          monthly budget in US dollars (default 65, the original assignment's)
  --prices P            "assignment" (the course's vm1…vm6, the default), "digitalocean", or a
                        price table JSON file (format: prices/README.md)
  --calibration FILE    calibration JSON (default: the shipped one, measured on the project's
                        machine — src/plan/calibration-default.json)
  --mix M               "seed" (1 POST /analyze : 2 GET /history, the default) or POST:GET, e.g. 1:9
  --min-app-hosts N     only topologies with at least N app hosts (2: no single app host to lose)
  --max-app-hosts N     enumerate up to N app hosts (default 16)
  --os-reserve MIB      RAM each VM keeps for the OS and agents (default ${DEFAULT_MODEL_OPTIONS.osReserveMiB})
  --top N               rows of the ranked table (default 10)
  --emit DIR            write the recommended topology's deployment files and a report into DIR
  --json                print the result as JSON
  -h, --help            show this help

polarity plan calibrate [options]: measure this machine (needs Linux, taskset, nginx and
PostgreSQL's server binaries; about 5 minutes, 1½ with --quick):
  --out FILE            where to write the calibration (default plan-calibration.json)
  --quick               one round of short runs (2 s each), for CI
  --duration SECONDS    measured seconds per run (default 5; --quick: 2)
  --rounds N            repeat each run N times; the fastest counts (default 3; --quick: 1)
  --network N           "namespaces": on deploy/local-cluster, every hop over veth pairs like a
                        network (the default as root); "loopback": 127.0.0.1 (the default otherwise)
  --connections N       load tester connections (default 64)
  --mix M               the mixed run's POST:GET (default seed)
  --label TEXT          what the calibration describes (default: the machine)

Examples:
  polarity plan --budget 65
  polarity plan --budget 65 --prices digitalocean --emit ./plan-65
  polarity plan calibrate --out my-machine.json && polarity plan --calibration my-machine.json
`;

class UsageError extends UserError {}

function positive(v: string | undefined, flag: string, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new UsageError(`${flag} must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(v)})`);
  return x;
}

export interface PlanRun {
  ctx: PlanContext;
  result: PlanResult;
  model: ModelOptions;
}

/** The planner without the command line: what `polarity plan` computes. */
export function runPlanModel(o: { budgetUsd: number; prices: string; calibration?: string; mix: string; minAppHosts?: number; maxAppHosts?: number; osReserveMiB?: number; top?: number }): PlanRun {
  const prices = loadPriceTable(o.prices);
  const calibrationFile = o.calibration ?? DEFAULT_CALIBRATION_FILE;
  const calibration = loadCalibration(calibrationFile);
  const mix = parseMix(o.mix);
  const model: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, ...(o.osReserveMiB === undefined ? {} : { osReserveMiB: o.osReserveMiB }) };
  const minAppHosts = o.minAppHosts ?? 1;
  const enumOpts = { budgetUsd: o.budgetUsd, minAppHosts, maxAppHosts: o.maxAppHosts ?? 16 };
  const result = plan(prices, calibration, mix, enumOpts, model);
  const rec = result.recommendation;
  const redundant =
    rec && minAppHosts < 2 && rec.topology.hosts.filter((h) => h.roles.includes('app')).length < 2 ? plan(prices, calibration, mix, { ...enumOpts, minAppHosts: 2 }, model).recommendation : undefined;
  const ctx: PlanContext = { budgetUsd: o.budgetUsd, prices, calibration, calibrationFile, mix, minAppHosts, top: o.top ?? 10, ...(redundant ? { redundant } : {}) };
  return { ctx, result, model };
}

function planJson(run: PlanRun): unknown {
  const { ctx, result } = run;
  const row = (e: (typeof result.ranked)[number]) => ({
    topology: e.topology.id,
    shape: e.topology.shape,
    monthlyUsd: e.costUsd,
    rps: Math.round(e.rps),
    bottleneck: e.bottleneck?.label,
    limits: e.limits.map((l) => ({ label: l.label, rps: Math.round(l.capacityRps) })),
    hosts: e.hosts.map((h) => ({ name: h.name, vm: h.vm.id, roles: h.roles, workers: h.workers, weight: h.weight, memoryMiB: Math.round(h.memoryUsedMiB) })),
  });
  return {
    budgetUsd: ctx.budgetUsd,
    prices: ctx.prices.name,
    calibration: { file: ctx.calibrationFile, label: ctx.calibration.label, date: ctx.calibration.date },
    mix: ctx.mix,
    considered: result.considered,
    feasible: result.feasible.length,
    recommendation: result.recommendation ? row(result.recommendation) : null,
    top: result.feasible.slice(0, ctx.top).map(row),
    bestByShape: result.bestByShape.map(row),
    ...(ctx.redundant ? { bestWithTwoAppHosts: row(ctx.redundant) } : {}),
  };
}

export async function runPlan(argv: string[], io: PlanIO): Promise<number> {
  if (argv[0] === 'calibrate') return runCalibrate(argv.slice(1), io);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        budget: { type: 'string' },
        prices: { type: 'string' },
        calibration: { type: 'string' },
        mix: { type: 'string' },
        'min-app-hosts': { type: 'string' },
        'max-app-hosts': { type: 'string' },
        'os-reserve': { type: 'string' },
        top: { type: 'string' },
        emit: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`polarity plan: ${(err as Error).message}\n\n${PLAN_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(PLAN_USAGE);
    return 0;
  }
  let run: PlanRun;
  try {
    const osReserve = values['os-reserve'] === undefined ? undefined : Number(values['os-reserve']);
    if (osReserve !== undefined && !(Number.isFinite(osReserve) && osReserve >= 0)) throw new UsageError('--os-reserve must be a number of MiB ≥ 0');
    run = runPlanModel({
      budgetUsd: positive(values.budget, '--budget', 65),
      prices: values.prices ?? 'assignment',
      ...(values.calibration ? { calibration: values.calibration } : {}),
      mix: values.mix ?? 'seed',
      minAppHosts: positive(values['min-app-hosts'], '--min-app-hosts', 1, true),
      maxAppHosts: positive(values['max-app-hosts'], '--max-app-hosts', 16, true),
      ...(osReserve === undefined ? {} : { osReserveMiB: osReserve }),
      top: positive(values.top, '--top', 10, true),
    });
  } catch (err) {
    const hint = err instanceof PriceTableError ? `(built-in tables: ${BUILTIN_PRICE_TABLES.join(', ')})` : 'Run polarity plan --help for the options.';
    return reportUserError(err, 'polarity plan', io.stderr, hint);
  }
  io.stdout.write(values.json ? JSON.stringify(planJson(run), null, 2) + '\n' : formatPlanText(run.ctx, run.result));
  if (values.emit) {
    if (!run.result.recommendation) {
      io.stderr.write('polarity plan: nothing to emit: no topology fits the budget\n');
      return 1;
    }
    const { emitDeployment } = await import('./emit.js');
    let files: string[];
    try {
      files = emitDeployment(resolve(values.emit), run);
    } catch (err) {
      return reportUserError(err, 'polarity plan --emit', io.stderr);
    }
    io.stderr.write(`wrote ${files.length} files into ${values.emit}: ${files.join(', ')}\n`);
  }
  return run.result.recommendation ? 0 : 1;
}

function network(v: string): 'namespaces' | 'loopback' {
  if (v !== 'namespaces' && v !== 'loopback') throw new UsageError('--network must be "namespaces" or "loopback"');
  return v;
}

async function runCalibrate(argv: string[], io: PlanIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', default: 'plan-calibration.json' },
        quick: { type: 'boolean' },
        duration: { type: 'string' },
        connections: { type: 'string' },
        rounds: { type: 'string' },
        network: { type: 'string' },
        mix: { type: 'string', default: 'seed' },
        label: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`polarity plan calibrate: ${(err as Error).message}\n\n${PLAN_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(PLAN_USAGE);
    return 0;
  }
  // The measurement is the lab's (src/lab); loaded only for this subcommand.
  const { calibrate } = await import('../lab/calibrate.js');
  const { defaultLabel, describeMachine } = await import('../lab/machine.js');
  let opts;
  try {
    const quick = Boolean(values.quick);
    const durationS = positive(values.duration, '--duration', quick ? 2 : 5);
    opts = {
      quick,
      durationS,
      warmupS: 1,
      rounds: positive(values.rounds, '--rounds', quick ? 1 : 3, true),
      ...(values.network === undefined ? {} : { network: network(values.network) }),
      connections: positive(values.connections, '--connections', 64, true),
      mix: parseMix(values.mix!),
      label: values.label ?? defaultLabel(describeMachine()),
      command: `polarity plan calibrate ${argv.join(' ')}`.trim(),
      log: (line: string) => io.stderr.write(line + '\n'),
    };
  } catch (err) {
    return reportUserError(err, 'polarity plan calibrate', io.stderr);
  }
  try {
    const cal = await calibrate(opts);
    mkdirSync(dirname(resolve(values.out!)), { recursive: true });
    writeFileSync(values.out!, JSON.stringify(cal, null, 2) + '\n');
    io.stderr.write(`wrote ${values.out}\n`);
    const f = (r: keyof typeof cal.cpuUs) => `${cal.cpuUs[r].post} µs per POST, ${cal.cpuUs[r].get} µs per GET`;
    io.stdout.write(
      [
        `app (SQLite):      ${f('appSqlite')}`,
        `app (PostgreSQL):  ${f('appPostgres')}`,
        `nginx:             ${f('nginx')}`,
        `PostgreSQL:        ${f('postgres')}`,
        `memory (MiB):      ${Object.entries(cal.memoryMiB)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    // the lab's errors (a missing tool, a server that did not start, Ctrl-C: 130) are users' errors
    return reportUserError(err, 'polarity plan calibrate', io.stderr);
  }
}
