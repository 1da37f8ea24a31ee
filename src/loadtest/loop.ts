// What the closed model (runner.ts: users) and the open model (open-runner.ts: arrivals) share:
// members that each own one keep-alive connection and send one request at a time, the
// bookkeeping of a request from send to completion (statistics, Locust's failure rules), the
// timeouts sweep, the one-second ticks, and the way a run stops (stop, drain within the stop
// timeout, abort, finish). What differs — when a member sends next — is the subclass's.
//
// The per-request path (send, completed) runs once per request with 20,000 users: nothing here
// allocates per request unless the library's request hooks (RequestHooks) ask for it, and an
// unused hook costs one comparison with null.
import type { Connection, Done, PreparedRequest, Transport } from './http-client.js';
import type { TextFeed } from './data.js';
import type { Random } from './prng.js';
import { RequestStats, type StatsEntry } from './stats.js';
import { fillTemplate, type RequestSpec, type Scenario } from './scenario.js';
import { pyStrRepr } from './python-compat.js';
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

export type StopReason = 'duration' | 'max-requests' | 'interrupted';

export interface TextSource {
  texts: readonly string[];
  feed: TextFeed;
}

/**
 * How the next task is chosen: 'random' draws it by weight (Locust's random.choice); 'cycle'
 * makes the run's n-th request the (n mod Σweights)-th of the list holding each task `weight`
 * times in order — a fixed mix, for tests that count (1 POST : 2 GET is POST, GET, GET, POST, …).
 */
export type TaskOrder = 'random' | 'cycle';

/** What a request builder changes in one request; the rest is the task's. */
export interface RequestChange {
  /** the body to send instead of the task's (null: none) */
  readonly body?: string | null;
  /** headers added to (or replacing) the task's; values without line breaks */
  readonly headers?: Readonly<Record<string, string>>;
  /** anything, handed back with this request's response (ResponseRecord.request.tag) */
  readonly tag?: unknown;
}

/** Builds one request of a task: `n` counts the run's requests from 0, `user` is the sender. */
export type RequestBuilder = (n: number, user: number) => RequestChange | null;

/** One finished request, as `RequestHooks.onResponse` receives it. */
export interface ResponseRecord {
  /** the user (closed model) or connection (open model) that sent it, numbered from 0 */
  readonly user: number;
  /** the request sent: its spec (method, path, name, headers, body) and the builder's tag */
  readonly request: PreparedRequest;
  /** the HTTP status, or 0 when no complete response came */
  readonly status: number;
  /** Locust's error text when it failed (status >= 400, connection error, timeout), else null */
  readonly error: string | null;
  /** the clock's ms when it was sent, and its response time as the statistics took it */
  readonly sentAt: number;
  readonly responseTimeMs: number;
  /** with a response: the headers kept (RequestHooks.keepHeaders; lower-case names) that came */
  readonly headers: Readonly<Record<string, string>> | null;
  /** with a response and RequestHooks.keepBody: the body, as UTF-8 */
  readonly body: string | null;
}

/**
 * Per-request hooks of the library API (runLoad's RunHooks.requests; not on the command line).
 * Unused, they cost nothing measurable: requests stay serialised once per task and responses are
 * parsed without keeping headers or bodies.
 */
export interface RequestHooks {
  /**
   * Called once per task before the run; a builder it returns is called for every request of that
   * task, which is then serialised for that one request (a unique text, an Idempotency-Key).
   * Null: the task's request as serialised once. A --data task's builder starts from the next text.
   */
  customize?: (task: RequestSpec) => RequestBuilder | null;
  /** Called once per finished request (not for requests dropped at the end), after the statistics. Must not throw. */
  onResponse?: (record: ResponseRecord) => void;
  /** response headers to keep for onResponse (names in any case) */
  keepHeaders?: readonly string[];
  /** keep each response's body for onResponse */
  keepBody?: boolean;
}

export interface Task {
  readonly prepared: PreparedRequest;
  /** null: every run of the task sends `prepared`; else the request of this run (a --data text's, a builder's) */
  readonly vary: ((n: number, user: number) => PreparedRequest) | null;
  readonly spec: RequestSpec;
  entry: StatsEntry | null;
}

export function makeTask(transport: Transport, spec: RequestSpec, texts: TextSource | null | undefined, customize?: RequestHooks['customize']): Task {
  let prepared: PreparedRequest;
  let vary: Task['vary'] = null;
  if (spec.template === undefined) prepared = transport.prepare(spec);
  else {
    if (!texts) throw new UserError(`${spec.method} ${spec.name} posts {{text}}: give the texts with --data FILE`);
    // One prepared request per --data text, serialised once before the run.
    const variants = texts.texts.map((t) => transport.prepare({ ...spec, body: fillTemplate(spec, t) }));
    prepared = variants[0]!;
    vary = () => variants[texts.feed.next()]!;
  }
  const build = customize?.(spec) ?? null;
  if (build !== null) {
    const base = vary;
    vary = (n, user) => changed(transport, base === null ? prepared : base(n, user), build(n, user));
  }
  return { prepared, vary, spec, entry: null };
}

