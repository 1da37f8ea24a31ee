// CPU pinning with taskset (util-linux): which cores a process — every thread of it — may run on.
// The lab pins the process being measured apart from the load tester so that one's CPU time is not
// the other's waiting time; on one core nothing can be pinned apart.
import { spawnSync } from 'node:child_process';
import type { CleanupStack } from './cleanup.js';
import { LabError } from './errors.js';

/** The argv prefix that starts a command on `cores` (taskset execs it: the pid stays the command's). */
export function onCores(cores: string | undefined, argv: readonly string[]): string[] {
  return cores === undefined ? [...argv] : ['taskset', '-c', cores, ...argv];
}

/** The affinity mask of a process, as taskset prints it (hex), or undefined if it is gone. */
export function affinity(pid: number): string | undefined {
  return /mask:\s*([0-9a-f]+)/.exec(spawnSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }).stdout ?? '')?.[1];
}

/** Pins running processes (all their threads) to a CPU list like "0" or "0-1". Gone ones are skipped. */
export function pin(pids: readonly number[], cores: string, opts: { strict?: boolean } = {}): void {
  for (const pid of pids) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { encoding: 'utf8' });
    if (r.status !== 0 && opts.strict) throw new LabError(`taskset -a -p -c ${cores} ${pid}: ${r.stderr.trim()}`);
  }
}

/** Pins this process to `cores` until the stack unwinds, when its old mask comes back. */
export function pinSelf(stack: CleanupStack, cores: string): void {
  const old = affinity(process.pid);
  pin([process.pid], cores, { strict: true });
  if (old) stack.defer('restore this process’s CPU mask', () => void spawnSync('taskset', ['-a', '-p', old, String(process.pid)]));
}
