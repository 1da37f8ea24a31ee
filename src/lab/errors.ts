// The lab's failures: what a person running a calibration, a benchmark or a cluster test should
// read (a missing tool, a process that did not start), without a stack trace — users' errors in
// the one sense of src/user-error.ts, with exit status 1 (the machine, not the command line, is
// what is wrong) or 130 (interrupted, as a shell reports Ctrl-C).
import { UserError } from '../user-error.js';

export class LabError extends UserError {
  constructor(message: string) {
    super(message, 'lab', undefined, 1);
  }
}

/** A run stopped by SIGINT or SIGTERM; everything it started has been undone. Exit status 130. */
export class Interrupted extends UserError {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal}: stopped, and everything started was undone`, 'interrupted', undefined, 130);
  }
}
