// One load test in this process, wired to the real world: resolves the host, runs the scheduler on
// real sockets and timers, samples every second (time series, CSV history, live progress), measures
// the load tester's own CPU time and event-loop delay, and turns Ctrl-C into a clean stop.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { historyRows } from './csv.js';
import { createTransport, type Target } from './http-client.js';
import { createFeed, type DataOrder } from './data.js';
import { liveSnapshot, type LiveSnapshot } from './live.js';
import { OpenRunner } from './open-runner.js';
import { createRandom, type Random } from './prng.js';
import { Progress } from './progress.js';
import { buildReport, sample, type LoadGeneratorInfo, type RunParameters, type RunReport, type RunnerView, type Sample } from './report.js';
import { Runner, type RequestHooks, type TaskOrder, type TextSource } from './runner.js';
import type { Scenario } from './scenario.js';
import { resolveTarget } from './target.js';

const ELD_RESOLUTION_MS = 10;

export interface RunSpec {
  host: string;
  scenario: Scenario;
  users: number;
  spawnRate: number;
  durationS: number;
  timeoutS: number;
  stopTimeoutS: number;
  maxRequests: number | null;
  mode: 'users' | 'max' | 'rate';
  seed?: number;
  /** open model (mode 'rate'): requests per second, ramp seconds, most connections */
  rate?: { perS: number; rampS: number; connections: number; slice?: { index: number; of: number } } | null;
  /** --data: the texts, where they came from, their order; offset: where round-robin starts */
  data?: { file: string; texts: readonly string[]; order: DataOrder; offset?: number } | null;
  /** https: accept any certificate (self-signed) */
  insecure?: boolean;
  /** wall-clock epoch ms to start at (--start-at); the target is resolved and ready before */
  startAt?: number | null;
  // The library's own (no command-line option):
  /** the local address connections are made from (127.0.0.2–5: more source ports) */
  localAddress?: string | null;
  /** how tasks are chosen: by weight at random (default, Locust's), or in turn — a fixed mix */
  taskOrder?: TaskOrder;
  /** closed model: each user sends this many requests and stops; the run ends once all have */
  requestsPerUser?: number | null;
  /** closed model: start the users (their connects) all in one go, not in slices */
  spawnAtOnce?: boolean;
}

export interface RunHooks {
  /** live progress goes here (stderr); null for none */
  progress?: NodeJS.WritableStream | null;
  progressLabel?: string;
  /** gather Locust's _stats_history.csv rows; with every endpoint too */
  csvHistory?: 'aggregate' | 'full' | null;
  /** stop on SIGINT (default true) */
  handleSignals?: boolean;
  /** every second: what the live page and a parent process show */
  onSnapshot?: (s: LiveSnapshot) => void;
  /** the runner once it exists: lets a caller stop it (a parent process, the live page) */
  onRunner?: (r: { stop(reason: 'interrupted'): void; abort(): void }) => void;
  /** per-request hooks: each request built by the caller, each response handed to it (loop.ts) */
  requests?: RequestHooks | null;
}

export interface RunOutcome {
  report: RunReport;
  runner: Runner | OpenRunner;
  /** the _stats_history.csv rows, without the header */
  historyCsv: string;
}

export async function runLoad(spec: RunSpec, hooks: RunHooks = {}): Promise<RunOutcome> {
  const target = await resolveTarget(spec.host, { insecure: spec.insecure });
  const random = createRandom(spec.seed);
  const texts: TextSource | null = spec.data ? { texts: spec.data.texts, feed: createFeed(spec.data.texts.length, spec.data.order, random.seed, spec.data.offset ?? 0) } : null;
  await waitUntil(spec.startAt);
  const sampler = new Sampler(spec, hooks);
  const meter = new Meter();
  const runner = createRunner(spec, hooks, target, random, texts, sampler, meter);
  hooks.onRunner?.(runner);
  await runWithSignals(runner, hooks, sampler.progress, meter);
  const loadGenerator = meter.result(runner);
  sampler.progress?.end();
  const report = buildReport(runner, runParameters(spec, target, random), sampler.history, loadGenerator, runner instanceof OpenRunner ? runner.info() : null);
  return { report, runner, historyCsv: sampler.historyCsv };
}

