// One group-commit queue for both stores. Inserts that arrive in one event-loop turn are written
// together (one transaction) after the turn; each caller is answered with its own rows once the
// write has committed. Around that, the rules both stores keep:
// - Bounded: past `maxPending` rows accepted and not yet written, an insert fails at once.
// - Stalls fail fast: while a write has been running (or retrying) for over `stallMs`, a new
//   insert fails at once instead of queueing behind it.
// - Busy retries (SQLite): a write that fails with a `retry.when` error goes back to the head of
//   the queue and is tried again on a later turn — inserts arriving meanwhile join it — until
//   `retry.forMs` has passed; then the batch fails.
// - Deadlines (PostgreSQL): each insert is answered within `deadlineMs`, committed or not; one
//   still queued then leaves the queue. A write already sent may still commit later.
// - Several writes in flight (PostgreSQL's pool): up to `maxInFlight`; further inserts queue.
// - close(): no new inserts; resolves once every insert accepted before it is answered.

export class DeadlineError extends Error {}

export interface GroupCommitOptions<R, S> {
  /** Writes one batch (rows in the order they were added); answers the rows as stored, in that order. */
  readonly write: (rows: readonly R[]) => S[] | Promise<S[]>;
  /** Rows accepted and not yet written (or failed); past this an insert fails at once. */
  readonly maxPending: number;
  /** A write running or retrying longer than this means the store is stalled. */
  readonly stallMs: number;
  /** Said by an insert refused during a stall. */
  readonly stallMessage: string;
  /** Writes at once (default 1). */
  readonly maxInFlight?: number;
  /** Each insert is answered within this long (ms), committed or not. */
  readonly deadlineMs?: number;
  readonly retry?: {
    /** A failure worth trying again later (SQLite's busy lock). */
    readonly when: (err: unknown) => boolean;
    /** Retry for this long after the batch first failed, then fail it with `failure`. */
    readonly forMs: number;
    /** Retries on the very next turn; after these, one per millisecond (no busy loop while idle). */
    readonly immediate: number;
    readonly failure: Error;
  };
}

interface Entry<R, S> {
  readonly rows: readonly R[];
  readonly resolve: (rows: S[]) => void;
  readonly reject: (err: unknown) => void;
  /** Answered: committed, failed, or past its deadline. */
  done: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** A batch being written or waiting to be retried, with when its first attempt began. */
interface Attempt<R, S> {
  entries: Entry<R, S>[];
  readonly since: number;
  retries: number;
}

export class GroupCommitQueue<R, S> {
  private pending: Entry<R, S>[] = [];
  private pendingRows = 0;
  private scheduled = false;
  private inFlight = 0;
  /** Writes in flight (and a batch waiting for its retry), for stall detection. */
  private readonly attempts = new Set<Attempt<R, S>>();
  private retrying: Attempt<R, S> | undefined;
  private closed = false;
  private drained: (() => void)[] = [];

  constructor(private readonly o: GroupCommitOptions<R, S>) {}

  /** Resolves with the rows as stored once they are committed. */
  add(rows: readonly R[]): Promise<S[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (rows.length === 0) return Promise.resolve([]);
    if (this.stalled()) return Promise.reject(new Error(this.o.stallMessage));
    if (this.pendingRows + rows.length > this.o.maxPending) {
      return Promise.reject(new Error(`more than ${this.o.maxPending} rows are waiting for a commit`));
    }
    this.pendingRows += rows.length;
    return new Promise((resolve, reject) => {
      const entry: Entry<R, S> = { rows, resolve, reject, done: false, timer: undefined };
      if (this.o.deadlineMs !== undefined) entry.timer = setTimeout(() => this.expire(entry), this.o.deadlineMs);
      this.pending.push(entry);
      this.schedule();
    });
  }

  /** True while a write has been running or retrying for over stallMs. */
  stalled(now = Date.now()): boolean {
    for (const a of this.attempts) if (now - a.since > this.o.stallMs) return true;
    return false;
  }

  /** Counts a write made outside the queue (one with its own transaction) for stall detection. */
  track<T>(work: Promise<T>): Promise<T> {
    const attempt: Attempt<R, S> = { entries: [], since: Date.now(), retries: 0 };
    this.attempts.add(attempt);
    return work.finally(() => this.attempts.delete(attempt));
  }

  /** Refuses new inserts; resolves once every insert accepted before is answered and written. */
  close(): Promise<void> {
    this.closed = true;
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private idle(): boolean {
    return this.pending.length === 0 && this.inFlight === 0 && this.retrying === undefined && !this.scheduled;
  }

  private schedule(delayMs?: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (delayMs === undefined) setImmediate(this.run);
    else setTimeout(this.run, delayMs);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.sendNext();
  };

  private sendNext(): void {
    if ((this.pending.length > 0 || this.retrying !== undefined) && this.inFlight < (this.o.maxInFlight ?? 1)) {
      let attempt = this.retrying;
      if (attempt === undefined) attempt = { entries: this.pending, since: Date.now(), retries: 0 };
      else if (this.pending.length > 0) attempt.entries = attempt.entries.concat(this.pending); // inserts that arrived while it waited join it
      this.retrying = undefined;
      this.pending = [];
      this.write(attempt);
    }
    if (this.idle()) for (const f of this.drained.splice(0)) f();
  }

  private write(attempt: Attempt<R, S>): void {
    const { entries } = attempt;
    const rows = entries.length === 1 ? entries[0]!.rows : entries.flatMap((e) => e.rows);
    this.inFlight++;
    this.attempts.add(attempt);
    let result: S[] | Promise<S[]>;
    try {
      result = this.o.write(rows);
    } catch (err) {
      this.failed(attempt, err);
      return;
    }
    if (Array.isArray(result)) this.written(attempt, result);
    else
      result.then(
        (saved) => this.written(attempt, saved),
        (err: unknown) => this.failed(attempt, err),
      );
  }

  private settle(attempt: Attempt<R, S>): void {
    this.attempts.delete(attempt);
    this.inFlight--;
  }

  private written(attempt: Attempt<R, S>, saved: S[]): void {
    this.settle(attempt);
    let at = 0;
    for (const e of attempt.entries) {
      this.pendingRows -= e.rows.length;
      this.answer(e, undefined, attempt.entries.length === 1 ? saved : saved.slice(at, at + e.rows.length));
      at += e.rows.length;
    }
    this.sendNext();
  }

  private failed(attempt: Attempt<R, S>, err: unknown): void {
    this.settle(attempt);
    const retry = this.o.retry;
    if (retry?.when(err)) {
      if (Date.now() - attempt.since < retry.forMs) {
        // Tried again on a later turn, ahead of the queue; its stall clock keeps running.
        attempt.retries++;
        this.retrying = attempt;
        this.attempts.add(attempt);
        this.schedule(attempt.retries <= retry.immediate ? undefined : 1);
        return;
      }
      err = retry.failure;
    }
    for (const e of attempt.entries) {
      this.pendingRows -= e.rows.length;
      this.answer(e, err);
    }
    this.sendNext();
  }

  private expire(entry: Entry<R, S>): void {
    const at = this.pending.indexOf(entry);
    if (at >= 0) {
      this.pending.splice(at, 1);
      this.pendingRows -= entry.rows.length;
    }
    this.answer(entry, new DeadlineError(`the history store did not commit within ${this.o.deadlineMs! / 1000} s`));
  }

  private answer(e: Entry<R, S>, failure: unknown, rows?: S[]): void {
    if (e.done) return;
    e.done = true;
    clearTimeout(e.timer);
    if (rows !== undefined) e.resolve(rows);
    else e.reject(failure);
  }
}
