// polarity loadtest suite — runs the search in suite.ts with real load tests and writes the report.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { LoadtestIO } from './cli.js';
import { flagSeconds } from './cli-options.js';
import { machineInfo } from './report.js';
import { runLoad } from './run.js';
import { loadScenario, type Scenario } from './scenario.js';
import { DEFAULT_SUITE, QUICK_SUITE, runSuite, type RunFn, type SuiteOptions, type SuiteResult } from './suite.js';
import { renderSuiteHtml, renderSuiteMarkdown, type SuiteMeta } from './suite-report.js';
import { resolveTarget } from './target.js';
import { reportUserError, UserError } from '../user-error.js';

export const SUITE_USAGE = `Usage: polarity loadtest suite --host URL [options]

Answers the original project's two Locust questions in one command and writes one report
(report.md, report.html, suite.json):
  1. the highest average RPS over 60 s with 0% failures (users doubled from --start-users, then
     bisected after a failing run);
  2. the peak number of concurrent users with 0% failures at spawn rates 50, 100, 200 and 500
     users/s, 60 s each.

Options:
  --host URL            server to test (required)
  --scenario S          seed (default) or a JSON scenario file
  --quick               short runs for CI: 5-s runs, at most 1,000 users
  --out DIR             where the report goes (default: loadtest-suite-<date>-<time>)
  --duration T          length of every run (default 60s; 5s with --quick)
  --spawn-rates LIST    comma-separated (default 50,100,200,500)
  --start-users N       first user count of the RPS search (default 500; 100 with --quick)
  --max-users N         user cap for every run (default 20000, or the open-files limit minus 100;
                        1000 with --quick)
  --ramp T              the RPS runs start all their users within T (default 10s; 2s with --quick)
  --refine N            bisection runs after a failure (default 2; 1 with --quick)
  --pause T             pause between runs, letting the server settle (default 3s; 1s with --quick)
  --timeout T           request timeout (default 60s)
  -q, --quiet           no live progress
  -h, --help            show this help
`;

