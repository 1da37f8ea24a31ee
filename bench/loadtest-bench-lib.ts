// Shared by the load-tester benchmarks: starting and stopping servers, waiting for a quiet machine,
// reading a process's CPU time. Everything listens on 127.0.0.1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const POLARITY = join(ROOT, 'bin/polarity.js');
export const FAULT_SERVER = join(ROOT, 'dist/bench/loadtest-fault-server.js');

export const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

/** Runs `cmd` pinned to the given CPUs when taskset exists (else unpinned). */
export function pinned(cpus: string | null, cmd: string, args: string[]): [string, string[]] {
  return cpus !== null && hasTaskset ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
}

export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await sleep(100);
  }
}

export interface Started {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a process in its own group; stop() sends SIGTERM to the group and waits for the exit. */
export function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // gone already
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
      if (child.exitCode !== 0 && child.exitCode !== null && process.env.BENCH_DEBUG) process.stderr.write(out);
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Waits until the 1-minute load average is under `max` (other work on a shared machine skews
 * timings), at most `limitS` seconds; returns the load average it started with.
 */
export async function waitForQuiet(max: number, limitS: number, log: (s: string) => void): Promise<number> {
  const end = Date.now() + limitS * 1000;
  let warned = false;
  while (loadavg()[0]! > max && Date.now() < end) {
    if (!warned) log(`waiting for the machine to quieten (load average ${loadavg()[0]!.toFixed(2)} > ${max})…`);
    warned = true;
    await sleep(5000);
  }
  return loadavg()[0]!;
}

export function locustVersion(): string | null {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format string, not a template
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'python3-locust'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout) return r.stdout.trim();
  return existsSync('/usr/bin/locust') ? 'unknown' : null;
}
