// polarity loadtest — the command line of the load tester (and `polarity loadtest suite`).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeCsvFiles } from './csv.js';
import { parseDuration } from '../duration.js';
import { renderRunHtml } from './html-report.js';
import { loadTexts, type DataOrder } from './data.js';
import { runLoad, type RunSpec } from './run.js';
import type { RunReport } from './report.js';
import type { RequestStats } from './stats.js';
import { loadScenario, usesTexts } from './scenario.js';
import { runProcesses } from './processes.js';
import { startLivePage, type LivePage } from './web.js';
import { formatSummary } from './text-report.js';
import { evaluateThresholds, exitStatus, parseThreshold, type Threshold } from './thresholds.js';
import { reportUserError, UserError } from '../user-error.js';

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

export class UsageError extends UserError {}

/** "2000", "2000/s", "120/m", "7200/h" → requests per second. */
export function parseRate(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(v);
  const x = m ? Number(m[1]) / (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1) : NaN;
  if (!(x > 0)) throw new UsageError(`--rate must be requests per second such as 2000/s or 120/m (got ${JSON.stringify(v)})`);
  return x;
}

/** --start-at: an ISO 8601 time, or HH:MM[:SS] today in local time → epoch ms. */
export function parseStartAt(v: string, now = new Date()): number {
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (hm) {
    const d = new Date(now);
    d.setHours(Number(hm[1]), Number(hm[2]), Number(hm[3] ?? 0), 0);
    if (Number(hm[1]) > 23 || Number(hm[2]) > 59 || Number(hm[3] ?? 0) > 59) throw new UsageError(`--start-at ${v}: not a time of day`);
    return d.getTime();
  }
  const t = /^\d{4}-\d{2}-\d{2}T/.test(v.trim()) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new UsageError(`--start-at must be an ISO 8601 time (2026-12-03T14:00:00Z) or HH:MM[:SS] (got ${JSON.stringify(v)})`);
  return t;
}

/** "--web" may come without a port: give it the default before parseArgs sees it. */
function defaultWebPort(argv: string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    out.push(a);
    if (a === '--web' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('-'))) out.push('8089');
  });
  return out;
}

