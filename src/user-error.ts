// A mistake of the user's — a bad option, an unreadable file, a value out of range — as opposed to
// a bug. Every command prints one as a single line, `polarity <command>: <message>`, with its hint,
// never a stack trace, and exits with its exit code (2 for usage, as POSIX tools do). Anything
// else that escapes a command is a bug: its stack is printed and the exit code is 1.

export class UserError extends Error {
  constructor(
    message: string,
    /** What kind of mistake, for scripts and tests: 'usage', 'config', 'input'… */
    readonly code = 'usage',
    /** A line that says what to do next ("Run polarity plan --help for the options."). */
    readonly hint?: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Writes a UserError for the user (its hint, else `hint`) and answers its exit code; rethrows anything else. */
export function reportUserError(err: unknown, command: string, stderr: { write(s: string): unknown }, hint?: string): number {
  if (!(err instanceof UserError)) throw err;
  const line = err.hint ?? hint;
  stderr.write(`${command}: ${err.message}\n${line === undefined ? '' : `${line}\n`}`);
  return err.exitCode;
}
