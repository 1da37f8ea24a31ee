// polarity loadtest — the command line of the load tester (and `polarity loadtest suite`).
import { writeFileSync } from 'node:fs';
import { loadtestPlan, parseLoadtestArgs, type LoadtestPlan, type LoadtestValues } from './cli-options.js';
import { writeCsvFiles } from './csv.js';
import { renderRunHtml } from './html-report.js';
import { runLoad } from './run.js';
import type { RunReport } from './report.js';
import type { RequestStats } from './stats.js';
import { runProcesses } from './processes.js';
import { startLivePage, type LivePage } from './web.js';
import { formatSummary } from './text-report.js';
import { evaluateThresholds, exitStatus } from './thresholds.js';
import { reportUserError } from '../user-error.js';

export { parseRate, parseStartAt, UsageError } from './cli-options.js';

export interface LoadtestIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const LOADTEST_USAGE = `Usage: polarity loadtest --host URL [options]
       polarity loadtest --max --host URL [--connections N] [--duration 10s]
       polarity loadtest --rate 2000/s [--ramp 10s] --host URL [--duration 60s]   (open model)
       polarity loadtest merge A.json B.json … [--html FILE] [--json] [--threshold T …]
       polarity loadtest suite --host URL [--quick]   (see polarity loadtest suite --help)

Simulated users as Locust runs them: started at --spawn-rate per second up to --users, each with
its own keep-alive connection; each runs the scenario's on-start requests, then picks tasks at
random by weight, waiting a uniformly random think time after each. After --duration no request
starts and those in flight finish. A failure is what Locust counts as one: a connection error, a
timeout, or a status >= 400. Statistics are Locust 2.12's (rounded response-time buckets).

Options:
  --host URL            server to test, http://127.0.0.1:3000 or https://… (required)
  --insecure            https: accept any certificate (self-signed)
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
  --connections N       connections for --max (default 64); most connections for --rate (default 1000)
  --rate R              open model: start R requests per second whatever the server does
                        (2000, 2000/s, 120/m); response times count from each request's intended
                        send time; the report says how many could not be sent on time
  --ramp T              --rate: rise linearly from 0 to R over T (default: R at once)
  --data FILE           texts for the POST bodies: lines, or JSON Lines with a "text" field; the
                        seed scenario posts them, a scenario file uses them where it says {{text}}
  --data-order O        round-robin (default) or random (seeded by --seed)
  --processes N         N load-generator processes, the load split between them, one merged
                        report (default 1)
  --start-at TIME       start at this time (ISO 8601, or HH:MM[:SS] today, local time): runs on
                        several machines start together, their --json results merged by
                        polarity loadtest merge
  --web [PORT]          a live page with charts on http://127.0.0.1:PORT/ (default 8089)
  --web-host ADDR       the address the live page listens on (default 127.0.0.1)
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

/** What a run gives back: the report, and the statistics and history rows --csv needs (one process). */
type Outcome = { report: RunReport; runner?: { stats: RequestStats }; historyCsv?: string };

export async function runLoadtest(argv: string[], io: LoadtestIO): Promise<number> {
  if (argv[0] === 'suite') {
    const { runSuiteCommand } = await import('./suite-cli.js');
    return runSuiteCommand(argv.slice(1), io);
  }
  if (argv[0] === 'merge') {
    const { runMergeCommand } = await import('./merge-cli.js');
    return runMergeCommand(argv.slice(1), io);
  }
  let values: LoadtestValues;
  try {
    values = parseLoadtestArgs(argv);
  } catch (err) {
    io.stderr.write(`polarity loadtest: ${(err as Error).message}\n\n${LOADTEST_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(LOADTEST_USAGE);
    return 0;
  }
  let plan: LoadtestPlan;
  try {
    plan = loadtestPlan(values);
  } catch (err) {
    return reportUserError(err, 'polarity loadtest', io.stderr, 'Run polarity loadtest --help for the options.');
  }
  if (plan.spec.startAt != null && !values.quiet) announceStart(plan.spec.startAt, values['start-at']!, io);
  return runAndReport(plan, values, io);
}

function announceStart(startAt: number, given: string, io: LoadtestIO): void {
  const wait = startAt - Date.now();
  io.stderr.write(wait > 0 ? `starting at ${new Date(startAt).toISOString()} (in ${(wait / 1000).toFixed(1)} s)\n` : `warning: --start-at ${given} has passed; starting now\n`);
}

/** Runs the load (with its live page, if asked for), writes the reports; answers the exit status. */
async function runAndReport(plan: LoadtestPlan, values: LoadtestValues, io: LoadtestIO): Promise<number> {
  const { spec, thresholds } = plan;
  // The live page's Stop button stops the runner, which only exists once the run has begun.
  let stopRun: (() => void) | null = null;
  let web: LivePage | null = null;
  if (plan.webPort !== null) {
    try {
      web = await startLivePage({ port: plan.webPort, host: values['web-host'], title: `Load test of ${spec.host} — ${spec.scenario.name}`, onStop: () => stopRun?.() });
    } catch (err) {
      io.stderr.write(`polarity loadtest: --web: cannot listen on port ${plan.webPort}: ${(err as Error).message}\n`);
      return 2;
    }
    io.stderr.write(`live page: ${web.url}\n`);
  }
  const hooks = {
    progress: values.quiet ? null : io.stderr,
    csvHistory: values.csv ? (values['csv-full-history'] ? ('full' as const) : ('aggregate' as const)) : null,
    onSnapshot: web ? (s: Parameters<LivePage['push']>[0]) => web!.push(s) : undefined,
    onRunner: (r: { stop(reason: 'interrupted'): void }) => (stopRun = () => r.stop('interrupted')),
  };
  let outcome: Outcome;
  try {
    outcome = plan.processes > 1 ? await runProcesses(spec, plan.processes, hooks) : await runLoad(spec, hooks);
  } catch (err) {
    await web?.close();
    return reportUserError(err, 'polarity loadtest', io.stderr);
  }
  const { report } = outcome;
  if (thresholds.length) report.thresholds = evaluateThresholds(report, thresholds);
  writeReports(outcome, values, io);
  await web?.finish(renderRunHtml(report));
  return exitStatus(report, thresholds);
}

/** --csv and --html files, then the result on stdout: the tables, or --json. */
function writeReports({ report, runner, historyCsv }: Outcome, values: LoadtestValues, io: LoadtestIO): void {
  if (values.csv && runner) {
    const files = writeCsvFiles(values.csv, runner.stats, historyCsv ?? '');
    if (!values.quiet) io.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  if (values.html) {
    writeFileSync(values.html, renderRunHtml(report));
    if (!values.quiet) io.stderr.write(`wrote ${values.html}\n`);
  }
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report));
}
