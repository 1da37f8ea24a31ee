// One load test in this process, wired to the real world: resolves the host, runs the scheduler on
// real sockets and timers, samples every second (time series, CSV history, live progress), measures
// the load tester's own CPU time and event-loop delay, and turns Ctrl-C into a clean stop.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { historyRows } from './csv.js';
import { createTransport } from './http-client.js';
import { createFeed, type DataOrder } from './data.js';
import { liveSnapshot, type LiveSnapshot } from './live.js';
import { OpenRunner } from './open-runner.js';
import { createRandom } from './prng.js';
import { Progress } from './progress.js';
import { buildReport, sample, type RunParameters, type RunReport, type RunnerView, type Sample } from './report.js';
import { Runner, type TextSource } from './runner.js';
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
  if (spec.startAt != null) {
    const wait = spec.startAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const history: Sample[] = [];
  let historyCsv = '';
  const progress = hooks.progress
    ? new Progress({ stream: hooks.progress, durationS: spec.durationS, targetUsers: spec.mode === 'rate' && spec.rate ? spec.rate.connections : spec.users, label: hooks.progressLabel })
    : null;
  const onTick = (r: RunnerView): void => {
    const s = sample(r);
    history.push(s);
    if (hooks.csvHistory) historyCsv += historyRows(r.stats, r.userCount, r.clock.wall(), hooks.csvHistory === 'full');
    progress?.update(s, r.stats.total.totalRps);
    hooks.onSnapshot?.(liveSnapshot(r));
  };

  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  // The same once every user runs: starting users (connects) is the heaviest part of a run.
  const eldSteady = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  eld.enable();
  const onStopping = (): void => {
    // The event-loop delay that matters is the one while requests are being sent and timed.
    eld.disable();
    eldSteady.disable();
  };
  const runner =
    spec.mode === 'rate'
      ? new OpenRunner({
          scenario: spec.scenario,
          ratePerS: spec.rate!.perS,
          slice: spec.rate!.slice ?? null,
          rampMs: spec.rate!.rampS * 1000,
          durationMs: spec.durationS * 1000,
          timeoutMs: spec.timeoutS * 1000,
          stopTimeoutMs: spec.stopTimeoutS * 1000,
          maxRequests: spec.maxRequests ?? Infinity,
          maxConnections: spec.rate!.connections,
          random,
          transport: createTransport(target),
          texts,
          onTick,
          onStopping,
        })
      : new Runner({
          scenario: spec.scenario,
          users: spec.users,
          spawnRate: spec.mode === 'max' ? Infinity : spec.spawnRate,
          durationMs: spec.durationS * 1000,
          timeoutMs: spec.timeoutS * 1000,
          stopTimeoutMs: spec.stopTimeoutS * 1000,
          maxRequests: spec.maxRequests ?? Infinity,
          noWait: spec.mode === 'max',
          random,
          transport: createTransport(target),
          texts,
          onTick,
          onStopping,
          onSpawned: () => eldSteady.enable(),
        });
  // The open model has no spawning: it is "after the ramp" from the start.
  if (runner instanceof OpenRunner) eldSteady.enable();
  hooks.onRunner?.(runner);

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
    eld.disable();
    eldSteady.disable();
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  progress?.end();

  const parameters: RunParameters = {
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
  // The histogram holds whole timer intervals; the delay is what exceeds the resolution.
  const ms = (ns: number): number => Math.max(0, Math.round((ns - ELD_RESOLUTION_MS * 1e6) / 1e4) / 100);
  const report = buildReport(
    runner,
    parameters,
    history,
    {
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
      eventLoopDelayMs: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
      eventLoopDelayAfterRampMs: eldSteady.count > 0 ? { p50: ms(eldSteady.percentile(50)), p99: ms(eldSteady.percentile(99)), max: ms(eldSteady.max) } : null,
      requestsSent: runner.requestsSent,
      abandoned: runner.abandoned,
    },
    runner instanceof OpenRunner ? runner.info() : null,
  );
  return { report, runner, historyCsv };
}
