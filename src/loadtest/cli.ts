// polarity loadtest — the command line of the load tester (and `polarity loadtest suite`).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeCsvFiles } from './csv.js';
import { parseDuration } from '../duration.js';
import { renderRunHtml } from './html-report.js';
import { runLoad } from './run.js';
import { loadScenario, ScenarioError } from './scenario.js';
import { TargetError } from './target.js';
import { formatSummary } from './text-report.js';
import { evaluateThresholds, exitStatus, parseThreshold, ThresholdError, type Threshold } from './thresholds.js';

export interface LoadtestIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const LOADTEST_USAGE = `Usage: polarity loadtest --host URL [options]
       polarity loadtest --max --host URL [--connections N] [--duration 10s]
       polarity loadtest suite --host URL [--quick]   (see polarity loadtest suite --help)

Simulated users as Locust runs them: started at --spawn-rate per second up to --users, each with
its own keep-alive connection; each runs the scenario's on-start requests, then picks tasks at
random by weight, waiting a uniformly random think time after each. After --duration no request
starts and those in flight finish. A failure is what Locust counts as one: a connection error, a
timeout, or a status >= 400. Statistics are Locust 2.12's (rounded response-time buckets).

Options:
  --host URL            server to test, e.g. http://127.0.0.1:3000 (required)
  -u, --users N         number of users (default 1)
  -r, --spawn-rate R    users started per second (default 1)
  -t, --duration T      run time: 60, 60s, 1m30s, 500ms (default 60s)
  --scenario S          "seed" (the original Locust file, the default) or a JSON scenario file
  --timeout T           a request without a full response after T fails (default 60s)
  --stop-timeout T      how long requests in flight at the end may take (default 10s)
  --max-requests N      stop after N requests (a safety bound; default none)
  --seed N              random seed for task choices and think times (default: random, reported)
  --csv PREFIX          write PREFIX_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv
                        (Locust 2.12's files, same columns)
  --csv-full-history    a history row per endpoint each second, not only the aggregate
  --html FILE           write a self-contained HTML report with charts
  --json                print the result as JSON on stdout instead of the tables
  -q, --quiet           no live progress on stderr
  --max                 raw throughput (like wrk): --connections users at once, no think time,
                        no on-start requests
  --connections N       connections for --max (default 64)
  --threshold T         a pass/fail criterion, repeatable: [ENDPOINT:]METRIC OP VALUE, e.g.
                        'p95<200ms', 'failures<0.1%', 'rps>5000', 'POST /analyze:p99<=1s';
                        METRIC p50…p99.9, med, avg, min, max (ms or s), failures (% or a count),
                        rps, requests, late (open model: % or a count); OP < <= > >=
  -h, --help            show this help

Exit status: 0 when no request failed, 1 when some failed (as Locust), 2 on a usage error,
3 when a --threshold was broken. With a failures threshold, failures within it do not give 1.

Example:
  polarity loadtest --host http://127.0.0.1:3000 --users 100 --spawn-rate 10 --duration 30s
`;

function positiveNumber(v: string | undefined, flag: string, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(v)})`);
  }
  return x;
}

function duration(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  let s: number;
  try {
    s = parseDuration(v, { bareSeconds: true });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  if (!(s > 0)) throw new UsageError(`${flag} must be above 0`);
  return s;
}

export class UsageError extends Error {}

export async function runLoadtest(argv: string[], io: LoadtestIO): Promise<number> {
  if (argv[0] === 'suite') {
    const { runSuiteCommand } = await import('./suite-cli.js');
    return runSuiteCommand(argv.slice(1), io);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        users: { type: 'string', short: 'u' },
        'spawn-rate': { type: 'string', short: 'r' },
        duration: { type: 'string', short: 't' },
        scenario: { type: 'string', default: 'seed' },
        timeout: { type: 'string' },
        'stop-timeout': { type: 'string' },
        'max-requests': { type: 'string' },
        seed: { type: 'string' },
        csv: { type: 'string' },
        'csv-full-history': { type: 'boolean' },
        html: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        max: { type: 'boolean' },
        connections: { type: 'string' },
        threshold: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`polarity loadtest: ${(err as Error).message}\n\n${LOADTEST_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(LOADTEST_USAGE);
    return 0;
  }
  let spec;
  let thresholds: Threshold[];
  try {
    thresholds = (values.threshold ?? []).map(parseThreshold);
    if (!values.host) throw new UsageError('--host is required, e.g. --host http://127.0.0.1:3000');
    const max = Boolean(values.max);
    if (max && (values.users || values['spawn-rate'])) throw new UsageError('--max takes --connections, not --users/--spawn-rate');
    if (!max && values.connections) throw new UsageError('--connections goes with --max');
    const users = max ? positiveNumber(values.connections, '--connections', 64, true) : positiveNumber(values.users, '--users', 1, true);
    if (users > 1_000_000) throw new UsageError('--users is limited to 1,000,000');
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError('--seed must be a whole number from 0 to 4294967295');
    }
    spec = {
      host: values.host,
      scenario: loadScenario(values.scenario!),
      users,
      spawnRate: positiveNumber(values['spawn-rate'], '--spawn-rate', 1),
      durationS: duration(values.duration, '--duration', 60),
      timeoutS: duration(values.timeout, '--timeout', 60),
      stopTimeoutS: duration(values['stop-timeout'], '--stop-timeout', 10),
      maxRequests: values['max-requests'] === undefined ? null : positiveNumber(values['max-requests'], '--max-requests', 0, true),
      mode: max ? ('max' as const) : ('users' as const),
      seed,
    };
  } catch (err) {
    if (err instanceof UsageError || err instanceof ScenarioError || err instanceof ThresholdError) {
      io.stderr.write(`polarity loadtest: ${err.message}\nRun polarity loadtest --help for the options.\n`);
      return 2;
    }
    throw err;
  }

  let outcome;
  try {
    outcome = await runLoad(spec, {
      progress: values.quiet ? null : io.stderr,
      csvHistory: values.csv ? (values['csv-full-history'] ? 'full' : 'aggregate') : null,
    });
  } catch (err) {
    if (err instanceof TargetError) {
      io.stderr.write(`polarity loadtest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { report, runner, historyCsv } = outcome;
  if (thresholds.length) report.thresholds = evaluateThresholds(report, thresholds);
  if (values.csv) {
    const files = writeCsvFiles(values.csv, runner.stats, historyCsv);
    if (!values.quiet) io.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  if (values.html) {
    writeFileSync(values.html, renderRunHtml(report));
    if (!values.quiet) io.stderr.write(`wrote ${values.html}\n`);
  }
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report));
  return exitStatus(report, thresholds);
}
