// polarity loadtest suite — runs the search in suite.ts with real load tests and writes the report.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { LoadtestIO } from './cli.js';
import { parseDuration } from '../duration.js';
import { machineInfo } from './report.js';
import { runLoad } from './run.js';
import { loadScenario } from './scenario.js';
import { DEFAULT_SUITE, QUICK_SUITE, runSuite, type SuiteOptions } from './suite.js';
import { renderSuiteHtml, renderSuiteMarkdown } from './suite-report.js';
import { resolveTarget } from './target.js';
import { UserError } from '../user-error.js';

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

export async function runSuiteCommand(argv: string[], io: LoadtestIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (err) {
    io.stderr.write(`polarity loadtest suite: ${(err as Error).message}\n\n${SUITE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(SUITE_USAGE);
    return 0;
  }
  const usage = (msg: string): number => {
    io.stderr.write(`polarity loadtest suite: ${msg}\nRun polarity loadtest suite --help for the options.\n`);
    return 2;
  };
  if (!values.host) return usage('--host is required, e.g. --host http://127.0.0.1:3000');
  const preset = values.quick ? QUICK_SUITE : DEFAULT_SUITE;
  const opts: SuiteOptions = { ...preset, spawnRates: [...preset.spawnRates] };
  let pauseS = values.quick ? 1 : 3;
  let timeoutS = 60;
  let scenario;
  try {
    const dur = (v: string | undefined, flag: string): number | undefined => {
      if (v === undefined) return undefined;
      const s = parseDuration(v, { bareSeconds: true });
      if (!(s > 0) && flag !== '--pause') throw new UserError(`${flag} must be above 0`);
      return s;
    };
    const int = (v: string | undefined, flag: string, min: number): number | undefined => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!Number.isInteger(x) || x < min) throw new UserError(`${flag} must be a whole number >= ${min}`);
      return x;
    };
    opts.durationS = dur(values.duration, '--duration') ?? opts.durationS;
    opts.rampS = dur(values.ramp, '--ramp') ?? opts.rampS;
    pauseS = dur(values.pause, '--pause') ?? pauseS;
    timeoutS = dur(values.timeout, '--timeout') ?? timeoutS;
    opts.startUsers = int(values['start-users'], '--start-users', 1) ?? opts.startUsers;
    opts.refineRuns = int(values.refine, '--refine', 0) ?? opts.refineRuns;
    const fdLimit = openFilesLimit();
    const explicitMax = int(values['max-users'], '--max-users', 1);
    opts.maxUsers = explicitMax ?? (fdLimit === null ? opts.maxUsers : Math.min(opts.maxUsers, fdLimit - 100));
    if (explicitMax !== undefined && fdLimit !== null && explicitMax > fdLimit - 50) {
      throw new UserError(`--max-users ${explicitMax} needs that many sockets but the open-files limit is ${fdLimit} (raise it with ulimit -n)`);
    }
    if (values['spawn-rates'] !== undefined) {
      opts.spawnRates = values['spawn-rates'].split(',').map((s) => {
        const x = Number(s.trim());
        if (!(x > 0)) throw new UserError(`--spawn-rates: ${JSON.stringify(s)} is not a positive number`);
        return x;
      });
    }
    if (opts.startUsers > opts.maxUsers) opts.startUsers = opts.maxUsers;
    scenario = loadScenario(values.scenario!);
    await resolveTarget(values.host);
  } catch (err) {
    if (err instanceof UserError) return usage(err.message);
    throw err;
  }

  const outDir = values.out ?? `loadtest-suite-${stamp(new Date())}`;
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  let first = true;
  const log = (line: string): void => {
    if (!values.quiet) io.stderr.write(line + '\n');
  };
  log(`polarity loadtest suite: ${values.host}, ${opts.durationS}-s runs, writing to ${outDir}/ (Ctrl-C stops and writes what was measured)`);
  const result = await runSuite(
    opts,
    async (req) => {
      if (!first) await sleep(pauseS * 1000);
      first = false;
      // Ctrl-C stops the run in progress cleanly; the search then ends and the report is written.
      const { report } = await runLoad(
        {
          host: values.host!,
          scenario,
          users: req.users,
          spawnRate: req.spawnRate,
          durationS: req.durationS,
          timeoutS,
          stopTimeoutS: Math.min(timeoutS, 10),
          maxRequests: null,
          mode: 'users',
        },
        { progress: values.quiet ? null : io.stderr, progressLabel: req.purpose },
      );
      return report;
    },
    log,
  );
  const meta = {
    host: values.host,
    scenario: values.scenario!,
    quick: Boolean(values.quick),
    startedAt,
    endedAt: new Date().toISOString(),
    machine: machineInfo(),
    command: `polarity loadtest suite ${argv.join(' ')}`,
  };
  const md = renderSuiteMarkdown(result, meta);
  writeFileSync(join(outDir, 'report.md'), md);
  writeFileSync(join(outDir, 'report.html'), renderSuiteHtml(result, meta, md));
  writeFileSync(join(outDir, 'suite.json'), JSON.stringify({ meta, ...result }, null, 2) + '\n');
  io.stdout.write(md.split('\n## Every run')[0]! + `\nReport: ${join(outDir, 'report.md')}, ${join(outDir, 'report.html')}, ${join(outDir, 'suite.json')}\n`);
  return result.interrupted ? 130 : 0;
}
