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
// Everything time-related goes through a Clock, so tests can run it in virtual time. The request
// bookkeeping, timeouts and stopping are loop.ts's, shared with the open model.
import { LoadLoop, Member, SPAWN_SLICE_MS, type LoopOptions, type Task } from './loop.js';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';

export {
  httpErrorRepr,
  makeTask,
  realClock,
  TaskPicker,
  timeoutRepr,
  type Clock,
  type RequestBuilder,
  type RequestChange,
  type RequestHooks,
  type ResponseRecord,
  type StopReason,
  type Task,
  type TaskOrder,
  type TextSource,
} from './loop.js';

export interface RunnerOptions extends LoopOptions<Runner> {
  users: number;
  /** users per second; Infinity starts them all at once */
  spawnRate: number;
  /** --max: no think time and no on-start requests */
  noWait: boolean;
  /** called once when the last user has been started */
  onSpawned?: (runner: Runner) => void;
  /** each user sends this many requests (on-start ones included), then stops; the run ends when all have */
  requestsPerUser?: number;
  /** start each batch's users (their connects) in one go, not in slices: a connection storm (bench/overload) */
  spawnAtOnce?: boolean;
}

/** Most users started in one go: their connects run together just after (see spawnUsers). */
const SPAWN_SLICE_USERS = 4;

/** Spawn plan: how many users each batch adds and how far apart batches are (UsersDispatcher.new_dispatch). */
export function spawnPlan(rate: number): { batch: number; intervalMs: number } {
  if (rate === Infinity) return { batch: Infinity, intervalMs: 0 };
  const batch = Math.max(1, Math.floor(rate));
  return { batch, intervalMs: (batch / rate) * 1000 };
}

class User extends Member implements WheelEntry {
  /** index of the next on-start request to send, or -1 once the on-start sequence is over */
  onStart: number;
  /** requests sent (for requestsPerUser) */
  sent = 0;
  // its place while it waits in the think-time wheel
  wheelNext: WheelEntry | null = null;
  wheelDue = 0;

  constructor(runner: Runner, index: number, onStartCount: number) {
    super(runner.transport.connection(), index, runner);
    this.onStart = onStartCount > 0 ? 0 : -1;
  }
}

export class Runner extends LoadLoop<User> {
  private readonly onStartTasks: Task[];
  private readonly waitMin: number;
  private readonly waitSpan: number;
  private readonly perUser: number;
  private spawnBatches = 0;
  private readonly wheel: TimerWheel<User>;

  constructor(private readonly opts: RunnerOptions) {
    if (!(opts.users >= 1) || !Number.isInteger(opts.users)) throw new RangeError('users must be a whole number >= 1');
    if (!(opts.spawnRate > 0)) throw new RangeError('spawn rate must be above 0');
    if (opts.requestsPerUser !== undefined && !(opts.requestsPerUser >= 1)) throw new RangeError('requests per user must be at least 1');
    super(opts);
    this.onStartTasks = opts.noWait ? [] : opts.scenario.onStart.map((spec) => this.task(spec));
    this.waitMin = opts.noWait ? 0 : opts.scenario.wait.min * 1000;
    this.waitSpan = opts.noWait ? 0 : (opts.scenario.wait.max - opts.scenario.wait.min) * 1000;
    this.perUser = opts.requestsPerUser ?? Infinity;
    this.wheel = new TimerWheel<User>(this.clock, (u) => this.next(u));
  }

  protected override begin(): void {
    this.spawnBatch();
    this.startTimers();
  }

  /** Waiting users start nothing more; stop's retireIdle closes their connections. */
  protected override dropWaiting(): void {
    this.wheel.clear();
  }

  private spawnBatch(): void {
    if (this.state !== 'running') return;
    const { batch, intervalMs } = spawnPlan(this.opts.spawnRate);
    this.spawnUsers(Math.min(batch, this.opts.users - this.members.length));
    this.spawnBatches++;
    if (this.members.length < this.opts.users && this.state === 'running') {
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
    const sliced = this.opts.spawnAtOnce !== true;
    for (let i = 0; i < n; i++) {
      if (this.state !== 'running' || this.members.length >= this.opts.users) return;
      if (sliced && i > 0 && (i % SPAWN_SLICE_USERS === 0 || this.clock.now() - t0 > SPAWN_SLICE_MS)) {
        this.after(0, () => this.spawnUsers(n - i));
        return;
      }
      const u = new User(this, this.members.length, this.onStartTasks.length);
      this.admit(u);
      this.next(u);
      if (this.members.length === this.opts.users) this.opts.onSpawned?.(this);
    }
  }

  /** Runs the user's next request: the next on-start one, or a task chosen by weight. */
  next(u: User): void {
    if (this.state !== 'running') return this.retire(u);
    if (this.requestsSent >= this.opts.maxRequests) {
      this.retire(u);
      return this.stop('max-requests');
    }
    if (u.sent === this.perUser) return this.userDone(u);
    let task: Task;
    if (u.onStart >= 0 && u.onStart < this.onStartTasks.length) {
      task = this.onStartTasks[u.onStart++]!;
    } else {
      task = this.pickTask();
    }
    u.sent++;
    const now = this.clock.now();
    this.send(u, task, now, now);
  }

  /** After its request is recorded: the next on-start request or first task at once, else a think time. */
  protected override proceed(u: User): void {
    if (u.onStart >= 0) {
      // On-start requests run back to back, and the first task follows at once (TaskSet.run).
      if (u.onStart >= this.onStartTasks.length) u.onStart = -1;
      return this.next(u);
    }
    const wait = this.waitMin + this.opts.random.next() * this.waitSpan;
    if (wait <= 0 && this.waitSpan === 0) return this.next(u);
    this.wheel.add(u, wait);
  }

  /** A user sent its requestsPerUser: it stops; the run stops once every user has. */
  private userDone(u: User): void {
    this.retire(u);
    if (this.userCount === 0 && this.members.length === this.opts.users) this.stop('max-requests');
  }
}
