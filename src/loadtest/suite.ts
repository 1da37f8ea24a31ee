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

export async function runSuite(opts: SuiteOptions, run: RunFn, log: (line: string) => void = () => {}): Promise<SuiteResult> {
  const runs: SuiteRun[] = [];
  const exec = async (req: SuiteRunRequest): Promise<SuiteRun> => {
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
  const rpsSpawn = (users: number): number => Math.max(1, Math.ceil(users / opts.rampS));
  const better = (a: SuiteRun | null, b: SuiteRun): SuiteRun => (a === null || b.report.avgRps > a.report.avgRps ? b : a);

  let best: SuiteRun | null = null;
  let limitedBy: RpsLimit = 'max-users';
  const peaks: SuiteResult['peaks'] = [];
  try {
    // 1. Highest average RPS with 0% failures.
    let failingUsers: number | null = null;
    let users = Math.min(opts.startUsers, opts.maxUsers);
    for (;;) {
      const r = await exec({ purpose: 'max-rps', users, spawnRate: rpsSpawn(users), durationS: opts.durationS });
      if (r.loadTesterSaturated) {
        if (r.clean) best = better(best, r);
        limitedBy = 'load-tester-cpu';
        break;
      }
      if (!r.clean) {
        failingUsers = users;
        limitedBy = 'failures';
        break;
      }
      const previous = best;
      best = better(best, r);
      if (previous !== null && r.report.avgRps < previous.report.avgRps * 1.05) {
        limitedBy = 'server-saturated';
        break;
      }
      if (users >= opts.maxUsers) {
        limitedBy = 'max-users';
        break;
      }
      users = Math.min(users * 2, opts.maxUsers);
    }
    if (failingUsers !== null) {
      let low = best?.users ?? 0;
      let high = failingUsers;
      for (let i = 0; i < opts.refineRuns && high - low > 1; i++) {
        const mid = Math.max(1, Math.round((low + high) / 2));
        if (mid === low || mid === high) break;
        const r = await exec({ purpose: 'max-rps-refine', users: mid, spawnRate: rpsSpawn(mid), durationS: opts.durationS });
        if (r.clean && !r.loadTesterSaturated) {
          low = mid;
          best = better(best, r);
        } else high = mid;
      }
    }
    if (best === null) limitedBy = 'none-clean';

    // 2. Peak concurrency with 0% failures at each spawn rate.
    for (const rate of opts.spawnRates) {
      const target = Math.min(Math.round(rate * opts.durationS), opts.maxUsers);
      const probe = await exec({ purpose: 'peak-probe', users: target, spawnRate: rate, durationS: opts.durationS });
      if (probe.loadTesterSaturated && probe.clean) {
        peaks.push({ spawnRate: rate, peakUsers: probe.report.peakUsers, run: probe, limitedBy: 'load-tester-cpu', probe });
        continue;
      }
      if (probe.clean) {
        const reachedTarget = probe.report.peakUsers >= target;
        const limit: PeakLimit = reachedTarget && target === opts.maxUsers ? 'max-users' : 'ramp';
        peaks.push({ spawnRate: rate, peakUsers: probe.report.peakUsers, run: probe, limitedBy: limit, probe });
        continue;
      }
      // The users in the last second without a failure; then verify that count on its own.
      let candidate = 0;
      for (const s of probe.report.history) {
        if (s.failures > 0) break;
        candidate = s.users;
      }
      let found: SuiteRun | null = null;
      for (let i = 0; i <= opts.refineRuns && candidate >= 1; i++) {
        const r = await exec({ purpose: 'peak-verify', users: candidate, spawnRate: rate, durationS: opts.durationS });
        if (r.clean && !r.loadTesterSaturated) {
          found = r;
          break;
        }
        candidate = Math.floor(candidate / 2);
      }
      peaks.push({
        spawnRate: rate,
        peakUsers: found?.report.peakUsers ?? 0,
        run: found,
        limitedBy: found ? 'failures' : 'none-clean',
        probe,
      });
    }
  } catch (err) {
    if (!(err instanceof SuiteStopped)) throw err;
    return { options: opts, runs, maxRps: { run: best, limitedBy: 'interrupted' }, peaks, interrupted: true };
  }
  return { options: opts, runs, maxRps: { run: best, limitedBy }, peaks, interrupted: false };
}
