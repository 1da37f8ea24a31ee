// polarity serve | analyze | history export|import — the command line.
import { loadConfig, OPTIONS } from './config.js';
import { runAnalyze } from './cli/analyze.js';
import { runHistory } from './cli/history.js';
import { runLoadtest } from './loadtest/cli.js';
import { runPlan } from './plan/cli.js';
import { reportUserError } from './user-error.js';
import { VERSION } from './version.js';

const USAGE = `Usage: polarity <command> [options]
       polarity --version

Installed as two commands, polarity-server and polarity: the same program.

Commands:
  serve                 start the web UI and the API (what \`npm start\` runs)
  analyze TEXT          score a text and print the result as JSON
  analyze --jsonl       score {"id","text"} lines from stdin, one result line each
  history export        write the history as NDJSON or CSV
  history import FILE   load NDJSON, CSV or a MongoDB export of the original app
  loadtest --host URL   load-test a server with the original Locust scenario (suite: its capacity questions)
  plan --budget 65      the best cloud topology for a monthly budget, from measurements (calibrate: measure this machine)

Run \`polarity <command> --help\` for a command's options.
`;

export function serveUsage(): string {
  const rows = OPTIONS.map((o) => `  --${o.flag.padEnd(20)} ${o.env.padEnd(22)} ${o.help} (default: ${'value' in o ? o.value : o.def})`);
  return `Usage: polarity serve [options]

Each option can also be set by the environment variable beside it; a flag wins.
DATABASE_URL=sqlite:<file> is accepted as well as --db / DB_PATH.

  flag                   environment            meaning
${rows.join('\n')}
`;
}

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  switch (command) {
    case 'serve': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(serveUsage());
        return 0;
      }
      let config;
      try {
        config = loadConfig(process.env, rest);
      } catch (err) {
        return reportUserError(err, 'polarity serve', process.stderr, 'Run polarity serve --help for the options.');
      }
      const { serve } = await import('./server.js');
      await serve(config);
      return undefined; // keeps running until a signal
    }
    case 'analyze':
      return runAnalyze(rest, io);
    case 'history':
      return runHistory(rest, io);
    case 'loadtest':
      return runLoadtest(rest, io);
    case 'plan':
      return runPlan(rest, io);
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`polarity: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
