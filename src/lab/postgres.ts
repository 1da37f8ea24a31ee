// PostgreSQL for the lab: where its binaries are, and the one rendering of a throw-away cluster's
// settings — initdb's flags, the lines added to postgresql.conf and the whole pg_hba.conf —
// shared by `polarity plan calibrate` (its own instance on 127.0.0.1) and deploy/local-cluster's
// database host (which calls `node dist/src/lab/cli.js` for them).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup.js';
import { LabError } from './errors.js';
import { onCores } from './pin.js';
import { freePort, isRoot, PATH, userIds } from './system.js';

/** PG_BIN, or the newest /usr/lib/postgresql/<version>/bin that has a postgres binary. */
export function pgBinDir(): string | undefined {
  if (process.env['PG_BIN']) return process.env['PG_BIN'];
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
}

/** initdb's arguments: superuser postgres, no locale, trust over the socket, nothing over TCP until pg_hba says. */
export function initdbArgs(dataDir: string): string[] {
  return ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync', '--auth-local=trust', '--auth-host=reject'];
}

export interface PostgresSettings {
  /** who wrote these lines (a comment above them) */
  readonly by: string;
  readonly listen: string;
  readonly port: number;
  readonly socketDir: string;
  readonly sharedBuffersMiB: number;
}

/** The lines appended to initdb's postgresql.conf. */
export function renderPostgresConf(s: PostgresSettings): string {
  return `\n# ${s.by}\nlisten_addresses = '${s.listen}'\nport = ${s.port}\nunix_socket_directories = '${s.socketDir}'\nmax_connections = 100\nshared_buffers = ${s.sharedBuffersMiB}MB\n`;
}

/**
 * pg_hba.conf: the superuser only over the socket (in a directory only postgres may enter), the
 * polarity role over TCP from `cidr`, without a password, to `database` ("all" or a name).
 */
export function renderPgHba(h: { database: string; cidr: string }): string {
  return `local all postgres trust\n${hbaLine(h)}`;
}

/** One more line admitting polarity (calibration's extra databases). */
export function hbaLine(h: { database: string; cidr: string }): string {
  return `host ${h.database} polarity ${h.cidr} trust\n`;
}

export interface LocalPostgres {
  /** for the app: postgres://polarity@127.0.0.1:PORT/polarity */
  readonly url: string;
  readonly postmaster: number;
  /** more databases owned by polarity */
  readonly createDatabases: (names: readonly string[]) => void;
}

/** Runs one of PostgreSQL's tools (as postgres when root); its stdout. */
export function pgTool(cmd: string, args: readonly string[], opts: { cores?: string } = {}): string {
  const argv = onCores(opts.cores, [join(pgBinDir() ?? '', cmd), ...args]);
  const user = isRoot() ? userIds('postgres') : undefined;
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: '/', env: { PATH, LANG: 'C.UTF-8' }, ...(user ?? {}) });
  if (r.status !== 0) throw new LabError(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

/** psql as the superuser over the socket, stopping at the first error. */
export function psql(socket: { dir: string; port: number }, commands: readonly string[]): void {
  pgTool('psql', ['-X', '-q', '-h', socket.dir, '-p', String(socket.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', ...commands.flatMap((c) => ['-c', c])]);
}

/** A throw-away PostgreSQL in `dir` on 127.0.0.1 and a free port, started on `cores`, stopped (immediate) on unwind. */
export async function startLocalPostgres(stack: CleanupStack, o: { dir: string; cores?: string; sharedBuffersMiB: number; by: string }): Promise<LocalPostgres> {
  const run = join(o.dir, 'run');
  const data = join(o.dir, 'data');
  mkdirSync(run, { recursive: true });
  const owner = isRoot() ? userIds('postgres') : undefined;
  if (isRoot() && !owner) throw new LabError('running as root needs a "postgres" user to run PostgreSQL as');
  const own = (f: string) => owner && chownSync(f, owner.uid, owner.gid);
  own(o.dir);
  own(run);
  pgTool('initdb', initdbArgs(data));
  const port = await freePort();
  writeFileSync(
    join(data, 'postgresql.conf'),
    readFileSync(join(data, 'postgresql.conf'), 'utf8') + renderPostgresConf({ by: o.by, listen: '127.0.0.1', port, socketDir: run, sharedBuffersMiB: o.sharedBuffersMiB }),
  );
  writeFileSync(join(data, 'pg_hba.conf'), renderPgHba({ database: 'all', cidr: '127.0.0.1/32' }));
  for (const f of ['postgresql.conf', 'pg_hba.conf']) own(join(data, f));
  pgTool('pg_ctl', ['-D', data, '-l', join(o.dir, 'postgres.log'), '-w', '-t', '30', 'start'], { cores: o.cores });
  stack.defer('PostgreSQL', () => void pgTool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']));
  const socket = { dir: run, port };
  psql(socket, ['CREATE ROLE polarity LOGIN', 'CREATE DATABASE polarity OWNER polarity']);
  return {
    url: `postgres://polarity@127.0.0.1:${port}/polarity`,
    postmaster: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    createDatabases: (names) =>
      psql(
        socket,
        names.map((n) => `CREATE DATABASE ${n} OWNER polarity`),
      ),
  };
}
