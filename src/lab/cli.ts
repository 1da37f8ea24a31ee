// The lab's renderers for deploy/local-cluster (bash), so that the script and `polarity plan
// calibrate` write PostgreSQL's and nginx's settings from one source. Not part of `polarity`:
//
//   node dist/src/lab/cli.js pg-bin
//   node dist/src/lab/cli.js initdb-args DATA_DIR                 (one argument a line)
//   node dist/src/lab/cli.js postgresql-conf --by WHO --listen ADDR --port N --socket-dir DIR --shared-buffers MIB
//   node dist/src/lab/cli.js pg-hba --database DB --cidr CIDR
//   node dist/src/lab/cli.js nginx-main --dir DIR --workers N|auto --include FILE [--user USER]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderNginxMain } from './nginx.js';
import { initdbArgs, pgBinDir, renderPgHba, renderPostgresConf } from './postgres.js';
import { reportUserError, UserError } from '../user-error.js';

function required(values: Record<string, string | undefined>, name: string): string {
  const v = values[name];
  if (v === undefined || v === '') throw new UserError(`--${name} is required`);
  return v;
}

function count(v: string, name: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new UserError(`--${name} must be a positive whole number (got ${JSON.stringify(v)})`);
  return Number(v);
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        by: { type: 'string' },
        listen: { type: 'string' },
        port: { type: 'string' },
        'socket-dir': { type: 'string' },
        'shared-buffers': { type: 'string' },
        database: { type: 'string' },
        cidr: { type: 'string' },
        dir: { type: 'string' },
        workers: { type: 'string' },
        include: { type: 'string' },
        user: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UserError((err as Error).message); // an unknown option: a usage error like the others
  }
}

/** What the subcommand prints, or a usage error. */
export function render(argv: readonly string[]): string {
  const [what, ...rest] = argv;
  const { values, positionals } = parse(rest);
  switch (what) {
    case 'pg-bin': {
      const bin = pgBinDir();
      if (!bin) throw new UserError('PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)');
      return `${bin}\n`;
    }
    case 'initdb-args':
      if (positionals.length !== 1) throw new UserError('initdb-args needs the data directory');
      return initdbArgs(positionals[0]!).join('\n') + '\n';
    case 'postgresql-conf':
      return renderPostgresConf({
        by: required(values, 'by'),
        listen: required(values, 'listen'),
        port: count(required(values, 'port'), 'port'),
        socketDir: required(values, 'socket-dir'),
        sharedBuffersMiB: count(required(values, 'shared-buffers'), 'shared-buffers'),
      });
    case 'pg-hba':
      return renderPgHba({ database: required(values, 'database'), cidr: required(values, 'cidr') });
    case 'nginx-main': {
      const workers = required(values, 'workers');
      return renderNginxMain({
        dir: required(values, 'dir'),
        workerProcesses: workers === 'auto' ? 'auto' : count(workers, 'workers'),
        include: required(values, 'include'),
        ...(values.user ? { user: values.user } : {}),
      });
    }
    default:
      throw new UserError(`unknown subcommand ${JSON.stringify(what ?? '')} (pg-bin, initdb-args, postgresql-conf, pg-hba, nginx-main)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(render(process.argv.slice(2)));
  } catch (err) {
    process.exitCode = reportUserError(err, 'src/lab/cli', process.stderr);
  }
}
