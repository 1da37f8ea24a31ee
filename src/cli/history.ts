// polarity history export|import: works on the history file directly (the server may be running:
// SQLite's WAL lets both share it).
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { describeDatabase, loadConfig, type Config } from '../config.js';
import { reportUserError, UserError } from '../user-error.js';
import { openStore } from '../store/open.js';
import { exportHistory, importHistory, type ExportFormat, type ImportFormat } from '../store/transfer.js';

interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `Usage:
  polarity history export [--db FILE] [--format ndjson|csv] [--csv-exact] [--out FILE]
      Writes every row, oldest first (default: NDJSON to stdout). In CSV, a text cell that a
      spreadsheet would run as a formula (it starts with = + - @, a tab or a CR) is written with a
      ' before it, and so is one that starts with ' and then one of those; numbers are written
      as numbers. --csv-exact writes every cell exactly as stored.
  polarity history import [--db FILE] [--format auto|ndjson|csv|json-array] [--csv-exact] FILE|-
      Loads rows from our exports or from the original app's MongoDB collection
      (mongoexport lines, or mongoexport --jsonArray). Texts are scored again by the engine;
      a recorded "sentiment" that differs is counted in the report. The time of a row is its
      "createdAt", else the time in its MongoDB ObjectId, else now. A CSV text cell that starts
      with ' and then = + - @, a tab or a CR loses that first ' (the export's escape), unless
      --csv-exact (for files written with --csv-exact, or by another program). A malformed record
      is skipped and reported with its line; the exit status is then 1.

--db defaults to DB_PATH, or DATABASE_URL (sqlite:<file> or postgres://…), or ./data/polarity.db.
`;

export async function runHistory(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: {
        db: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        'csv-exact': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`polarity history: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values['help'] || sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'export' && sub !== 'import') {
    io.stderr.write(`polarity history: unknown subcommand "${sub}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = loadConfig(process.env, typeof values['db'] === 'string' ? ['--db', values['db']] : []);
    const options = { format: values['format'] as string | undefined, csvExact: values['csv-exact'] === true };
    if (sub === 'export') return await runExport(config, { ...options, out: values['out'] as string | undefined }, io);
    return await runImport(config, { ...options, file: positionals[0] }, io);
  } catch (err) {
    return reportUserError(err, `polarity history ${sub}`, io.stderr);
  }
}

interface TransferOptions {
  readonly format: string | undefined;
  readonly csvExact: boolean;
}

async function runExport(config: Config, { format, csvExact, out: outPath }: TransferOptions & { out: string | undefined }, io: Io): Promise<number> {
  if (format !== undefined && format !== 'ndjson' && format !== 'csv') throw new UserError('--format must be ndjson or csv');
  if (csvExact && format !== 'csv') throw new UserError('--csv-exact needs --format csv');
  const store = await openStore(config);
  try {
    const out = outPath !== undefined ? createWriteStream(outPath) : (io.stdout as Writable);
    const n = await exportHistory(store, (format ?? 'ndjson') as ExportFormat, out, { csvExact });
    if (out !== io.stdout) {
      out.end();
      await finished(out);
    }
    io.stderr.write(`exported ${n} rows from ${describeDatabase(config)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function runImport(config: Config, { format, csvExact, file }: TransferOptions & { file: string | undefined }, io: Io): Promise<number> {
  if (format !== undefined && !['auto', 'ndjson', 'csv', 'json-array'].includes(format)) throw new UserError('--format must be auto, ndjson, csv or json-array');
  if (csvExact && (format === 'ndjson' || format === 'json-array')) throw new UserError('--csv-exact is for CSV input');
  if (file === undefined) throw new UserError('name a file (or - for stdin)', 'usage', USAGE.trimEnd());
  const input = file === '-' ? (io.stdin as Readable) : createReadStream(file);
  const store = await openStore(config);
  try {
    const report = await importHistory(store, (format ?? 'auto') as ImportFormat | 'auto', input, { csvExact });
    for (const e of report.errors) io.stderr.write(`skipped ${e}\n`);
    io.stderr.write(
      `imported ${report.imported} rows into ${describeDatabase(config)}; skipped ${report.skipped}; ` + `${report.sentimentMismatches} had a recorded sentiment different from the engine's score\n`,
    );
    return report.skipped > 0 ? 1 : 0;
  } catch (err) {
    io.stderr.write(`polarity history import: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