/** --start-at: sleeps until the wall-clock time, if it is still ahead. */
async function waitUntil(startAt: number | null | undefined): Promise<void> {
  if (startAt == null) return;
  const wait = startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** Every second's sample: the time series, the CSV history rows, the live progress and snapshots. */
class Sampler {
  readonly history: Sample[] = [];
  historyCsv = '';
  readonly progress: Progress | null;

  constructor(
    spec: RunSpec,
    private readonly hooks: RunHooks,
  ) {
    this.progress = hooks.progress
      ? new Progress({ stream: hooks.progress, durationS: spec.durationS, targetUsers: spec.mode === 'rate' && spec.rate ? spec.rate.connections : spec.users, label: hooks.progressLabel })
      : null;
  }

  readonly onTick = (r: RunnerView): void => {
    const s = sample(r);
    this.history.push(s);
    if (this.hooks.csvHistory) this.historyCsv += historyRows(r.stats, r.userCount, r.clock.wall(), this.hooks.csvHistory === 'full');
    this.progress?.update(s, r.stats.total.totalRps);
    this.hooks.onSnapshot?.(liveSnapshot(r));
  };
}

/** The load tester's own cost: CPU time, and event-loop delay over the run and once every user runs. */
class Meter {
  private readonly eld: IntervalHistogram;
  // The same once every user runs: starting users (connects) is the heaviest part of a run.
  private readonly eldSteady: IntervalHistogram;
  private readonly cpu0: NodeJS.CpuUsage;
  private readonly t0: number;

  constructor() {
    this.eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eldSteady = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.cpu0 = process.cpuUsage();
    this.t0 = performance.now();
    this.eld.enable();
  }

  readonly steady = (): void => {
    this.eldSteady.enable();
  };

  /** The event-loop delay that matters is the one while requests are being sent and timed. */
  readonly stopping = (): void => {
    this.eld.disable();
    this.eldSteady.disable();
  };

  result(runner: Runner | OpenRunner): LoadGeneratorInfo {
    const wallS = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    // The histogram holds whole timer intervals; the delay is what exceeds the resolution.
    const ms = (ns: number): number => Math.max(0, Math.round((ns - ELD_RESOLUTION_MS * 1e6) / 1e4) / 100);
    const { eld, eldSteady } = this;
    return {
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
      eventLoopDelayMs: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
      eventLoopDelayAfterRampMs: eldSteady.count > 0 ? { p50: ms(eldSteady.percentile(50)), p99: ms(eldSteady.percentile(99)), max: ms(eldSteady.max) } : null,
      requestsSent: runner.requestsSent,
      abandoned: runner.abandoned,
    };
  }
}

/** The open model (mode 'rate') or the closed one, on real sockets. */
function createRunner(spec: RunSpec, hooks: RunHooks, target: Target, random: Random, texts: TextSource | null, sampler: Sampler, meter: Meter): Runner | OpenRunner {
  const requests = hooks.requests ?? null;
  const common = {
    scenario: spec.scenario,
    durationMs: spec.durationS * 1000,
    timeoutMs: spec.timeoutS * 1000,
    stopTimeoutMs: spec.stopTimeoutS * 1000,
    maxRequests: spec.maxRequests ?? Infinity,
    random,
    transport: createTransport(target, { localAddress: spec.localAddress, keepHeaders: requests?.keepHeaders, keepBody: requests?.keepBody }),
    texts,
    taskOrder: spec.taskOrder,
    requests,
    onTick: sampler.onTick,
    onStopping: meter.stopping,
  };
  if (spec.mode === 'rate') {
    const rate = spec.rate!;
    const runner = new OpenRunner({ ...common, ratePerS: rate.perS, slice: rate.slice ?? null, rampMs: rate.rampS * 1000, maxConnections: rate.connections });
    meter.steady(); // the open model has no spawning: it is "after the ramp" from the start
    return runner;
  }
  return new Runner({
    ...common,
    users: spec.users,
    spawnRate: spec.mode === 'max' ? Infinity : spec.spawnRate,
    noWait: spec.mode === 'max',
    onSpawned: meter.steady,
    requestsPerUser: spec.requestsPerUser ?? undefined,
    spawnAtOnce: spec.spawnAtOnce === true,
  });
}

/** Runs to the end; Ctrl-C once stops (requests in flight may finish), twice drops them. */
async function runWithSignals(runner: Runner | OpenRunner, hooks: RunHooks, progress: Progress | null, meter: Meter): Promise<void> {
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      progress?.end('stopping: requests in flight may finish (Ctrl-C again to drop them)');
      runner.stop('interrupted');
    } else runner.abort();
  };
  const signals = hooks.handleSignals ?? true;
  if (signals) process.on('SIGINT', onSigint);
  try {
    await runner.run();
  } finally {
    if (signals) process.off('SIGINT', onSigint);
    meter.stopping();
  }
}

function runParameters(spec: RunSpec, target: Target, random: Random): RunParameters {
  return {
    host: target.baseUrl,
    users: spec.users,
    spawnRate: spec.mode === 'max' ? spec.users : spec.spawnRate,
    durationS: spec.durationS,
    timeoutS: spec.timeoutS,
    stopTimeoutS: spec.stopTimeoutS,
    maxRequests: spec.maxRequests,
    mode: spec.mode,
    seed: random.seed,
    scenario: spec.scenario,
    ...(spec.rate ? { rate: { perS: spec.rate.perS, rampS: spec.rate.rampS, connections: spec.rate.connections } } : {}),
    ...(spec.data ? { data: { file: spec.data.file, texts: spec.data.texts.length, order: spec.data.order } } : {}),
  };
}
