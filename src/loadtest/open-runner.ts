// The open model (--rate): requests start at a fixed arrival rate, whatever the server does, the
// way k6's constant-arrival-rate and ramping-arrival-rate executors drive a system (k6 docs,
// "Open and closed models"; Gil Tene, "How NOT to measure latency", on coordinated omission).
//
// Why: in the closed model (users that wait for an answer before their next request) a server that
// stalls also stops the load tester from sending, so the requests that would have met the stall are
// never sent and never timed — the percentiles hide it. Here every request has an intended send time
// (k/rate, or along a linear ramp), and its response time counts from that intended time: a request
// that had to wait for a free connection, or that the load tester sent late, carries the wait.
//
// Arrivals go out a window at a time: the schedule is cut into 1-ms windows and each window's
// arrivals are sent together when its last one is due (each at most 1 ms late — what Node's 1-ms
// timers allow anyway). With --processes N, each window of the one schedule goes to one process —
// the one with the fewest arrivals so far (each process works this out alike, as it goes through the
// whole schedule). Together they send exactly one process's arrivals at the same times (N schedules
// at 1/N of the rate would send in step, N requests at once), and each wakes once per window with
// as many requests per wake-up as one process, not about once per request.
//
// Requests go over a pool of keep-alive connections, opened as needed up to `maxConnections`; when
// every connection is busy, due requests queue in order and go out as connections free up. The
// report counts requests sent more than LATE_AFTER_MS after their intended time and those still
// queued at the end (never sent). Time goes through the Clock, as in runner.ts.
import { LoadLoop, Member, type LoopOptions } from './loop.js';
import type { OpenModelInfo } from './report.js';

/** A request this much later than its intended time counts as not sent on time. */
export const LATE_AFTER_MS = 10;
/** Most requests sent in one timer callback before letting responses be read. */
const SEND_SLICE = 256;
/** Arrivals due within one window of the schedule go out together, when the window's last is due. */
export const WINDOW_MS = 1;

export interface OpenRunnerOptions extends LoopOptions<OpenRunner> {
  /** requests started per second once the ramp is over (this process's share with `slice`) */
  ratePerS: number;
  /** --processes N: this is process `index` of `of`, each with ratePerS of the whole schedule's of × ratePerS */
  slice?: { index: number; of: number } | null;
  /** linear ramp from 0 to the rate, ms (0: the full rate at once) */
  rampMs: number;
  maxConnections: number;
}

/** When the k-th request (from 0) is due, ms after the start: k/rate, or along a linear ramp. */
export function intendedTimeMs(k: number, ratePerS: number, rampMs: number): number {
  const perMs = ratePerS / 1000;
  if (rampMs <= 0) return k / perMs;
  // During the ramp the rate is perMs·t/ramp, so N(t) = perMs·t²/(2·ramp) requests are due by t.
  const duringRamp = (perMs * rampMs) / 2;
  if (k < duringRamp) return Math.sqrt((2 * k * rampMs) / perMs);
  return rampMs + (k - duringRamp) / perMs;
}

/** The pool's connections are the loop's members (a slot each), timed from their intended send. */
type Slot = Member;

export class OpenRunner extends LoadLoop<Slot> {
  intended = 0;
  late = 0;
  unsent = 0;
  maxLagMs = 0;

  private readonly idle: Slot[] = [];
  /** intended send times (clock ms) of requests waiting for a connection; a queue from `queueHead` */
  private queue: number[] = [];
  private queueHead = 0;
  /** the next arrival of the whole schedule (all processes) not looked at yet */
  private nextK = 0;
  /** the window of the last arrival looked at, the process it goes to, each process's arrivals so far */
  private window = -1;
  private owner = 0;
  private readonly shares: number[];
  /** this process's current window: due times (ms after the start), sent from `pendingHead` */
  private readonly pending: number[] = [];
  private pendingHead = 0;
  private scheduleOver = false;
  private readonly slice: { index: number; of: number };
  private readonly scheduleRate: number;

