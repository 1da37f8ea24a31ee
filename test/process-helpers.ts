// Starting `polarity serve` as a real process group (primary + workers) for process-level tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { listeningUrl } from '../src/lab/serve.js';
import { ROOT } from './helpers.js';

export interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Signals the whole process group. */
  signal: (sig: NodeJS.Signals) => void;
}

export async function startServer(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/polarity.js'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a signal reaches the workers too
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${out}`)), timeoutMs);
    const check = () => {
      const url = listeningUrl(out); // the lab's one readiness rule: the JSON "is listening" line
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    exited,
    signal: (sig) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    },
  };
}
