// The scheduler: simulated users started at the spawn rate, each running the scenario the way a
// Locust HttpUser runs its tasks (locust/user/task.py TaskSet.run, locust/dispatch.py):
//  - users start in batches of max(1, ⌊rate⌋) every batch/rate seconds, the first batch at once,
//    until the target count is reached;
//  - a new user runs its on-start requests in order, then at once its first task; after every
//    task it waits a uniformly random time in [min, max] seconds (between(min, max)), then picks
//    the next task at random in proportion to the weights (random.choice over a list holding each
//    task `weight` times);
//  - at the end of the duration no new request starts; requests in flight finish (Locust with
//    --stop-timeout) within the stop timeout, after which they are dropped and counted as abandoned.
// Everything time-related goes through a Clock, so tests can run it in virtual time.
import type { Connection, PreparedRequest, Transport } from './http-client.js';
import type { TextFeed } from './data.js';
import type { Random } from './prng.js';
import { RequestStats, type StatsEntry } from './stats.js';
import { fillTemplate, type RequestSpec, type Scenario } from './scenario.js';
import { pyStrRepr } from './python-compat.js';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';
import { UserError } from '../user-error.js';

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock seconds since the epoch (Locust's time.time()). */
  wall(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wall: () => (performance.timeOrigin + performance.now()) / 1000,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RunnerOptions {
  scenario: Scenario;
  users: number;
  /** users per second; Infinity starts them all at once */
  spawnRate: number;
  durationMs: number;
  /** a request without a complete response after this long fails as a timeout */
  timeoutMs: number;
  /** how long requests in flight at the end may take to finish */
  stopTimeoutMs: number;
  /** stop once this many requests have been sent (a safety bound); Infinity for none */
  maxRequests: number;
  /** --max: no think time and no on-start requests */
  noWait: boolean;
  random: Random;
  transport: Transport;
  clock?: Clock;
  /** called at the start, every second, and once at the end */
  onTick?: (runner: Runner) => void;
  /** called once when the run stops starting requests (the duration is over, or Ctrl-C) */
  onStopping?: (runner: Runner) => void;
  /** called once when the last user has been started */
  onSpawned?: (runner: Runner) => void;
  /** --data: the texts templated requests take, and which one comes next */
  texts?: TextSource | null;
}

export interface TextSource {
  texts: readonly string[];
  feed: TextFeed;
}

/** Longest stretch spent starting users (or closing their connections) before other callbacks run. */
const SPAWN_SLICE_MS = 4;
/** Most users started in one go: their connects run together just after (see spawnUsers). */
const SPAWN_SLICE_USERS = 4;

export type StopReason = 'duration' | 'max-requests' | 'interrupted';

export interface Task {
  readonly prepared: PreparedRequest;
  /** a templated request: one prepared request per --data text, serialised once before the run */
  readonly variants: readonly PreparedRequest[] | null;
  readonly spec: RequestSpec;
  entry: StatsEntry | null;
}

export function makeTask(transport: Transport, spec: RequestSpec, texts: TextSource | null | undefined): Task {
  if (spec.template === undefined) return { prepared: transport.prepare(spec), variants: null, spec, entry: null };
  if (!texts) throw new UserError(`${spec.method} ${spec.name} posts {{text}}: give the texts with --data FILE`);
  const variants = texts.texts.map((t) => transport.prepare({ ...spec, body: fillTemplate(spec, t) }));
  return { prepared: variants[0]!, variants, spec, entry: null };
}

/** The request to send for a task: its one prepared request, or the next text's. */
export function requestFor(task: Task, texts: TextSource | null | undefined): PreparedRequest {
  return task.variants === null ? task.prepared : task.variants[texts!.feed.next()]!;
}

/** Picks tasks in proportion to their integer weights, with one uniform draw. */
export class TaskPicker<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;
  constructor(
    private readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let sum = 0;
    for (const w of weights) this.cumulative.push((sum += w));
    this.total = sum;
    if (!(sum > 0)) throw new RangeError('weights must add up to more than 0');
  }
  /** Like random.choice over a list holding each item `weight` times. */
  pick(r: number): T {
    const x = Math.floor(r * this.total);
    let i = 0;
    while (this.cumulative[i]! <= x) i++;
    return this.items[i]!;
  }
}

/** Spawn plan: how many users each batch adds and how far apart batches are (UsersDispatcher.new_dispatch). */
export function spawnPlan(rate: number): { batch: number; intervalMs: number } {
  if (rate === Infinity) return { batch: Infinity, intervalMs: 0 };
  const batch = Math.max(1, Math.floor(rate));
  return { batch, intervalMs: (batch / rate) * 1000 };
}

class User implements WheelEntry {
  connection: Connection;
  inflight = false;
  sentAt = 0;
  task: Task | null = null;
  /** index of the next on-start request to send, or -1 once the on-start sequence is over */
  onStart: number;
  stopped = false;
  // its place while it waits in the think-time wheel
  wheelNext: WheelEntry | null = null;
  wheelDue = 0;
  readonly done: (status: number, reason: string, bodyBytes: number, error: string | null) => void;

  constructor(runner: Runner, onStartCount: number) {
    this.connection = runner.transport.connection();
    this.onStart = onStartCount > 0 ? 0 : -1;
    this.done = (status, reason, bodyBytes, error) => runner.completed(this, status, reason, bodyBytes, error);
  }
}

export class Runner {
  readonly stats: RequestStats;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly startedAt: number;
  readonly startedWall: number;
  userCount = 0;
  peakUsers = 0;
  requestsSent = 0;
  inflight = 0;
  abandoned = 0;
  state: 'running' | 'stopping' | 'stopped' = 'running';
  stopReason: StopReason | null = null;
  endedWall: number | null = null;

  private readonly users: User[] = [];
  private readonly tasks: Task[];
  private readonly onStartTasks: Task[];
  private readonly picker: TaskPicker<Task>;
  private readonly waitMin: number;
  private readonly waitSpan: number;
  private readonly timers = new Set<unknown>();
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private spawnBatches = 0;
  private retiring = false;
  private readonly wheel: TimerWheel<User>;

  constructor(private readonly opts: RunnerOptions) {
    if (!(opts.users >= 1) || !Number.isInteger(opts.users)) throw new RangeError('users must be a whole number >= 1');
    if (!(opts.spawnRate > 0)) throw new RangeError('spawn rate must be above 0');
    this.clock = opts.clock ?? realClock;
    this.transport = opts.transport;
    const toTask = (spec: RequestSpec): Task => makeTask(opts.transport, spec, opts.texts);
    this.tasks = opts.scenario.tasks.map(toTask);
    this.onStartTasks = opts.noWait ? [] : opts.scenario.onStart.map(toTask);
    this.picker = new TaskPicker(
      this.tasks,
      opts.scenario.tasks.map((t) => t.weight),
    );
    this.waitMin = opts.noWait ? 0 : opts.scenario.wait.min * 1000;
    this.waitSpan = opts.noWait ? 0 : (opts.scenario.wait.max - opts.scenario.wait.min) * 1000;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.startedAt = this.clock.now();
    this.startedWall = this.clock.wall();
    this.stats = new RequestStats(this.startedWall);
    this.wheel = new TimerWheel<User>(this.clock, (u) => this.next(u));
  }

  /** Starts spawning; resolves when every user has stopped. */
  run(): Promise<void> {
    this.opts.onTick?.(this);
    this.spawnBatch();
    this.after(this.opts.durationMs, () => this.stop('duration'));
    let ticks = 0;
    const tick = (): void => {
      if (this.state !== 'running') return;
      this.sweepTimeouts();
      this.opts.onTick?.(this);
      // Due times counted from the start, so ticks stay one second apart however late one fires.
      ticks++;
      this.after(Math.max(0, this.startedAt + (ticks + 1) * 1000 - this.clock.now()), tick);
    };
    this.after(1000, tick);
    return this.finished;
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (this.clock.now() - this.startedAt) / 1000;
  }

  /** Graceful stop: nothing new starts, requests in flight may finish within the stop timeout. */
  stop(reason: StopReason): void {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.stopReason = reason;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.wheel.clear(); // waiting users start nothing more; retireIdle closes their connections
    this.opts.onStopping?.(this);
    this.after(this.opts.stopTimeoutMs, () => this.abort());
    // Timeouts still apply while draining.
    const sweep = (): void => {
      if (this.state !== 'stopping') return;
      this.sweepTimeouts();
      this.after(250, sweep);
    };
    this.after(250, sweep);
    this.retireIdle(0);
  }

  /**
   * Closes the connections of waiting users from index `from`, in slices like spawning: closing
   * 20,000 sockets in one go would block the event loop for a second while requests in flight
   * are still being timed.
   */
  private retireIdle(from: number): void {
    this.retiring = true;
    const t0 = this.clock.now();
    for (let i = from; i < this.users.length; i++) {
      if (this.state !== 'stopping') return;
      if (i > from && this.clock.now() - t0 > SPAWN_SLICE_MS) {
        this.after(0, () => this.retireIdle(i));
        return;
      }
      const u = this.users[i]!;
      if (!u.inflight) this.retire(u);
    }
    this.retiring = false;
    if (this.inflight === 0) this.finish();
  }

  /** Stops at once: requests in flight are dropped and counted as abandoned. */
  abort(): void {
    if (this.state === 'stopped') return;
    if (this.state === 'running') this.stop('interrupted');
    for (const u of this.users) {
      if (u.inflight) {
        u.inflight = false;
        this.inflight--;
        this.abandoned++;
      }
      this.retire(u);
    }
    this.finish();
  }

  private finish(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.wheel.clear();
    this.endedWall = this.clock.wall();
    this.opts.onTick?.(this);
    this.resolveFinished();
  }

  private after(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
  }

  private spawnBatch(): void {
    if (this.state !== 'running') return;
    const { batch, intervalMs } = spawnPlan(this.opts.spawnRate);
    this.spawnUsers(Math.min(batch, this.opts.users - this.users.length));
    this.spawnBatches++;
    if (this.users.length < this.opts.users && this.state === 'running') {
      // Scheduled from the start, so a late timer does not delay later batches.
      const due = this.startedAt + this.spawnBatches * intervalMs;
      this.after(Math.max(0, due - this.clock.now()), () => this.spawnBatch());
    }
  }

  /**
   * Starts n users, in slices of at most SPAWN_SLICE_USERS users or SPAWN_SLICE_MS, so that the
   * responses of running users are read (and timed) in between. Node runs the connect() system
   * calls of a slice right after it (net.connect defers them to process.nextTick), and a connect
   * costs 0.05–1 ms of kernel time: more when over half of the ephemeral port range is in use, as
   * the kernel then searches longer for a free port. A batch still starts within milliseconds.
   */
  private spawnUsers(n: number): void {
    const t0 = this.clock.now();
    for (let i = 0; i < n; i++) {
      if (this.state !== 'running' || this.users.length >= this.opts.users) return;
      if (i > 0 && (i % SPAWN_SLICE_USERS === 0 || this.clock.now() - t0 > SPAWN_SLICE_MS)) {
        this.after(0, () => this.spawnUsers(n - i));
        return;
      }
      const u = new User(this, this.onStartTasks.length);
      this.users.push(u);
      this.userCount++;
      if (this.userCount > this.peakUsers) this.peakUsers = this.userCount;
      this.next(u);
      if (this.users.length === this.opts.users) this.opts.onSpawned?.(this);
    }
  }

  /** Runs the user's next request: the next on-start one, or a task chosen by weight. */
  next(u: User): void {
    if (this.state !== 'running') return this.retire(u);
    if (this.requestsSent >= this.opts.maxRequests) {
      this.retire(u);
      return this.stop('max-requests');
    }
    let task: Task;
    if (u.onStart >= 0 && u.onStart < this.onStartTasks.length) {
      task = this.onStartTasks[u.onStart++]!;
    } else {
      task = this.picker.pick(this.opts.random.next());
    }
    u.task = task;
    u.inflight = true;
    this.inflight++;
    this.requestsSent++;
    u.sentAt = this.clock.now();
    u.connection.send(requestFor(task, this.opts.texts), u.done);
  }

  /** A request finished (or failed): record it, then wait or go on. */
  completed(u: User, status: number, reason: string, bodyBytes: number, error: string | null): void {
    if (!u.inflight) return;
    u.inflight = false;
    this.inflight--;
    const task = u.task!;
    const now = this.clock.wall();
    const responseTime = this.clock.now() - u.sentAt;
    if (error === null && status >= 400) error = httpErrorRepr(status, reason, task.prepared.url);
    task.entry ??= this.stats.entry(task.spec.method, task.spec.name, now);
    this.stats.logRequest(task.entry, responseTime, bodyBytes, now, error);
    if (this.state !== 'running') {
      this.retire(u);
      if (this.state === 'stopping' && this.inflight === 0 && !this.retiring) this.finish();
      return;
    }
    if (u.onStart >= 0) {
      // On-start requests run back to back, and the first task follows at once (TaskSet.run).
      if (u.onStart >= this.onStartTasks.length) u.onStart = -1;
      return this.next(u);
    }
    const wait = this.waitMin + this.opts.random.next() * this.waitSpan;
    if (wait <= 0 && this.waitSpan === 0) return this.next(u);
    this.wheel.add(u, wait);
  }

  private retire(u: User): void {
    if (u.stopped) return;
    u.stopped = true;
    u.connection.close();
    this.userCount--;
  }

  private sweepTimeouts(): void {
    const limit = this.clock.now() - this.opts.timeoutMs;
    for (const u of this.users) {
      if (u.inflight && u.sentAt < limit) u.connection.abort(timeoutRepr(this.transport.target.baseUrl, this.opts.timeoutMs));
    }
  }
}

/** What requests' raise_for_status raises, as repr() shows it. */
export function httpErrorRepr(status: number, reason: string, url: string): string {
  const kind = status < 500 ? 'Client' : 'Server';
  return `HTTPError(${pyStrRepr(`${status} ${kind} Error: ${reason} for url: ${url}`)})`;
}

export function timeoutRepr(baseUrl: string, timeoutMs: number): string {
  const u = new URL(baseUrl);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const https = u.protocol === 'https:';
  const port = u.port || (https ? '443' : '80');
  return `ReadTimeout(${pyStrRepr(`${https ? 'HTTPS' : 'HTTP'}ConnectionPool(host='${host}', port=${port}): Read timed out. (read timeout=${timeoutMs / 1000})`)})`;
}
