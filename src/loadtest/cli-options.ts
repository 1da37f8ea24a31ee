// polarity loadtest's options: the command line read, checked and turned into the run it asks for.
// Checked in the order a user meets them, the first mistake reported; every one is a UsageError.
import { parseArgs } from 'node:util';
import { parseDuration } from '../duration.js';
import { loadTexts, type DataOrder } from './data.js';
import type { RunSpec } from './run.js';
import { loadScenario, usesTexts, type Scenario } from './scenario.js';
import { parseThreshold, type Threshold } from './thresholds.js';
import { UserError } from '../user-error.js';

export class UsageError extends UserError {}

function positiveNumber(v: string | undefined, flag: string, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(v)})`);
  }
  return x;
}

/** A duration flag's seconds (a bare number is seconds); a malformed one is the user's mistake, not a crash. */
export function flagSeconds(v: string, flag: string): number {
  try {
    return parseDuration(v, { bareSeconds: true });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

function duration(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const s = flagSeconds(v, flag);
  if (!(s > 0)) throw new UsageError(`${flag} must be above 0`);
  return s;
}

/** "2000", "2000/s", "120/m", "7200/h" → requests per second. */
export function parseRate(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(v);
  const x = m ? Number(m[1]) / (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1) : NaN;
  if (!(x > 0)) throw new UsageError(`--rate must be requests per second such as 2000/s or 120/m (got ${JSON.stringify(v)})`);
  return x;
}

/** --start-at: an ISO 8601 time, or HH:MM[:SS] today in local time → epoch ms. */
export function parseStartAt(v: string, now = new Date()): number {
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (hm) {
    const d = new Date(now);
    d.setHours(Number(hm[1]), Number(hm[2]), Number(hm[3] ?? 0), 0);
    if (Number(hm[1]) > 23 || Number(hm[2]) > 59 || Number(hm[3] ?? 0) > 59) throw new UsageError(`--start-at ${v}: not a time of day`);
    return d.getTime();
  }
  const t = /^\d{4}-\d{2}-\d{2}T/.test(v.trim()) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new UsageError(`--start-at must be an ISO 8601 time (2026-12-03T14:00:00Z) or HH:MM[:SS] (got ${JSON.stringify(v)})`);
  return t;
}

/** "--web" may come without a port: give it the default before parseArgs sees it. */
function defaultWebPort(argv: string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    out.push(a);
    if (a === '--web' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('-'))) out.push('8089');
  });
  return out;
}

/** The options as given; throws parseArgs's own error for an unknown option or a missing value. */
export function parseLoadtestArgs(argv: string[]) {
  return parseArgs({
    args: defaultWebPort(argv),
    options: {
      host: { type: 'string' },
      users: { type: 'string', short: 'u' },
      'spawn-rate': { type: 'string', short: 'r' },
      duration: { type: 'string', short: 't' },
      scenario: { type: 'string', default: 'seed' },
      timeout: { type: 'string' },
      'stop-timeout': { type: 'string' },
      'max-requests': { type: 'string' },
      seed: { type: 'string' },
      csv: { type: 'string' },
      'csv-full-history': { type: 'boolean' },
      html: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      max: { type: 'boolean' },
      connections: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      rate: { type: 'string' },
      ramp: { type: 'string' },
      data: { type: 'string' },
      'data-order': { type: 'string' },
      processes: { type: 'string' },
      'start-at': { type: 'string' },
      web: { type: 'string' },
      'web-host': { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}

export type LoadtestValues = ReturnType<typeof parseLoadtestArgs>;

/** What the command line asks for, checked. */
export interface LoadtestPlan {
  spec: RunSpec;
  thresholds: Threshold[];
  processes: number;
  webPort: number | null;
}

export function loadtestPlan(values: LoadtestValues): LoadtestPlan {
  const thresholds = (values.threshold ?? []).map(parseThreshold);
  if (!values.host) throw new UsageError('--host is required, e.g. --host http://127.0.0.1:3000');
  const mode = runMode(values);
  const users = mode === 'max' ? positiveNumber(values.connections, '--connections', 64, true) : mode === 'rate' ? 1 : positiveNumber(values.users, '--users', 1, true);
  if (users > 1_000_000) throw new UsageError('--users is limited to 1,000,000');
  const seed = parseSeed(values.seed);
  const order = dataOrder(values);
  const scenario = scenarioFor(values);
  const processes = processCount(values);
  const webPort = parseWebPort(values.web);
  const spec: RunSpec = {
    host: values.host,
    scenario,
    users,
    spawnRate: positiveNumber(values['spawn-rate'], '--spawn-rate', 1),
    durationS: duration(values.duration, '--duration', 60),
    timeoutS: duration(values.timeout, '--timeout', 60),
    stopTimeoutS: duration(values['stop-timeout'], '--stop-timeout', 10),
    maxRequests: values['max-requests'] === undefined ? null : positiveNumber(values['max-requests'], '--max-requests', 0, true),
    mode,
    seed,
    rate: mode === 'rate' ? openModel(values) : null,
    data: values.data ? { file: values.data, texts: loadTexts(values.data), order } : null,
    insecure: Boolean(values.insecure),
    startAt: values['start-at'] === undefined ? null : parseStartAt(values['start-at']),
  };
  return { spec, thresholds, processes, webPort };
}

/** --max, --rate or simulated users, with only the options that mode takes. */
function runMode(values: LoadtestValues): RunSpec['mode'] {
  const max = Boolean(values.max);
  const open = values.rate !== undefined;
  if (max && open) throw new UsageError('--max and --rate are two different modes: choose one');
  if ((max || open) && (values.users || values['spawn-rate'])) throw new UsageError(`--${max ? 'max' : 'rate'} takes --connections, not --users/--spawn-rate`);
  if (!max && !open && values.connections) throw new UsageError('--connections goes with --max or --rate');
  if (!open && values.ramp) throw new UsageError('--ramp goes with --rate (users ramp up with --spawn-rate)');
  return max ? 'max' : open ? 'rate' : 'users';
}

function parseSeed(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const seed = Number(v);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError('--seed must be a whole number from 0 to 4294967295');
  return seed;
}

function dataOrder(values: LoadtestValues): DataOrder {
  const order = (values['data-order'] ?? 'round-robin') as DataOrder;
  if (order !== 'round-robin' && order !== 'random') throw new UsageError('--data-order must be round-robin or random');
  if (values['data-order'] && !values.data) throw new UsageError('--data-order goes with --data');
  return order;
}

/** The scenario, and --data given exactly when it posts {{text}}. */
function scenarioFor(values: LoadtestValues): Scenario {
  const scenario = loadScenario(values.scenario!, values.data !== undefined);
  if (usesTexts(scenario) && !values.data) throw new UsageError(`the scenario posts {{text}}: give the texts with --data FILE`);
  if (values.data && !usesTexts(scenario)) throw new UsageError(`--data: the scenario ${scenario.name} has no {{text}} in any request body`);
  return scenario;
}

function processCount(values: LoadtestValues): number {
  const processes = positiveNumber(values.processes, '--processes', 1, true);
  if (processes > 64) throw new UsageError('--processes is limited to 64');
  if (processes > 1 && values.csv) throw new UsageError('--csv is not available with --processes yet: use --json or --html');
  return processes;
}

function parseWebPort(v: string | undefined): number | null {
  if (v === undefined) return null;
  const port = Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--web takes a port number (got ${JSON.stringify(v)})`);
  return port;
}

/** --rate's arrivals, its ramp and its most connections. */
function openModel(values: LoadtestValues): NonNullable<RunSpec['rate']> {
  return {
    perS: parseRate(values.rate!),
    rampS: values.ramp === undefined ? 0 : duration(values.ramp, '--ramp', 0),
    connections: positiveNumber(values.connections, '--connections', 1000, true),
  };
}
