// `polarity loadtest suite`: the original project's two questions, answered by a search over runs.
//
//  1. The highest average RPS over a 60-s run with 0% failures. Users double from a start count
//     (each run ramping in `rampS` seconds) until a run fails, the RPS stops growing (the server is
//     saturated: twice the users bring less than 5% more), the load tester itself nears a full core,
//     or the user cap is reached; after a failing run, a few bisection runs between the last clean
//     count and the failing one. The answer is the best clean run.
//  2. The peak number of concurrent users with 0% failures at spawn rates 50, 100, 200, 500 users/s,
//     60 s each. One probe per rate ramps towards rate × duration users (capped): with no failure,
//     the peak it reached is the answer (limited by the ramp or the cap, and said so); otherwise the
//     user count just before the first failure is run again on its own, halving on failure, until a
//     run is clean.
// Runs are injected (`RunFn`), so the search is tested without a network.
import type { RunReport } from './report.js';

export interface SuiteRunRequest {
  purpose: 'max-rps' | 'max-rps-refine' | 'peak-probe' | 'peak-verify';
  users: number;
  spawnRate: number;
  durationS: number;
}

export type RunFn = (req: SuiteRunRequest) => Promise<RunReport>;

export interface SuiteOptions {
  durationS: number;
  spawnRates: number[];
  startUsers: number;
  maxUsers: number;
  /** ramp time of the RPS runs: spawn rate = users / rampS */
  rampS: number;
  /** bisection runs after a failure */
  refineRuns: number;
  /** a run whose load tester used more than this % of a core is not trusted */
  cpuLimitPercent: number;
}

export interface SuiteRun extends SuiteRunRequest {
  index: number;
  report: RunReport;
  clean: boolean;
  loadTesterSaturated: boolean;
}

export type RpsLimit = 'failures' | 'server-saturated' | 'max-users' | 'load-tester-cpu' | 'none-clean' | 'interrupted';
export type PeakLimit = 'failures' | 'ramp' | 'max-users' | 'load-tester-cpu' | 'none-clean';

export interface SuiteResult {
  options: SuiteOptions;
  runs: SuiteRun[];
  maxRps: { run: SuiteRun | null; limitedBy: RpsLimit };
  peaks: { spawnRate: number; peakUsers: number; run: SuiteRun | null; limitedBy: PeakLimit; probe: SuiteRun }[];
  /** stopped by Ctrl-C: the answers cover the runs made so far */
  interrupted: boolean;
}

/** Thrown inside the search when a run was interrupted. */
class SuiteStopped extends Error {}

export const DEFAULT_SUITE: SuiteOptions = {
  durationS: 60,
  spawnRates: [50, 100, 200, 500],
  startUsers: 500,
  maxUsers: 20_000,
  rampS: 10,
  refineRuns: 2,
  cpuLimitPercent: 90,
};

export const QUICK_SUITE: SuiteOptions = {
  durationS: 5,
  spawnRates: [50, 100, 200, 500],
  startUsers: 100,
  maxUsers: 1_000,
  rampS: 2,
  refineRuns: 1,
  cpuLimitPercent: 90,
};

type Exec = (req: SuiteRunRequest) => Promise<SuiteRun>;
type Peak = SuiteResult['peaks'][number];

export async function runSuite(opts: SuiteOptions, run: RunFn, log: (line: string) => void = () => {}): Promise<SuiteResult> {
  const runs: SuiteRun[] = [];
  const exec = recordedRuns(opts, run, log, runs);
  // Filled in as the search goes, so that an interrupted suite still answers with what it found.
  const maxRps: SuiteResult['maxRps'] = { run: null, limitedBy: 'max-users' };
  const peaks: Peak[] = [];
  try {
    await searchMaxRps(opts, exec, maxRps);
    for (const rate of opts.spawnRates) peaks.push(await searchPeak(rate, opts, exec));
  } catch (err) {
    if (!(err instanceof SuiteStopped)) throw err;
    return { options: opts, runs, maxRps: { run: maxRps.run, limitedBy: 'interrupted' }, peaks, interrupted: true };
  }
  return { options: opts, runs, maxRps, peaks, interrupted: false };
}

/** Makes each run, numbers it and keeps it in `runs`; a run stopped by Ctrl-C ends the search. */
function recordedRuns(opts: SuiteOptions, run: RunFn, log: (line: string) => void, runs: SuiteRun[]): Exec {
  return async (req) => {
    const report = await run(req);
    const loadTesterSaturated = report.loadGenerator.cpuPercent > opts.cpuLimitPercent;
    const r: SuiteRun = { ...req, index: runs.length + 1, report, clean: report.failures === 0 && report.requests > 0, loadTesterSaturated };
    runs.push(r);
    if (report.stopReason === 'interrupted') throw new SuiteStopped();
    log(
      `run ${r.index} (${req.purpose}): ${req.users} users at ${req.spawnRate}/s for ${req.durationS}s → ` +
        `${report.avgRps.toFixed(1)} RPS, ${report.failures} failures, p95 ${report.aggregated.percentiles['95%']} ms, ` +
        `load tester ${report.loadGenerator.cpuPercent.toFixed(0)}% CPU`,
    );
    return r;
  };
}