function changed(transport: Transport, base: PreparedRequest, change: RequestChange | null): PreparedRequest {
  if (change === null) return base;
  const spec: RequestSpec = {
    ...base.spec,
    body: change.body === undefined ? base.spec.body : change.body,
    headers: change.headers === undefined ? base.spec.headers : { ...base.spec.headers, ...change.headers },
  };
  const req = transport.prepare(spec);
  return change.tag === undefined ? req : { ...req, tag: change.tag };
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

/** Longest stretch spent starting users (or closing their connections) before other callbacks run. */
export const SPAWN_SLICE_MS = 4;

/** A user (closed model) or a connection of the pool (open model): one connection, one request at a time. */
export class Member {
  inflight = false;
  closed = false;
  /** clock ms: when the request in flight was sent (its timeout counts from then) */
  sentAt = 0;
  /** clock ms its response time counts from: the send, or (open model) the intended send */
  timedFrom = 0;
  task: Task | null = null;
  request: PreparedRequest | null = null;
  readonly done: Done;

  constructor(
    readonly connection: Connection,
    /** its number, from 0, in the order members were made */
    readonly index: number,
    loop: { completed(m: Member, status: number, reason: string, bodyBytes: number, error: string | null): void },
  ) {
    this.done = (status, reason, bodyBytes, error) => loop.completed(this, status, reason, bodyBytes, error);
  }
}

export interface LoopOptions<R> {
  scenario: Scenario;
  durationMs: number;
  /** a request without a complete response after this long fails as a timeout */
  timeoutMs: number;
  /** how long requests in flight at the end may take to finish */
  stopTimeoutMs: number;
  /** stop once this many requests have been sent (a safety bound); Infinity for none */
  maxRequests: number;
  random: Random;
  transport: Transport;
  clock?: Clock;
  /** --data: the texts templated requests take, and which one comes next */
  texts?: TextSource | null;
  taskOrder?: TaskOrder;
  requests?: RequestHooks | null;
  /** called at the start, every second, and once at the end */
  onTick?: (runner: R) => void;
  /** called once when the run stops starting requests (the duration is over, or Ctrl-C) */
  onStopping?: (runner: R) => void;
}

export abstract class LoadLoop<M extends Member> {
  readonly stats: RequestStats;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly startedAt: number;
  readonly startedWall: number;
  /** members running (users, or open connections), and the most at once */
  userCount = 0;
  peakUsers = 0;
  requestsSent = 0;
  inflight = 0;
  abandoned = 0;
  state: 'running' | 'stopping' | 'stopped' = 'running';
  stopReason: StopReason | null = null;
  endedWall: number | null = null;

  protected readonly members: M[] = [];
  protected readonly tasks: Task[];
  private readonly picker: TaskPicker<Task>;
  /** taskOrder 'cycle': each task `weight` times, in order */
  private readonly cycle: Task[] | null;
  private readonly timers = new Set<unknown>();
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  /** idle members' connections are being closed in slices (retireIdle) */
  private retiring = false;
  private readonly onResponse: ((r: ResponseRecord) => void) | null;

  constructor(private readonly loop: LoopOptions<never>) {
    this.clock = loop.clock ?? realClock;
    this.transport = loop.transport;
    this.tasks = loop.scenario.tasks.map((spec) => this.task(spec));
    const weights = loop.scenario.tasks.map((t) => t.weight);
    this.picker = new TaskPicker(this.tasks, weights);
    this.cycle = loop.taskOrder === 'cycle' ? this.tasks.flatMap((t, i) => Array<Task>(weights[i]!).fill(t)) : null;
    this.onResponse = loop.requests?.onResponse ?? null;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.startedAt = this.clock.now();
    this.startedWall = this.clock.wall();
    this.stats = new RequestStats(this.startedWall);
  }

  /** Starts the run; resolves when every member has stopped. */
  run(): Promise<void> {
    this.notify(this.loop.onTick);
    this.begin();
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
    this.clearTimers();
    this.dropWaiting();
    this.notify(this.loop.onStopping);
    this.after(this.loop.stopTimeoutMs, () => this.abort());
    // Timeouts still apply while draining.
    const sweep = (): void => {
      if (this.state !== 'stopping') return;
      this.sweepTimeouts();
      this.after(250, sweep);
    };
    this.after(250, sweep);
    this.retireIdle(0);
  }

  /** Stops at once: requests in flight are dropped and counted as abandoned. */
  abort(): void {
    if (this.state === 'stopped') return;
    if (this.state === 'running') this.stop('interrupted');
    for (const m of this.members) {
      if (m.inflight) {
        m.inflight = false;
        this.inflight--;
        this.abandoned++;
      }
      this.retire(m);
    }
    this.finish();
  }

  /** A request finished (or failed): record it, then let the member go on. */
  completed(m: M, status: number, reason: string, bodyBytes: number, error: string | null): void {
    if (!m.inflight) return;
    m.inflight = false;
    this.inflight--;
    const task = m.task!;
    const now = this.clock.wall();
    const responseTime = this.clock.now() - m.timedFrom;
    if (error === null && status >= 400) error = httpErrorRepr(status, reason, task.prepared.url);
    task.entry ??= this.stats.entry(task.spec.method, task.spec.name, now);
    this.stats.logRequest(task.entry, responseTime, bodyBytes, now, error);
    if (this.onResponse !== null) this.record(m, status, error, responseTime);
    if (this.state !== 'running') {
      this.retire(m);
      if (this.state === 'stopping' && this.inflight === 0 && !this.retiring) this.finish();
      return;
    }
    this.proceed(m);
  }

  /** Starts sending (spawning users, or the arrivals' schedule) and the run's timers. */
  protected abstract begin(): void;
  /** What a member does once its request is recorded, while the run is running. */
  protected abstract proceed(m: M): void;
  /** Forgets what was waiting to be sent (at the stop, and again at the end). */
  protected abstract dropWaiting(): void;

  /** The duration's end and the one-second ticks (samples, timeouts), due times counted from the start. */
  protected startTimers(): void {
    this.after(this.loop.durationMs, () => this.stop('duration'));
    let ticks = 0;
    const tick = (): void => {
      if (this.state !== 'running') return;
      this.sweepTimeouts();
      this.notify(this.loop.onTick);
      // Due times counted from the start, so ticks stay one second apart however late one fires.
      ticks++;
      this.after(Math.max(0, this.startedAt + (ticks + 1) * 1000 - this.clock.now()), tick);
    };
    this.after(1000, tick);
  }

  /** A member joins the run (a user starts, a connection is added to the pool). */
  protected admit(m: M): void {
    this.members.push(m);
    this.userCount++;
    if (this.userCount > this.peakUsers) this.peakUsers = this.userCount;
  }

  /** The next task by weight (or in turn, with taskOrder 'cycle'). */
  protected pickTask(): Task {
    return this.cycle === null ? this.picker.pick(this.loop.random.next()) : this.cycle[this.requestsSent % this.cycle.length]!;
  }

  /** Sends a task's request on a member; `timedFrom` is when its response time starts. */
  protected send(m: M, task: Task, now: number, timedFrom: number): void {
    m.task = task;
    m.inflight = true;
    m.sentAt = now;
    m.timedFrom = timedFrom;
    this.inflight++;
    const req = task.vary === null ? task.prepared : task.vary(this.requestsSent, m.index);
    this.requestsSent++;
    m.request = req;
    m.connection.send(req, m.done);
  }

  protected task(spec: RequestSpec): Task {
    return makeTask(this.transport, spec, this.loop.texts, this.loop.requests?.customize);
  }

  protected retire(m: M): void {
    if (m.closed) return;
    m.closed = true;
    m.connection.close();
    this.userCount--;
  }

  protected after(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
  }

  private notify(hook: ((runner: never) => void) | undefined): void {
    hook?.(this as never);
  }

  private record(m: M, status: number, error: string | null, responseTimeMs: number): void {
    const c = m.connection;
    const answered = status > 0;
    this.onResponse!({
      user: m.index,
      request: m.request!,
      status,
      error,
      sentAt: m.sentAt,
      responseTimeMs,
      headers: answered ? (c.keptHeaders?.() ?? null) : null,
      body: answered ? (c.keptBody?.() ?? null) : null,
    });
  }

  /**
   * Closes the connections of idle members from index `from`, in slices like spawning: closing
   * 20,000 sockets in one go would block the event loop for a second while requests in flight
   * are still being timed.
   */
  private retireIdle(from: number): void {
    this.retiring = true;
    const t0 = this.clock.now();
    for (let i = from; i < this.members.length; i++) {
      if (this.state !== 'stopping') return;
      if (i > from && this.clock.now() - t0 > SPAWN_SLICE_MS) {
        this.after(0, () => this.retireIdle(i));
        return;
      }
      const m = this.members[i]!;
      if (!m.inflight) this.retire(m);
    }
    this.retiring = false;
    if (this.inflight === 0) this.finish();
  }

  private finish(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.clearTimers();
    this.dropWaiting();
    for (const m of this.members) this.retire(m);
    this.endedWall = this.clock.wall();
    this.notify(this.loop.onTick);
    this.resolveFinished();
  }

  private clearTimers(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private sweepTimeouts(): void {
    const limit = this.clock.now() - this.loop.timeoutMs;
    for (const m of this.members) {
      if (m.inflight && m.sentAt < limit) m.connection.abort(timeoutRepr(this.transport.target.baseUrl, this.loop.timeoutMs));
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
