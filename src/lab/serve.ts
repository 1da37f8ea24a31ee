// `polarity serve` as a process of the lab, started and waited for by one rule: the server is
// ready when it logs its JSON line "Polarity … is listening on URL" (src/server.ts logs it once
// every worker listens and the store is open, whatever --log-level says), and the URL is that
// line's `url` field — so `--port 0` works and no free port is guessed. It may run pinned to
// cores (taskset), and in a network namespace of deploy/local-cluster as `nobody`, like an app
// host there; ip netns exec, setpriv and taskset all exec, so the pid is node's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup.js';
import { LabError } from './errors.js';
import { onCores } from './pin.js';
import { processTree } from './proc.js';
import { PATH, ROOT, sleep } from './system.js';

export interface ServeOptions {
  /** what follows `polarity serve --host H --port P`: --workers, --db or --database-url, … */
  readonly args: readonly string[];
  /** a label for errors and the cleanup log */
  readonly name?: string;
  readonly host?: string;
  /** 0 (the default): a free port, read back from the listening line */
  readonly port?: number;
  readonly logLevel?: string;
  /** a taskset CPU list */
  readonly cores?: string;
  /** run in this network namespace as nobody (root only) */
  readonly netns?: string;
  /** its own process group, so that a signal reaches its workers too */
  readonly detached?: boolean;
  /** HOME; the environment is otherwise only PATH and LANG (flags configure the server) */
  readonly home?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutS?: number;
  /** the checkout or package to run (bench/slow-clients measures another one) */
  readonly root?: string;
  /** each line the server writes to stdout, as it comes (bench/retention follows its progress lines) */
  readonly onLine?: (line: string) => void;
}

export interface Served {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** without a trailing slash */
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | string>;
  /** SIGINT (Ctrl-C: without waiting for idle keep-alive connections), SIGKILL after 15 s */
  readonly stop: () => Promise<void>;
}

/** The `url` of the "is listening" JSON log line in `output`, if it is there yet. */
export function listeningUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('is listening')) continue;
    try {
      const rec = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (typeof rec.msg === 'string' && rec.msg.includes(' is listening on ') && typeof rec.url === 'string') return rec.url.replace(/\/$/, '');
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

function argvOf(o: ServeOptions): string[] {
  const serve = [process.execPath, join(o.root ?? ROOT, 'bin/polarity.js'), 'serve', '--host', o.host ?? '127.0.0.1', '--port', String(o.port ?? 0), '--log-level', o.logLevel ?? 'warn', ...o.args];
  const inNs = o.netns ? ['ip', 'netns', 'exec', o.netns, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', ...serve] : serve;
  return onCores(o.cores, inNs);
}

/** Sends a signal to the server (its group when detached); false if it is gone. */
function signal(proc: ChildProcess, detached: boolean, sig: NodeJS.Signals): void {
  try {
    if (detached) process.kill(-proc.pid!, sig);
    else proc.kill(sig);
  } catch {
    // gone
  }
}

/** Starts `polarity serve`, registers its stop on `stack`, and resolves once it is listening. */
export async function serve(stack: CleanupStack, o: ServeOptions): Promise<Served> {
  stack.signal.throwIfAborted();
  const name = o.name ?? 'polarity serve';
  const argv = argvOf(o);
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: o.detached ?? false, env: { PATH, LANG: 'C.UTF-8', HOME: o.home ?? tmpdir(), ...o.env } });
  let out = '';
  let stdout = ''; // the listening line is looked for here: a stderr chunk cannot split it
  let partial = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-64_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.stdout!.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-64_000);
  });
  if (o.onLine) {
    const onLine = o.onLine;
    proc.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    });
  }
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const stop = stack.defer(name, async () => {
    if (gone()) return;
    const tree = processTree(proc.pid!);
    signal(proc, o.detached ?? false, 'SIGINT');
    await Promise.race([exited, sleep(15_000)]);
    if (gone()) return;
    signal(proc, o.detached ?? false, 'SIGKILL');
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL'); // a worker its killed primary would leave behind
      } catch {
        // gone
      }
    }
  });
  const deadline = performance.now() + (o.timeoutS ?? 60) * 1000;
  for (;;) {
    const url = listeningUrl(stdout);
    if (url) return { proc, pid: proc.pid!, url: o.host === '0.0.0.0' ? url.replace('localhost', '127.0.0.1') : url, output: () => out, exited, stop: () => stop() };
    if (gone() || performance.now() > deadline || stack.signal.aborted) {
      await stop();
      throw new LabError(`${name} did not start (${gone() ? `exited: ${proc.exitCode ?? proc.signalCode}` : 'not listening in time'}):\n${out}`);
    }
    await sleep(25);
  }
}