function rpsSpawnRate(opts: SuiteOptions, users: number): number {
  return Math.max(1, Math.ceil(users / opts.rampS));
}

function better(a: SuiteRun | null, b: SuiteRun): SuiteRun {
  return a === null || b.report.avgRps > a.report.avgRps ? b : a;
}

/** 1. Highest average RPS with 0% failures. */
async function searchMaxRps(opts: SuiteOptions, exec: Exec, found: SuiteResult['maxRps']): Promise<void> {
  const failingUsers = await doubleUsers(opts, exec, found);
  if (failingUsers !== null) await bisectUsers(opts, exec, found, failingUsers);
  if (found.run === null) found.limitedBy = 'none-clean';
}

/** Doubles the users until something limits them; answers the user count that failed, if that was it. */
async function doubleUsers(opts: SuiteOptions, exec: Exec, found: SuiteResult['maxRps']): Promise<number | null> {
  let users = Math.min(opts.startUsers, opts.maxUsers);
  for (;;) {
    const r = await exec({ purpose: 'max-rps', users, spawnRate: rpsSpawnRate(opts, users), durationS: opts.durationS });
    if (r.loadTesterSaturated) {
      if (r.clean) found.run = better(found.run, r);
      found.limitedBy = 'load-tester-cpu';
      return null;
    }
    if (!r.clean) {
      found.limitedBy = 'failures';
      return users;
    }
    const previous = found.run;
    found.run = better(previous, r);
    if (previous !== null && r.report.avgRps < previous.report.avgRps * 1.05) {
      found.limitedBy = 'server-saturated';
      return null;
    }
    if (users >= opts.maxUsers) {
      found.limitedBy = 'max-users';
      return null;
    }
    users = Math.min(users * 2, opts.maxUsers);
  }
}

/** A few runs between the last clean user count and the failing one. */
async function bisectUsers(opts: SuiteOptions, exec: Exec, found: SuiteResult['maxRps'], failingUsers: number): Promise<void> {
  let low = found.run?.users ?? 0;
  let high = failingUsers;
  for (let i = 0; i < opts.refineRuns && high - low > 1; i++) {
    const mid = Math.max(1, Math.round((low + high) / 2));
    if (mid === low || mid === high) break;
    const r = await exec({ purpose: 'max-rps-refine', users: mid, spawnRate: rpsSpawnRate(opts, mid), durationS: opts.durationS });
    if (r.clean && !r.loadTesterSaturated) {
      low = mid;
      found.run = better(found.run, r);
    } else high = mid;
  }
}

/** 2. Peak concurrency with 0% failures at one spawn rate. */
async function searchPeak(rate: number, opts: SuiteOptions, exec: Exec): Promise<Peak> {
  const target = Math.min(Math.round(rate * opts.durationS), opts.maxUsers);
  const probe = await exec({ purpose: 'peak-probe', users: target, spawnRate: rate, durationS: opts.durationS });
  if (probe.clean) {
    const reachedCap = probe.report.peakUsers >= target && target === opts.maxUsers;
    const limit: PeakLimit = probe.loadTesterSaturated ? 'load-tester-cpu' : reachedCap ? 'max-users' : 'ramp';
    return { spawnRate: rate, peakUsers: probe.report.peakUsers, run: probe, limitedBy: limit, probe };
  }
  const found = await verifyPeak(rate, probe, opts, exec);
  return { spawnRate: rate, peakUsers: found?.report.peakUsers ?? 0, run: found, limitedBy: found ? 'failures' : 'none-clean', probe };
}

/** The users in the last second of the probe without a failure, run again on their own, halving on failure. */
async function verifyPeak(rate: number, probe: SuiteRun, opts: SuiteOptions, exec: Exec): Promise<SuiteRun | null> {
  let candidate = 0;
  for (const s of probe.report.history) {
    if (s.failures > 0) break;
    candidate = s.users;
  }
  for (let i = 0; i <= opts.refineRuns && candidate >= 1; i++) {
    const r = await exec({ purpose: 'peak-verify', users: candidate, spawnRate: rate, durationS: opts.durationS });
    if (r.clean && !r.loadTesterSaturated) return r;
    candidate = Math.floor(candidate / 2);
  }
  return null;
}
