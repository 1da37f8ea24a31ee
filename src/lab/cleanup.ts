// A cleanup stack: whatever a lab run starts (a process, a cluster, a pinned mask, a temporary
// directory) pushes its undo here as soon as it exists, and the stack undoes everything, newest
// first, when the run ends — normally, on an error or on SIGINT/SIGTERM. It replaces the mutable
// "started" flags that each orchestration kept beside its own try/finally and signal handler.
//
// Library code never exits the process: on a signal `withCleanup` undoes the stack and rejects
// with `Interrupted`; the command line decides the exit status (130).
import { Interrupted } from './errors.js';

export type Undo = () => void | Promise<void>;

export class CleanupStack {
  readonly #steps: { name: string; undo: Undo }[] = [];
  readonly #abort = new AbortController();
  #unwound = false;

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Aborted when the run is interrupted: long steps (a load run) listen to it and stop early. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Registers an undo; returns a function that runs it now and forgets it (a phase that stops
   * what it started). After the stack has unwound, the undo runs at once and the step fails.
   */
  defer(name: string, undo: Undo): () => Promise<void> {
    if (this.#unwound) {
      void Promise.resolve()
        .then(undo)
        .catch(() => {});
      throw this.#abort.signal.reason instanceof Error ? this.#abort.signal.reason : new Interrupted('SIGTERM');
    }
    const step = { name, undo };
    this.#steps.push(step);
    return async () => {
      const i = this.#steps.indexOf(step);
      if (i < 0) return;
      this.#steps.splice(i, 1);
      await undo();
    };
  }

  /** Stops long steps (they see `signal` aborted); the stack itself unwinds in `unwind`. */
  abort(reason: Error): void {
    this.#abort.abort(reason);
  }

  /** Undoes every step, newest first; a step that fails is reported and the others still run. */
  async unwind(): Promise<void> {
    this.#unwound = true;
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        this.log(`cleanup: ${step.name}: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Runs `body` with a cleanup stack that is unwound when it ends. With `signals`, SIGINT and
 * SIGTERM abort the run: the stack's signal is aborted, the stack unwound, and the promise rejects
 * with `Interrupted` (without waiting for the body, whose processes are gone by then).
 */
export async function withCleanup<T>(body: (stack: CleanupStack) => Promise<T>, opts: { log?: (line: string) => void; signals?: boolean } = {}): Promise<T> {
  const log = opts.log ?? (() => {});
  const stack = new CleanupStack(log);
  let onSignal: (sig: NodeJS.Signals) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = (sig) => {
      log(`${sig}: undoing what was started`);
      const err = new Interrupted(sig);
      stack.abort(err);
      reject(err);
    };
  });
  if (opts.signals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const work = body(stack);
  work.catch(() => {}); // after an interruption its failure is expected and not reported
  try {
    return await Promise.race([work, interrupted]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stack.unwind();
  }
}
