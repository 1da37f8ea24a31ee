// Warm-up and measurement: a run of the product's load tester (src/loadtest, --max mode: a fixed
// number of keep-alive connections without think time) with the CPU time of each group of
// processes read from /proc before and after it, and the machine's busy time beside, so that CPU
// per request is measured rather than inferred from requests per second (docs/plan.md says why).
import { runLoad, type RunSpec } from '../loadtest/run.js';
import type { RunReport } from '../loadtest/report.js';
import { parseScenario, SEED_TEXT, type Scenario } from '../loadtest/scenario.js';
import { cpuSecondsBetween, cpuSnapshot, machineBusySeconds } from './proc.js';

/** A role's processes: the roots of the trees whose CPU counts as that role's (read at each snapshot). */
export interface Group {
  readonly name: string;
  readonly roots: () => readonly number[];
}

export interface LoadSpec {
  readonly url: string;
  readonly scenario: Scenario;
  readonly connections: number;
  readonly durationS: number;
  readonly seed: number;
}

export interface Measurement {
  readonly report: RunReport;
  /** CPU seconds of each group during the run, and the load tester's own as "client" */
  readonly cpuS: Record<string, number>;
  /** cores' worth of CPU the rest of the machine used meanwhile */
  readonly otherCores: number;
}

/** A seed-mix style scenario: POST /analyze with the seed's text and GET /history, integer weights. */
export function postGetScenario(post: number, get: number, name = `mix ${post}:${get}`): Scenario {
  const tasks = [];
  if (post > 0) tasks.push({ method: 'POST', path: '/analyze', json: { text: SEED_TEXT }, weight: post });
  if (get > 0) tasks.push({ method: 'GET', path: '/history', weight: get });
  return parseScenario({ name, wait: { min: 0, max: 0 }, tasks }, name);
}

function runSpec(s: LoadSpec, durationS: number): RunSpec {
  return {
    host: s.url,
    scenario: s.scenario,
    users: s.connections,
    spawnRate: s.connections,
    durationS,
    timeoutS: 10,
    stopTimeoutS: 5,
    maxRequests: Math.ceil(durationS * 200_000),
    mode: 'max',
    seed: s.seed,
  };
}

/** One load run, stopped early when `signal` aborts. */
async function load(s: LoadSpec, durationS: number, signal?: AbortSignal): Promise<RunReport> {
  signal?.throwIfAborted();
  let stopRunner = (): void => {};
  const onAbort = () => stopRunner();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { report } = await runLoad(runSpec(s, durationS), { progress: null, handleSignals: false, onRunner: (r) => (stopRunner = () => r.abort()) });
    signal?.throwIfAborted();
    return report;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Load that is not measured: connections open, code paths hot, caches and the store warm. */
export async function warmUp(s: LoadSpec, seconds: number, signal?: AbortSignal): Promise<void> {
  await load(s, seconds, signal);
}

/** One measured run: the report, and the CPU each group (and the load tester) spent in it. */
export async function measureRun(s: LoadSpec, groups: readonly Group[], signal?: AbortSignal): Promise<Measurement> {
  const busy0 = machineBusySeconds();
  const before = groups.map((g) => cpuSnapshot(g.roots()));
  const report = await load(s, s.durationS, signal);
  const after = groups.map((g) => cpuSnapshot(g.roots()));
  const busy1 = machineBusySeconds();
  const cpuS: Record<string, number> = {};
  groups.forEach((g, i) => (cpuS[g.name] = cpuSecondsBetween(before[i]!, after[i]!)));
  cpuS['client'] = report.loadGenerator.cpuUserS + report.loadGenerator.cpuSystemS;
  const ours = Object.values(cpuS).reduce((a, b) => a + b, 0);
  const otherCores = report.durationS > 0 ? Math.max(0, (busy1 - busy0 - ours) / report.durationS) : 0;
  return { report, cpuS, otherCores };
}
