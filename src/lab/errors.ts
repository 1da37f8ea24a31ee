// The lab's failures: what a person running a calibration, a benchmark or a cluster test should
// read (a missing tool, a process that did not start), without a stack trace.

export class LabError extends Error {}

/** A run stopped by SIGINT or SIGTERM; everything it started has been undone. Exit status 130. */
export class Interrupted extends LabError {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal}: stopped, and everything started was undone`);
  }
}
