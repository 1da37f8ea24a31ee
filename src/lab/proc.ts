// What the kernel says about processes (Linux /proc): CPU time and memory of a process tree, and
// the machine's busy time. The only reader of /proc/<pid>/stat in the repository.
//
// CPU time per request is measured from /proc/<pid>/stat rather than inferred from requests per
// second: on a shared machine a neighbour's load changes how fast requests go, much less how much
// CPU each costs. utime + stime count every thread of a process; cutime + cstime add the children
// it has reaped (a PostgreSQL backend that exits is counted in the postmaster's), so the sum over
// a tree, taken before and after a run, is the CPU the tree used in between.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on every Linux architecture Node.js supports

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime, in ticks */
  ticks: number;
  /** utime + stime of this task alone */
  own: number;
}

export function readStat(path: string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone
  }
  // The command name is in parentheses and may hold spaces or parentheses: split after the last ")".
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); utime is field 14 → f[11], stime f[12], cutime f[13], cstime f[14].
  const n = (i: number) => Number(f[i]);
  return { pid: Number(text.slice(0, text.indexOf(' '))), ppid: n(1), comm, own: n(11) + n(12), ticks: n(11) + n(12) + n(13) + n(14) };
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = readStat(`/proc/${d}/stat`);
    if (s) out.push(s);
  }
  return out;
}

/** The pid and all its descendants, now. */
export function processTree(root: number): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    if (!stats.some((s) => s.pid === p)) continue;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** A snapshot of the CPU ticks of each process of some trees. */
export type CpuSnapshot = Map<number, number>;

export function cpuSnapshot(roots: readonly number[]): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const root of roots) {
    for (const pid of processTree(root)) {
      const s = readStat(`/proc/${pid}/stat`);
      if (s) snap.set(pid, s.ticks);
    }
  }
  return snap;
}

/** CPU seconds used between two snapshots of the same trees (processes born in between start at 0). */
export function cpuSecondsBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  // A process that existed before and is gone now (reaped: its time moved to its parent's cutime).
  for (const [pid, t] of before) if (!after.has(pid)) ticks -= t;
  return ticks / TICKS_PER_SECOND;
}

/** Memory of one process from /proc/<pid>/smaps_rollup, MiB: proportional set size, its anonymous and its shared-memory parts. */
export function processMemory(pid: number): { pssMiB: number; anonMiB: number; shmemMiB: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pssMiB: kb('Pss') / 1024, anonMiB: kb('Pss_Anon') / 1024, shmemMiB: kb('Pss_Shmem') / 1024 };
}

/** CPU seconds of a process tree now (utime + stime + reaped children's): a single reading. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const t of cpuSnapshot([root]).values()) ticks += t;
  return ticks / TICKS_PER_SECOND;
}

/** Resident memory of a process tree now, bytes (VmRSS of each process). */
export function treeRssBytes(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/** CPU seconds the whole machine spent busy since boot (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: busy is everything but idle
  // and iowait (and guest time, which the kernel already counts in user time)
  const busy = f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0) - (f[8] ?? 0) - (f[9] ?? 0);
  return busy / TICKS_PER_SECOND;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}