export async function runLoadtest(argv: string[], io: LoadtestIO): Promise<number> {
  if (argv[0] === 'suite') {
    const { runSuiteCommand } = await import('./suite-cli.js');
    return runSuiteCommand(argv.slice(1), io);
  }
  if (argv[0] === 'merge') {
    const { runMergeCommand } = await import('./merge-cli.js');
    return runMergeCommand(argv.slice(1), io);
  }
  argv = defaultWebPort(argv);
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
        rate: { type: 'string' },
        ramp: { type: 'string' },
        data: { type: 'string' },
        'data-order': { type: 'string' },
        processes: { type: 'string' },
        'start-at': { type: 'string' },
        web: { type: 'string' },
        'web-host': { type: 'string' },
        insecure: { type: 'boolean' },
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
  let spec: RunSpec;
  let thresholds: Threshold[];
  let processes = 1;
  let webPort: number | null = null;
  try {
    thresholds = (values.threshold ?? []).map(parseThreshold);
    if (!values.host) throw new UsageError('--host is required, e.g. --host http://127.0.0.1:3000');
    const max = Boolean(values.max);
    const open = values.rate !== undefined;
    if (max && open) throw new UsageError('--max and --rate are two different modes: choose one');
    if ((max || open) && (values.users || values['spawn-rate'])) throw new UsageError(`--${max ? 'max' : 'rate'} takes --connections, not --users/--spawn-rate`);
    if (!max && !open && values.connections) throw new UsageError('--connections goes with --max or --rate');
    if (!open && values.ramp) throw new UsageError('--ramp goes with --rate (users ramp up with --spawn-rate)');
    const users = max ? positiveNumber(values.connections, '--connections', 64, true) : open ? 1 : positiveNumber(values.users, '--users', 1, true);
    if (users > 1_000_000) throw new UsageError('--users is limited to 1,000,000');
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError('--seed must be a whole number from 0 to 4294967295');
    }
    const order = (values['data-order'] ?? 'round-robin') as DataOrder;
    if (order !== 'round-robin' && order !== 'random') throw new UsageError('--data-order must be round-robin or random');
    if (values['data-order'] && !values.data) throw new UsageError('--data-order goes with --data');
    const scenario = loadScenario(values.scenario!, values.data !== undefined);
    if (usesTexts(scenario) && !values.data) throw new UsageError(`the scenario posts {{text}}: give the texts with --data FILE`);
    if (values.data && !usesTexts(scenario)) throw new UsageError(`--data: the scenario ${scenario.name} has no {{text}} in any request body`);
    processes = positiveNumber(values.processes, '--processes', 1, true);
    if (processes > 64) throw new UsageError('--processes is limited to 64');
    if (processes > 1 && values.csv) throw new UsageError('--csv is not available with --processes yet: use --json or --html');
    if (values.web !== undefined) {
      webPort = Number(values.web);
      if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65535) throw new UsageError(`--web takes a port number (got ${JSON.stringify(values.web)})`);
    }
    spec = {
      host: values.host,
      scenario,
      users,
      spawnRate: positiveNumber(values['spawn-rate'], '--spawn-rate', 1),
      durationS: duration(values.duration, '--duration', 60),
      timeoutS: duration(values.timeout, '--timeout', 60),
      stopTimeoutS: duration(values['stop-timeout'], '--stop-timeout', 10),
      maxRequests: values['max-requests'] === undefined ? null : positiveNumber(values['max-requests'], '--max-requests', 0, true),
      mode: max ? 'max' : open ? 'rate' : 'users',
      seed,
      rate: open
        ? {
            perS: parseRate(values.rate!),
            rampS: values.ramp === undefined ? 0 : duration(values.ramp, '--ramp', 0),
            connections: positiveNumber(values.connections, '--connections', 1000, true),
          }
        : null,
      data: values.data ? { file: values.data, texts: loadTexts(values.data), order } : null,
      insecure: Boolean(values.insecure),
      startAt: values['start-at'] === undefined ? null : parseStartAt(values['start-at']),
    };
  } catch (err) {
    return reportUserError(err, 'polarity loadtest', io.stderr, 'Run polarity loadtest --help for the options.');
  }
  if (spec.startAt != null && !values.quiet) {
    const wait = spec.startAt - Date.now();
    io.stderr.write(wait > 0 ? `starting at ${new Date(spec.startAt).toISOString()} (in ${(wait / 1000).toFixed(1)} s)\n` : `warning: --start-at ${values['start-at']} has passed; starting now\n`);
  }

  let web: LivePage | null = null;
  let stopRun: (() => void) | null = null;
  if (webPort !== null) {
    try {
      web = await startLivePage({
        port: webPort,
        host: values['web-host'],
        title: `Load test of ${spec.host} — ${spec.scenario.name}`,
        onStop: () => stopRun?.(),
      });
    } catch (err) {
      io.stderr.write(`polarity loadtest: --web: cannot listen on port ${webPort}: ${(err as Error).message}\n`);
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
  let outcome: { report: RunReport; runner?: { stats: RequestStats }; historyCsv?: string };
  try {
    outcome = processes > 1 ? await runProcesses(spec, processes, hooks) : await runLoad(spec, hooks);
  } catch (err) {
    await web?.close();
    return reportUserError(err, 'polarity loadtest', io.stderr);
  }
  const { report } = outcome;
  if (thresholds.length) report.thresholds = evaluateThresholds(report, thresholds);
  if (values.csv && outcome.runner) {
    const files = writeCsvFiles(values.csv, outcome.runner.stats, outcome.historyCsv ?? '');
    if (!values.quiet) io.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  if (values.html) {
    writeFileSync(values.html, renderRunHtml(report));
    if (!values.quiet) io.stderr.write(`wrote ${values.html}\n`);
  }
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report));
  await web?.finish(renderRunHtml(report));
  return exitStatus(report, thresholds);
}
