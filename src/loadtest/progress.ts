// Live progress on stderr: one status line rewritten in place each second on a terminal; a plain
// line every `plainEverySec` seconds otherwise (logs, CI), so output stays readable in both.
import type { Sample } from './report.js';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  durationS: number;
  targetUsers: number;
  plainEverySec?: number;
  label?: string;
}

const fmtS = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.floor(s)}s`);

export function progressLine(s: Sample, durationS: number, targetUsers: number, avgRps: number): string {
  const failPct = s.requests ? (s.failures / s.requests) * 100 : 0;
  return (
    `${fmtS(s.t)}/${fmtS(durationS)}  users ${s.users}/${targetUsers}  RPS ${s.rps.toFixed(1)} (avg ${avgRps.toFixed(1)})  ` +
    `requests ${s.requests}  failures ${s.failures} (${failPct.toFixed(2)}%)  p50 ${Math.trunc(s.p50)} ms  p95 ${Math.trunc(s.p95)} ms  ` +
    `${fmtS(Math.max(0, durationS - s.t))} left`
  );
}

export class Progress {
  private readonly tty: boolean;
  private lastPlain = -Infinity;
  private drawn = false;

  constructor(private readonly opts: ProgressOptions) {
    this.tty = Boolean(opts.stream.isTTY);
  }

  update(s: Sample, avgRps: number): void {
    const line = (this.opts.label ? `${this.opts.label}  ` : '') + progressLine(s, this.opts.durationS, this.opts.targetUsers, avgRps);
    if (this.tty) {
      const width = (this.opts.stream.columns ?? 120) - 1;
      this.opts.stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
      this.drawn = true;
    } else if (s.t - this.lastPlain >= (this.opts.plainEverySec ?? 5) - 0.01) {
      this.lastPlain = s.t;
      this.opts.stream.write(line + '\n');
    }
  }

  /** Leaves the status line in place and moves to a fresh line. */
  end(message?: string): void {
    if (this.tty && this.drawn) this.opts.stream.write('\n');
    this.drawn = false;
    if (message) this.opts.stream.write(message + '\n');
  }
}
