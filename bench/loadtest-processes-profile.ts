// Where the CPU of `polarity loadtest --processes N` goes, process by process (issue #19): runs one
// load test against the bare fault server and samples /proc every 20 ms for the load tester's
// process tree — the parent (coordinator) and each forked child — keeping each process's last
// utime+stime and voluntary/involuntary context switches (a voluntary switch is the event loop
// going to sleep: one per wake-up, near enough).
//
//   npm run build && node dist/bench/loadtest-processes-profile.js [--processes 1,2] [--reps 2]
//        [--duration 15] [--args '--rate 2500/s --connections 100']
//
// Prints, per run and process: CPU ms, µs per request (of the whole run's requests), wake-ups per
// request. A child's figures miss at most its last 20 ms. Loopback only; every run is bounded.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAULT_SERVER, POLARITY, startProcess, waitForPort } from './loadtest-bench-lib.js';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '2' },
    duration: { type: 'string', default: '15' },
    port: { type: 'string', default: '18412' },
    args: { type: 'string', default: '--rate 2500/s --connections 100' },
  },
});

interface ProcSample {
  cpuMs: number;
  userMs: number;
  /** the main thread's CPU: the event loop (the rest is V8's and libuv's helper threads: GC, JIT) */
  mainMs: number;
  voluntary: number;
  involuntary: number;
}

function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (k: string): number => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const m = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const g = m.slice(m.lastIndexOf(')') + 2).split(' ');
    return {
      cpuMs: (Number(f[11]) + Number(f[12])) * 10,
      userMs: Number(f[11]) * 10,
      mainMs: (Number(g[11]) + Number(g[12])) * 10,
      voluntary: num('voluntary_ctxt_switches'),
      involuntary: num('nonvoluntary_ctxt_switches'),
    };
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(' ').map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

async function profile(n: number, rep: number): Promise<void> {
  const args = ['loadtest', '--host', `http://127.0.0.1:${values.port}`, ...values.args!.split(' '), '-t', `${values.duration}s`, '--processes', String(n), '--json', '-q', '--seed', String(rep)];
  const child = spawn(process.execPath, [POLARITY, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const last = new Map<number, ProcSample>();
  const role = new Map<number, string>([[child.pid!, 'parent']]);
  // The parent's CPU when its first child appears: what it spent starting (the CLI), the rest is the run.
  let parentAtFork: number | null = null;
  const poll = setInterval(() => {
    for (const pid of [child.pid!, ...childrenOf(child.pid!)]) {
      if (!role.has(pid)) {
        role.set(pid, `child ${role.size}`);
        parentAtFork ??= last.get(child.pid!)?.cpuMs ?? null;
      }
      const s = sampleProc(pid);
      if (s) last.set(pid, s);
    }
  }, 20);
  await new Promise((r) => child.once('exit', r));
  clearInterval(poll);
  const report = JSON.parse(out);
  const req = report.requests as number;
  let total = 0;
  const parts: string[] = [];
  for (const [pid, s] of last) {
    total += s.cpuMs;
    const fork = pid === child.pid && parentAtFork !== null ? `, ${s.cpuMs - parentAtFork} ms after forking` : '';
    parts.push(
      `${role.get(pid)}: ${s.cpuMs} ms${fork} (user ${s.userMs}, main thread ${s.mainMs}) ${((s.cpuMs * 1000) / req).toFixed(1)} µs/req, ${(s.voluntary / req).toFixed(3)} wake/req (${s.voluntary} vol, ${s.involuntary} invol)`,
    );
  }
  process.stdout.write(
    `--processes ${n} rep ${rep}: ${req} requests, in-run ${(((report.loadGenerator.cpuUserS + report.loadGenerator.cpuSystemS) * 1e6) / req).toFixed(1)} µs/req, tree ${((total * 1000) / req).toFixed(1)} µs/req\n  ${parts.join('\n  ')}\n`,
  );
}

const server = startProcess(process.execPath, [FAULT_SERVER, '--port', values.port!]);
try {
  await waitForPort(Number(values.port));
  const ns = values.processes!.split(',').map(Number);
  for (let rep = 1; rep <= Number(values.reps); rep++) for (const n of rep % 2 ? ns : [...ns].reverse()) await profile(n, rep);
} finally {
  await server.stop();
}
