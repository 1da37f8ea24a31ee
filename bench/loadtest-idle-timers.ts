// The CPU one load-generator process spends on its timers alone, with no request sent (issue #19's
// per-process baseline): a Node.js process whose event loop wakes as a load-generator process's
// scheduler makes it wake, plus what every run has — the two event-loop-delay monitors (10 ms) and
// the 1-s tick. Prints the CPU ms per second of the run (start-up excluded).
//
//   node dist/bench/loadtest-idle-timers.js --mode open|closed|none --rate R [--of N] --duration S
//
//  open    the open model's scheduler (open-runner.ts arrive()): arrivals k/R s after the start
//          (R: the whole schedule's rate), cut into 1-ms windows; this process takes one of every N
//          non-empty windows (as one of --processes N) and wakes when its window's last arrival is due
//          (Node makes a sub-ms sleep 1 ms)
//  closed  the think-time wheel (timer-wheel.ts): users due at random, R per second on average (R: this
//          process's share),
//          woken at the first 1-ms tick at or after the due time — one wake-up per occupied ms
//  none    --max: no scheduler timer (requests go back to back), only the monitors and the tick
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { mode: { type: 'string', default: 'open' }, rate: { type: 'string', default: '1000' }, of: { type: 'string', default: '1' }, duration: { type: 'string', default: '10' } },
});
const rate = Number(values.rate);
const of = Number(values.of);
let window = -1;
let windows = 0;
const durationMs = Number(values.duration) * 1000;
const monitors = [monitorEventLoopDelay({ resolution: 10 }), monitorEventLoopDelay({ resolution: 10 })];
for (const m of monitors) m.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const tick = setInterval(() => {}, 1000);
let k = 0;
let seed = 12345;
const uniform = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
let nextDue = 0;

function end(): void {
  clearInterval(tick);
  for (const m of monitors) m.disable();
  const c = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ mode: values.mode, rate, cpuMsPerS: (c.user + c.system) / 1000 / s }) + '\n');
}

function wake(): void {
  const now = performance.now() - t0;
  if (now >= durationMs) return end();
  if (values.mode === 'open') {
    // The last arrival of this process's next window.
    let last = -1;
    for (;;) {
      const due = (k * 1000) / rate;
      const w = Math.floor(due);
      if (w !== window) {
        if (last > now) break;
        window = w;
        windows++;
      }
      if ((windows - 1) % of === 0) last = due;
      k++;
    }
    setTimeout(wake, last - now);
  } else {
    // Exponential gaps between users' due times; the wheel fires at whole milliseconds.
    while (nextDue <= now) nextDue += (-Math.log(uniform()) * 1000) / rate;
    setTimeout(wake, Math.ceil(nextDue) - now);
  }
}

if (values.mode === 'none') setTimeout(end, durationMs);
else wake();