/** The soft RLIMIT_NOFILE: every user holds a socket. */
export function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The options as given; throws parseArgs's own error for an unknown option or a missing value. */
function parseSuiteArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      scenario: { type: 'string', default: 'seed' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      duration: { type: 'string' },
      'spawn-rates': { type: 'string' },
      'start-users': { type: 'string' },
      'max-users': { type: 'string' },
      ramp: { type: 'string' },
      refine: { type: 'string' },
      pause: { type: 'string' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}

type SuiteValues = ReturnType<typeof parseSuiteArgs>;

/** The search's options, and what every run of it shares. */
interface SuiteSettings {
  host: string;
  opts: SuiteOptions;
  pauseS: number;
  timeoutS: number;
  scenario: Scenario;
}

export async function runSuiteCommand(argv: string[], io: LoadtestIO): Promise<number> {
  let values: SuiteValues;
  try {
    values = parseSuiteArgs(argv);
  } catch (err) {
    io.stderr.write(`polarity loadtest suite: ${(err as Error).message}\n\n${SUITE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(SUITE_USAGE);
    return 0;
  }
  let settings: SuiteSettings;
  try {
    settings = suiteSettings(values);
    await resolveTarget(settings.host);
  } catch (err) {
    return reportUserError(err, 'polarity loadtest suite', io.stderr, 'Run polarity loadtest suite --help for the options.');
  }
  const outDir = values.out ?? `loadtest-suite-${stamp(new Date())}`;
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const log = (line: string): void => {
    if (!values.quiet) io.stderr.write(line + '\n');
  };
  log(`polarity loadtest suite: ${settings.host}, ${settings.opts.durationS}-s runs, writing to ${outDir}/ (Ctrl-C stops and writes what was measured)`);
  const result = await runSuite(settings.opts, loadRuns(settings, values.quiet ? null : io.stderr), log);
  const meta: SuiteMeta = {
    host: settings.host,
    scenario: values.scenario!,
    quick: Boolean(values.quick),
    startedAt,
    endedAt: new Date().toISOString(),
    machine: machineInfo(),
    command: `polarity loadtest suite ${argv.join(' ')}`,
  };
  io.stdout.write(writeSuiteReport(outDir, result, meta));
  return result.interrupted ? 130 : 0;
}

function suiteSettings(values: SuiteValues): SuiteSettings {
  if (!values.host) throw new UserError('--host is required, e.g. --host http://127.0.0.1:3000');
  const preset = values.quick ? QUICK_SUITE : DEFAULT_SUITE;
  const opts: SuiteOptions = { ...preset, spawnRates: [...preset.spawnRates] };
  opts.durationS = optionalDuration(values.duration, '--duration') ?? opts.durationS;
  opts.rampS = optionalDuration(values.ramp, '--ramp') ?? opts.rampS;
  const pauseS = optionalDuration(values.pause, '--pause') ?? (values.quick ? 1 : 3);
  const timeoutS = optionalDuration(values.timeout, '--timeout') ?? 60;
  opts.startUsers = optionalWholeNumber(values['start-users'], '--start-users', 1) ?? opts.startUsers;
  opts.refineRuns = optionalWholeNumber(values.refine, '--refine', 0) ?? opts.refineRuns;
  opts.maxUsers = userCap(values['max-users'], opts.maxUsers);
  if (values['spawn-rates'] !== undefined) opts.spawnRates = spawnRates(values['spawn-rates']);
  if (opts.startUsers > opts.maxUsers) opts.startUsers = opts.maxUsers;
  return { host: values.host, opts, pauseS, timeoutS, scenario: loadScenario(values.scenario!) };
}

function optionalDuration(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = flagSeconds(v, flag);
  // --pause 0 is allowed: runs back to back.
  if (!(s > 0) && flag !== '--pause') throw new UserError(`${flag} must be above 0`);
  return s;
}

function optionalWholeNumber(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UserError(`${flag} must be a whole number >= ${min}`);
  return x;
}

/** --max-users, else the preset's cap: either under the open-files limit, since every user holds a socket. */
function userCap(v: string | undefined, presetMax: number): number {
  const fdLimit = openFilesLimit();
  const explicitMax = optionalWholeNumber(v, '--max-users', 1);
  if (explicitMax !== undefined && fdLimit !== null && explicitMax > fdLimit - 50) {
    throw new UserError(`--max-users ${explicitMax} needs that many sockets but the open-files limit is ${fdLimit} (raise it with ulimit -n)`);
  }
  return explicitMax ?? (fdLimit === null ? presetMax : Math.min(presetMax, fdLimit - 100));
}

function spawnRates(v: string): number[] {
  return v.split(',').map((s) => {
    const x = Number(s.trim());
    if (!(x > 0)) throw new UserError(`--spawn-rates: ${JSON.stringify(s)} is not a positive number`);
    return x;
  });
}

/** The search's runs, made for real: one load test each, after a pause that lets the server settle. */
function loadRuns(s: SuiteSettings, progress: NodeJS.WritableStream | null): RunFn {
  let first = true;
  return async (req) => {
    if (!first) await sleep(s.pauseS * 1000);
    first = false;
    // Ctrl-C stops the run in progress cleanly; the search then ends and the report is written.
    const { report } = await runLoad(
      {
        host: s.host,
        scenario: s.scenario,
        users: req.users,
        spawnRate: req.spawnRate,
        durationS: req.durationS,
        timeoutS: s.timeoutS,
        stopTimeoutS: Math.min(s.timeoutS, 10),
        maxRequests: null,
        mode: 'users',
      },
      { progress, progressLabel: req.purpose },
    );
    return report;
  };
}

/** Writes report.md, report.html and suite.json into outDir; answers the summary for stdout. */
function writeSuiteReport(outDir: string, result: SuiteResult, meta: SuiteMeta): string {
  const md = renderSuiteMarkdown(result, meta);
  writeFileSync(join(outDir, 'report.md'), md);
  writeFileSync(join(outDir, 'report.html'), renderSuiteHtml(result, meta, md));
  writeFileSync(join(outDir, 'suite.json'), JSON.stringify({ meta, ...result }, null, 2) + '\n');
  return md.split('\n## Every run')[0]! + `\nReport: ${join(outDir, 'report.md')}, ${join(outDir, 'report.html')}, ${join(outDir, 'suite.json')}\n`;
}
