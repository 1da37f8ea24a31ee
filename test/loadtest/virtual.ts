// Virtual time and a fake transport, so the scheduler runs deterministically and instantly.
import type { Connection, Done, PreparedRequest, Transport } from '../../src/loadtest/http-client.js';
import type { Clock } from '../../src/loadtest/runner.js';
import type { RequestSpec } from '../../src/loadtest/scenario.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly queue: Timer[] = [];
  constructor(private readonly epoch = 1_800_000_000) {}

  now(): number {
    return this.t;
  }
  wall(): number {
    return this.epoch + this.t / 1000;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    // Insert keeping (at, seq) order; the queues in these tests stay small enough for this.
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1]!.at > timer.at || (this.queue[i - 1]!.at === timer.at && this.queue[i - 1]!.seq > timer.seq))) i--;
    this.queue.splice(i, 0, timer);
    return timer;
  }
  clearTimeout(h: unknown): void {
    if (h) (h as Timer).cancelled = true;
  }
  /** Runs timers in time order until none is left (or the limit is reached). */
  runAll(limitMs = 24 * 3600 * 1000): void {
    while (this.queue.length > 0) {
      const timer = this.queue.shift()!;
      if (timer.cancelled) continue;
      if (timer.at > limitMs) throw new Error('virtual time limit reached');
      this.t = timer.at;
      timer.fn();
    }
  }
}

export interface SentRecord {
  user: number;
  at: number;
  method: string;
  path: string;
  /** when its response arrived (ms), or null while in flight / dropped */
  doneAt: number | null;
}

/** Answers after `latencyMs(req)`, with `respond(req, n)`: a status or an error string. */
export class FakeTransport implements Transport {
  readonly target = { baseUrl: 'http://127.0.0.1:9', address: '127.0.0.1', port: 9, hostHeader: '127.0.0.1:9' };
  readonly sent: SentRecord[] = [];
  connections = 0;
  closed = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly latencyMs: (req: PreparedRequest, n: number) => number = () => 10,
    private readonly respond: (req: PreparedRequest, n: number) => number | string = () => 200,
  ) {}

  prepare(spec: RequestSpec): PreparedRequest {
    return { spec, bytes: Buffer.alloc(0), url: this.target.baseUrl + spec.path, expectsNoBody: false };
  }

  connection(): Connection {
    const user = this.connections++;
    let pending: unknown = null;
    let current: Done | null = null;
    return {
      send: (req, done) => {
        const n = this.sent.length;
        const record: SentRecord = { user, at: this.clock.now(), method: req.spec.method, path: req.spec.path, doneAt: null };
        this.sent.push(record);
        current = done;
        const latency = this.latencyMs(req, n);
        if (!Number.isFinite(latency)) return; // never answers
        pending = this.clock.setTimeout(() => {
          pending = null;
          current = null;
          record.doneAt = this.clock.now();
          const r = this.respond(req, n);
          if (typeof r === 'number') done(r, r === 200 ? 'OK' : 'Internal Server Error', 17, null);
          else done(0, '', 0, r);
        }, latency);
      },
      abort: (error) => {
        this.clock.clearTimeout(pending);
        const d = current;
        current = null;
        d?.(0, '', 0, error);
      },
      close: () => {
        this.clock.clearTimeout(pending);
        current = null;
        this.closed++;
      },
    };
  }
}
