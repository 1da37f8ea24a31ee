// The machine's tools as the lab runs them: a PATH that has the sbin directories (ip, setpriv and
// PostgreSQL's tools live there, and a user's PATH may lack them), where a program is, its version.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The checkout or installed package: dist/src/lab/ is three levels below it. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const PATH = `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;

export function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8', env: { ...process.env, PATH } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The first match of `re`'s group in what `cmd args` prints (stdout or stderr), or "unknown". */
export function versionOf(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH } });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** uid and gid of a system user, or undefined when there is none. */
export function userIds(name: string): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return u.status === 0 && g.status === 0 ? { uid: Number(u.stdout), gid: Number(g.stdout) } : undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port free on 127.0.0.1 now (for servers that cannot be asked for port 0: nginx, PostgreSQL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
