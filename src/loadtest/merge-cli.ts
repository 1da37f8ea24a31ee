// polarity loadtest merge A.json B.json … — one report from the --json results of runs made at the
// same time (on several machines, started together with --start-at): exact merge (merge.ts), then
// the same outputs and thresholds as a run.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderRunHtml } from './html-report.js';
import { MergeError, mergeReports } from './merge.js';
import type { RunReport } from './report.js';
import { formatSummary } from './text-report.js';
import { evaluateThresholds, exitStatus, parseThreshold } from './thresholds.js';
import type { LoadtestIO } from './cli.js';
import { UserError } from '../user-error.js';

export const MERGE_USAGE = `Usage: polarity loadtest merge A.json B.json … [--html FILE] [--json] [--threshold T …]

Merges the --json results of load tests run at the same time (e.g. on several machines started
together with --start-at) into one report, exactly: requests, failures and the response-time
buckets add up, so the percentiles are those of one run that saw every request. The average RPS is
all requests over (last request − earliest start).

Options:
  --html FILE     write the merged HTML report
  --json          print the merged result as JSON instead of the tables
  --threshold T   as for a run (exit status 3 when one is broken)
  -h, --help      show this help

Exit status: as a run's — 0, 1 when a request failed, 2 on a usage error or an unreadable file,
3 when a threshold was broken.
`;

export async function runMergeCommand(argv: string[], io: LoadtestIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { html: { type: 'string' }, json: { type: 'boolean' }, threshold: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr.write(`polarity loadtest merge: ${(err as Error).message}\n\n${MERGE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(MERGE_USAGE);
    return 0;
  }
  let report: RunReport;
  let thresholds;
  try {
    if (positionals.length === 0) throw new MergeError('give the --json result files to merge');
    thresholds = (values.threshold ?? []).map(parseThreshold);
    const reports = positionals.map((file) => {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
      } catch (err) {
        throw new MergeError(`cannot read ${file}: ${(err as Error).message}`);
      }
    });
    report = mergeReports(reports);
  } catch (err) {
    if (err instanceof UserError) {
      io.stderr.write(`polarity loadtest merge: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (thresholds.length) report.thresholds = evaluateThresholds(report, thresholds);
  if (values.html) {
    writeFileSync(values.html, renderRunHtml(report));
    io.stderr.write(`wrote ${values.html}\n`);
  }
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report));
  return exitStatus(report, thresholds);
}
