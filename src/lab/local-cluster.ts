// The local cluster driver: deploy/local-cluster from TypeScript, for the programs that build one
// (test/cluster, `polarity plan calibrate`, bench/plan-validate, bench/cluster). Each gives the cluster its own
// name, subnet and state directory; they share how the script is run, the processes of a
// namespace, waiting for an answer, and one lock file so that only one of them has a cluster up on
// a machine at a time (they would otherwise tear down each other's bridges and namespaces).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup.js';
import { LabError } from './errors.js';
import { PATH, ROOT, sleep } from './system.js';

export const CLUSTER_SCRIPT = join(ROOT, 'deploy/local-cluster');
/** Holds the pid of the process that has a cluster up (the name predates the other users). */
export const CLUSTER_LOCK = join(tmpdir(), 'polarity-cluster-test.lock');

export class LocalClusterError extends LabError {}

/** deploy/local-cluster's settings (its POLARITY_CLUSTER_* variables); unset ones keep its defaults. */
export interface ClusterSettings {
  /** ≤ 10 of [a-z0-9]: the prefix of its namespaces and links */
  readonly name: string;
  /** the /24 as three octets, e.g. 10.77.1 */
  readonly net: string;
  /** logs, data and pid files */
  readonly state: string;
  readonly apps?: number;
  readonly workers?: number;
}

export function clusterEnv(c: ClusterSettings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH,
    POLARITY_CLUSTER_NAME: c.name,
    POLARITY_CLUSTER_NET: c.net,
    POLARITY_CLUSTER_STATE: c.state,
    ...(c.apps === undefined ? {} : { POLARITY_CLUSTER_APPS: String(c.apps) }),
    ...(c.workers === undefined ? {} : { POLARITY_CLUSTER_WORKERS: String(c.workers) }),
  };
}

/** `deploy/local-cluster ARGS…`, waited for; its stdout. Its stderr goes into the error, or to ours with `stderr: 'inherit'`. */
export function runClusterSync(c: ClusterSettings, args: readonly string[], opts: { stderr?: 'capture' | 'inherit' } = {}): string {
  const r = spawnSync(CLUSTER_SCRIPT, args, { env: clusterEnv(c), encoding: 'utf8', stdio: ['ignore', 'pipe', opts.stderr === 'inherit' ? 'inherit' : 'pipe'] });
  if (r.error) throw new LocalClusterError(`deploy/local-cluster ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new LocalClusterError(`deploy/local-cluster ${args.join(' ')} failed (exit ${r.status ?? r.signal})${r.stderr ? `: ${r.stderr}` : ''}`);
  return r.stdout;
}

/** `deploy/local-cluster ARGS…` without blocking the event loop (for tests that serve requests meanwhile). */
export function runCluster(c: ClusterSettings, args: readonly string[], timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CLUSTER_SCRIPT, args, { env: clusterEnv(c), timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new LocalClusterError(`deploy/local-cluster ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The processes running in a network namespace (`ip netns pids`); none if it does not exist. */
export function namespacePids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', env: { ...process.env, PATH } });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : [];
}

/**
 * Takes the machine's cluster lock, waiting for its holder up to `timeoutMs`. A lock whose holder
 * is gone (a killed run) is taken over — remove its cluster with `down` before `up`. Re-entrant:
 * resolves false when this process holds it already (bench/plan-validate holds it while it
 * calibrates), true when taken now — then the caller releases it.
 */
export async function acquireClusterLock(opts: { timeoutMs: number; pollMs?: number; onWait?: (owner: number) => void; file?: string }): Promise<boolean> {
  const file = opts.file ?? CLUSTER_LOCK;
  const deadline = performance.now() + opts.timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: number;
    let ageMs: number;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
      ageMs = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue; // released between our calls: try again
    }
    if (owner === process.pid) return false;
    if (!(owner > 0) && ageMs < 5000) {
      await sleep(50); // just created, its pid not written yet
      continue;
    }
    let alive = false;
    try {
      alive = owner > 0 && (process.kill(owner, 0), true);
    } catch {
      alive = false;
    }
    if (!alive) rmSync(file, { force: true });
    else if (performance.now() > deadline) throw new LocalClusterError(`another cluster user (pid ${owner}) holds ${file}`);
    else {
      if (!told) opts.onWait?.(owner);
      told = true;
      await sleep(opts.pollMs ?? 1000);
    }
  }
}

/** Releases the lock if this process holds it. */
export function releaseClusterLock(file = CLUSTER_LOCK): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
  } catch {
    // not ours, or gone
  }
}

/** Polls URL until it answers 2xx; fails after `seconds`, or as soon as `alive()` says the server exited. */
export async function waitForOk(url: string, seconds: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    if (!alive()) throw new LocalClusterError(`the process behind ${url} exited`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new LocalClusterError(`no answer from ${url} within ${seconds} s`);
}

/** The cluster lock until the stack unwinds (a lock this process holds already stays with its taker). */
export async function holdClusterLock(stack: CleanupStack, log: (line: string) => void): Promise<void> {
  const taken = await acquireClusterLock({ timeoutMs: 15 * 60_000, onWait: (owner) => log(`waiting for another cluster user (pid ${owner}, ${CLUSTER_LOCK}) to finish …`) });
  if (taken) stack.defer('the cluster lock', () => releaseClusterLock());
}

/** A fresh cluster (whatever was left under its name is removed first); `down` when the stack unwinds. */
export function clusterUp(stack: CleanupStack, c: ClusterSettings, opts: { stderr?: 'capture' | 'inherit' } = {}): () => Promise<void> {
  stack.signal.throwIfAborted();
  runClusterSync(c, ['down'], opts);
  const down = stack.defer(`local cluster ${c.name}`, () => void runClusterSync(c, ['down'], opts));
  runClusterSync(c, ['up'], opts);
  return down;
}

/** The postmaster's pid of a cluster's database host. */
export function clusterPostmaster(c: ClusterSettings): number {
  return Number(readFileSync(join(c.state, 'db/data/postmaster.pid'), 'utf8').split('\n')[0]);
}