  constructor(private readonly opts: OpenRunnerOptions) {
    if (!(opts.ratePerS > 0)) throw new RangeError('rate must be above 0');
    if (!(opts.maxConnections >= 1)) throw new RangeError('connections must be at least 1');
    const slice = opts.slice ?? { index: 0, of: 1 };
    if (!(slice.of >= 1 && slice.index >= 0 && slice.index < slice.of)) throw new RangeError('slice: index must be in [0, of)');
    // No users, so no on-start requests: each arrival is one task chosen by weight.
    super(opts);
    this.slice = slice;
    this.scheduleRate = opts.ratePerS * slice.of;
    this.shares = new Array<number>(slice.of).fill(0);
  }

  protected override begin(): void {
    this.startTimers();
    this.arrive();
  }

  info(): OpenModelInfo {
    return { intended: this.intended, late: this.late, unsent: this.unsent, lateAfterMs: LATE_AFTER_MS, maxLagMs: Math.round(this.maxLagMs * 10) / 10 };
  }

  /**
   * Fills `pending` with this process's next window of arrivals; false when no arrival due within
   * the run is left.
   */
  private nextWindow(): boolean {
    this.pending.length = 0;
    this.pendingHead = 0;
    while (!this.scheduleOver) {
      const due = intendedTimeMs(this.nextK, this.scheduleRate, this.opts.rampMs);
      if (due >= this.opts.durationMs) {
        this.scheduleOver = true; // the last one due within the run has been looked at
        break;
      }
      const w = Math.floor(due / WINDOW_MS);
      if (w !== this.window) {
        if (this.pending.length > 0) return true; // this process's window is complete
        this.window = w;
        this.owner = 0;
        for (let i = 1; i < this.shares.length; i++) if (this.shares[i]! < this.shares[this.owner]!) this.owner = i;
      }
      this.nextK++;
      this.shares[this.owner] = this.shares[this.owner]! + 1;
      if (this.owner === this.slice.index) this.pending.push(due);
    }
    return this.pending.length > 0;
  }

  /** Starts every request of a window whose last arrival is due, then sleeps until the next one's is. */
  private arrive(): void {
    if (this.state !== 'running') return;
    const now = this.clock.now();
    let sent = 0;
    for (;;) {
      if (this.pendingHead === this.pending.length && !this.nextWindow()) return;
      const last = this.pending[this.pending.length - 1]!;
      if (this.startedAt + last > now) {
        this.after(this.startedAt + last - now, () => this.arrive());
        return;
      }
      if (sent === SEND_SLICE) {
        this.after(0, () => this.arrive());
        return;
      }
      if (this.intended >= this.opts.maxRequests) return this.stop('max-requests');
      const due = this.pending[this.pendingHead++]!;
      this.intended++;
      sent++;
      this.dispatch(this.startedAt + due);
      if (this.state !== 'running') return;
    }
  }

  private dispatch(intendedAt: number): void {
    let slot = this.idle.pop();
    if (slot === undefined && this.members.length < this.opts.maxConnections) {
      slot = new Member(this.transport.connection(), this.members.length, this);
      this.admit(slot);
    }
    if (slot === undefined) this.queue.push(intendedAt);
    else this.sendAt(slot, intendedAt);
  }

  private sendAt(slot: Slot, intendedAt: number): void {
    const now = this.clock.now();
    const lag = now - intendedAt;
    if (lag > LATE_AFTER_MS) this.late++;
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    // Timed from the intended send time: the wait for a connection or a late timer is the server's
    // doing (or the load tester's, which the late count shows), not something to leave out.
    this.send(slot, this.pickTask(), now, intendedAt);
  }

  /** A free connection takes the oldest queued arrival, or waits idle. */
  protected override proceed(slot: Slot): void {
    if (this.queueHead < this.queue.length) {
      const intendedAt = this.queue[this.queueHead++]!;
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      this.sendAt(slot, intendedAt);
    } else this.idle.push(slot);
  }

  /** Arrivals still queued for a connection are never sent: counted as unsent. */
  protected override dropWaiting(): void {
    this.unsent += this.queue.length - this.queueHead;
    this.queue = [];
    this.queueHead = 0;
    this.idle.length = 0;
  }
}
