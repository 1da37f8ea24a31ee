// --processes N: one run on N load-generator processes (all cores), one merged report.
//
// The parent forks N children (worker.ts) over IPC, splits the load between them — users and spawn
// rate, or the open model's arrivals (the 1-ms windows of one schedule, shared out) and connections,
// the request bound — gives each its own seed (seed + i) and its own starting text, and starts them
// at the same wall-clock time once all are ready. Each child runs an ordinary run (run.ts) and sends
// its live snapshot every second and its --json result at the end; the parent adds the snapshots up
// for the progress line and the live page and merges the results exactly (merge.ts). Ctrl-C reaches
// the children too (same process group); a stop the parent decides on is sent to them as a message.
import { fork, type ChildProcess } from 'node:child_process';
import { mergeReports } from './merge.js';
import { mergeSnapshots, type LiveSnapshot } from './live.js';
import type { RunReport } from './report.js';
import type { RunHooks, RunSpec } from './run.js';
import { Progress } from './progress.js';
import { resolveTarget } from './target.js';
import { UserError } from '../user-error.js';

/** Parent → child: what to run; child → parent: ready, snapshots, the result or an error. */
export type ToChild = { type: 'run'; spec: RunSpec } | { type: 'stop' };
export type FromChild = { type: 'ready' } | { type: 'snapshot'; snapshot: LiveSnapshot } | { type: 'report'; report: RunReport } | { type: 'error'; message: string };

/** The i-th of n shares of a whole number, the first ones one larger. */
function share(total: number, i: number, n: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** The part of the run the i-th of n processes does. */
export function splitSpec(spec: RunSpec, i: number, n: number): RunSpec {
  const seed = ((spec.seed ?? 0) + i) >>> 0;
  const part: RunSpec = { ...spec, seed };
  if (spec.mode === 'rate' && spec.rate) {
    // Each takes its share of the 1-ms windows of the one schedule (open-runner.ts).
    part.rate = { ...spec.rate, perS: spec.rate.perS / n, connections: Math.max(1, share(spec.rate.connections, i, n)), slice: { index: i, of: n } };
  } else {
    part.users = share(spec.users, i, n);
    part.spawnRate = (spec.spawnRate * part.users) / spec.users;
  }
  if (spec.maxRequests !== null) part.maxRequests = Math.max(1, share(spec.maxRequests, i, n));
  if (spec.data) part.data = { ...spec.data, offset: (spec.data.offset ?? 0) + Math.floor((spec.data.texts.length * i) / n) };
  return part;
}

export async function runProcesses(spec: RunSpec, n: number, hooks: RunHooks = {}): Promise<{ report: RunReport; parts: RunReport[] }> {
  if (spec.mode !== 'rate' && spec.users < n) throw new UserError(`--processes ${n} needs at least ${n} users (or connections)`);
  // A host that cannot be resolved is a usage error here, before any process starts.
  await resolveTarget(spec.host, { insecure: spec.insecure });
  // Without a seed the children's seeds are still recorded: derive them from one random seed.
  const base: RunSpec = { ...spec, seed: spec.seed ?? Math.floor(Math.random() * 2 ** 32) };
  const worker = new URL('./worker.js', import.meta.url);
  const children: ChildProcess[] = [];
  const latest: (LiveSnapshot | null)[] = Array(n).fill(null);
  const reports: (RunReport | null)[] = Array(n).fill(null);
  const progress = hooks.progress
    ? new Progress({ stream: hooks.progress, durationS: spec.durationS, targetUsers: spec.mode === 'rate' ? spec.rate!.connections : spec.users, label: hooks.progressLabel })
    : null;
  let failed: string | null = null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const child = fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    children.push(child);
    ready.push(
      new Promise((resolve, reject) => {
        child.on('message', (m: FromChild) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'snapshot') {
            latest[i] = m.snapshot;
            // One line per second: drawn when the first process reports.
            if (i === 0) {
              const merged = mergeSnapshots(latest.filter((s): s is LiveSnapshot => s !== null));
              hooks.onSnapshot?.(merged);
              const t = merged.total;
              progress?.update(
                { t: merged.t, users: merged.users, rps: t.rps, failPerSec: t.failPerSec, p50: t.p50 ?? 0, p95: t.p95 ?? 0, p99: 0, requests: t.requests, failures: t.failures },
                merged.t > 0 ? t.requests / merged.t : 0,
              );
            }
          } else if (m.type === 'report') reports[i] = m.report;
          else if (m.type === 'error') failed ??= m.message;
        });
        child.once('exit', () => reject(new Error(`load-generator process ${i + 1} exited before it was ready`)));
      }),
    );
    done.push(new Promise((resolve) => child.once('exit', () => resolve())));
  }
  const stopAll = (): void => {
    for (const c of children) if (c.connected) c.send({ type: 'stop' } satisfies ToChild);
  };
  hooks.onRunner?.({ stop: stopAll, abort: stopAll });
  // Ctrl-C goes to the whole process group: the children stop themselves; the parent waits for them.
  const onSigint = (): void => progress?.end('stopping: requests in flight may finish (Ctrl-C again to drop them)');
  const signals = hooks.handleSignals ?? true;
  if (signals) process.on('SIGINT', onSigint);
  try {
    await Promise.all(ready);
    // Started together: far enough ahead for the IPC message to arrive everywhere.
    const startAt = Math.max(spec.startAt ?? 0, Date.now() + 100);
    children.forEach((c, i) => c.send({ type: 'run', spec: { ...splitSpec(base, i, n), startAt } } satisfies ToChild));
    await Promise.all(done);
  } finally {
    if (signals) process.off('SIGINT', onSigint);
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  progress?.end();
  if (failed) throw new Error(failed);
  const missing = reports.indexOf(null);
  if (missing >= 0) throw new Error(`load-generator process ${missing + 1} ended without a result`);
  const report = mergeReports(reports as RunReport[]);
  report.parameters = { ...report.parameters, seed: base.seed!, processes: n };
  // The parent's own work (IPC, merging, progress) is the load generator's too.
  const cpu = process.cpuUsage(cpu0);
  const lg = report.loadGenerator;
  report.loadGenerator = {
    ...lg,
    cpuUserS: lg.cpuUserS + cpu.user / 1e6,
    cpuSystemS: lg.cpuSystemS + cpu.system / 1e6,
    cpuPercent: lg.cpuPercent + ((cpu.user + cpu.system) / 1e6 / ((performance.now() - t0) / 1000)) * 100,
  };
  return { report, parts: reports as RunReport[] };
}
