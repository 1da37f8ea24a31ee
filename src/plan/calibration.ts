// A calibration: what each role of the architecture costs per request on a measured machine, and
// the memory it needs. `polarity plan calibrate` writes one (calibrate.ts); the model reads it.
//
// CPU is kept as CPU time per request (microseconds of one core), per request kind, because it is
// what stays put on a shared machine: a neighbour's load changes how many requests a second a
// process gets through, much less how much CPU each one takes. Capacity is then cores / cost.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postShare, type Mix } from './mix.js';
import type { MachineInfo } from '../loadtest/report.js';
import { UserError } from '../user-error.js';

/** The processes whose CPU per request the model needs. */
export const COST_ROLES = ['appSqlite', 'appPostgres', 'nginx', 'postgres', 'client'] as const;
export type CostRole = (typeof COST_ROLES)[number];

/** CPU microseconds per request, by request kind. */
export interface PerKind {
  readonly post: number;
  readonly get: number;
}

/** A mix measured as such, to check that the per-kind costs add up. */
export interface MeasuredMix {
  readonly post: number;
  readonly get: number;
  /** CPU µs per request of this mix, by role */
  readonly cpuUs: Readonly<Partial<Record<CostRole, number>>>;
}

export interface MemoryFigures {
  /** one process serving alone (--workers 1), under load, MiB (proportional set size) */
  readonly appSingleSqlite: number;
  readonly appSinglePostgres: number;
  /** cluster mode (--workers N ≥ 2): the primary process, and each worker under load */
  readonly appPrimary: number;
  readonly appWorkerSqlite: number;
  readonly appWorkerPostgres: number;
  readonly nginxMaster: number;
  readonly nginxWorker: number;
  /** PostgreSQL's own processes (postmaster, checkpointer, WAL writer, …), private memory */
  readonly postgresFixed: number;
  /** each connection's backend, private memory */
  readonly postgresPerConnection: number;
  /** shared_buffers, counted whole: a long-running server fills it */
  readonly postgresSharedBuffers: number;
}

/**
 * The machine a calibration was measured on: the load tester's description of a machine (the one
 * definition, `machineInfo()` in src/loadtest/report.ts) and the versions of the servers measured.
 * Files written before 2026-12-03 said `cores` and `memoryMiB`; `parseCalibration` reads them so.
 */
export interface MachineDescription extends MachineInfo {
  readonly nginx: string;
  readonly postgresql: string;
}

export interface RunRecord {
  readonly phase: string;
  readonly kind: 'post' | 'get' | 'mix';
  readonly requests: number;
  readonly failures: number;
  readonly wallS: number;
  readonly rps: number;
  /** CPU seconds of each process group during the run */
  readonly cpuS: Readonly<Record<string, number>>;
  /** CPU seconds / wall seconds of the core the measured process had to itself (1 = saturated) */
  readonly measuredCoreBusy?: number;
  /** cores' worth of CPU that other processes on the machine used during the run */
  readonly otherCores?: number;
  /** µs per POST that the SQLite store's commits held its write lock (GET /metrics), in the runs that read it */
  readonly writeLockUsPerPost?: number;
}

export interface Calibration {
  readonly schema: 'polarity-calibration/1';
  /** says which machine it describes, e.g. "shipped default: …" */
  readonly label: string;
  readonly date: string;
  readonly machine: MachineDescription;
  readonly command: string;
  readonly quick: boolean;
  readonly settings: {
    readonly durationS: number;
    readonly warmupS: number;
    readonly connections: number;
    readonly rounds?: number;
    readonly pinned: boolean;
    readonly network?: 'namespaces' | 'loopback';
  };
  readonly cpuUs: Readonly<Record<CostRole, PerKind>>;
  /**
   * µs per POST that run one at a time whatever the number of cores. SQLite: the time a group
   * commit holds the database file's write lock — each process commits on its own event loop and
   * processes take turns on the lock (src/store/sqlite.ts) — measured as the growth of
   * `polarity_store_write_duration_seconds_sum` on GET /metrics over a POST-only run divided by its
   * POSTs (part of the app's CPU per POST, not in addition to it). PostgreSQL: the whole CPU of its
   * insert (an upper bound), which holds an advisory lock until COMMIT so that ids become visible in
   * order (src/store/postgres.ts).
   */
  readonly writeSerialUs: { readonly sqlite: number; readonly postgres: number };
  /**
   * CPU µs per request a second app process adds, measured with the calibrated mix (whose share of
   * POSTs is `share`): a second worker of one host (node:cluster: appSqlite, appPostgres and its
   * PostgreSQL, postgres), and a second app host — another one-worker process behind nginx
   * (appPostgresHost, postgresHost). Processes sharing a store are not free of each other: with
   * SQLite each re-reads what the others wrote to keep its newest page exact; with PostgreSQL every
   * commit is notified to every process (LISTEN/NOTIFY), and each serves fewer requests per
   * event-loop turn.
   */
  readonly extraWorkerUs: {
    readonly share: number;
    readonly appSqlite: number;
    readonly appPostgres: number;
    readonly postgres: number;
    readonly appPostgresHost: number;
    readonly postgresHost: number;
    /** what a second app host adds to nginx's CPU per request (absent before 2026-12-02: none) */
    readonly nginxHost?: number;
  };
  readonly mixes: readonly MeasuredMix[];
  /**
   * CPU µs per request of each role when the roles share their cores instead of having one each
   * (phase D of `plan calibrate`: every process, the load tester too, on every core). A host that
   * runs several roles pays these: its processes take turns on the same cores, each serves fewer
   * requests per wake-up and finds its caches cold. `postgres`: load tester → nginx (2 workers) →
   * app (1 worker) → PostgreSQL; `sqlite`: load tester → app with SQLite. Both at the calibrated
   * mix; the model scales a role's cost for any mix by the ratio of these to the figures above.
   * Absent in calibrations made before 2026-12-02: no co-location cost then.
   */
  readonly colocated?: { readonly sqlite: MeasuredMix; readonly postgres: MeasuredMix };
  readonly memoryMiB: MemoryFigures;
  /** requests/s of the runs the figures come from (the fastest of each kind), for the record */
  readonly sustainedRps: Readonly<Record<string, number>>;
  readonly runs: readonly RunRecord[];
}

export class CalibrationError extends UserError {}

/**
 * The shipped default, measured on the project's machine (see its label and docs/plan.md): data
 * of the planner, written here on purpose by `npm run plan:calibrate-default`, never by a benchmark.
 */
export const DEFAULT_CALIBRATION_FILE = fileURLToPath(new URL('../../../src/plan/calibration-default.json', import.meta.url));

/** A machine description as recorded, older files' field names (cores, memoryMiB) read as today's. */
function machineOf(m: Record<string, unknown>): MachineDescription {
  const { cores, memoryMiB, ...rest } = m;
  return {
    ...(cores !== undefined ? { cpus: cores } : {}),
    ...(typeof memoryMiB === 'number' ? { memoryGiB: Math.round((memoryMiB / 1024) * 10) / 10 } : {}),
    ...rest,
  } as unknown as MachineDescription;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positive(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CalibrationError(`${where} must be a number ≥ 0`);
  return v;
}

/** Checks the parts the model uses; the rest (runs, machine) is carried along as recorded. */
export function parseCalibration(doc: unknown, source = 'calibration'): Calibration {
  if (!isObject(doc)) throw new CalibrationError(`${source}: must be a JSON object`);
  if (doc.schema !== 'polarity-calibration/1') throw new CalibrationError(`${source}: "schema" must be "polarity-calibration/1"`);
  if (typeof doc.label !== 'string' || typeof doc.date !== 'string') throw new CalibrationError(`${source}: needs "label" and "date"`);
  if (!isObject(doc.cpuUs)) throw new CalibrationError(`${source}: "cpuUs" missing`);
  for (const role of COST_ROLES) {
    const r = doc.cpuUs[role];
    if (!isObject(r)) throw new CalibrationError(`${source}: cpuUs.${role} missing`);
    positive(r.post, `${source}: cpuUs.${role}.post`);
    positive(r.get, `${source}: cpuUs.${role}.get`);
  }
  if (!isObject(doc.writeSerialUs)) throw new CalibrationError(`${source}: "writeSerialUs" missing`);
  positive(doc.writeSerialUs.sqlite, `${source}: writeSerialUs.sqlite`);
  positive(doc.writeSerialUs.postgres, `${source}: writeSerialUs.postgres`);
  if (!isObject(doc.extraWorkerUs)) throw new CalibrationError(`${source}: "extraWorkerUs" missing`);
  for (const k of ['share', 'appSqlite', 'appPostgres', 'postgres', 'appPostgresHost', 'postgresHost']) {
    if (typeof doc.extraWorkerUs[k] !== 'number' || !Number.isFinite(doc.extraWorkerUs[k])) throw new CalibrationError(`${source}: extraWorkerUs.${k} must be a number`);
  }
  if (doc.colocated !== undefined) {
    if (!isObject(doc.colocated)) throw new CalibrationError(`${source}: "colocated" must be an object`);
    for (const store of ['sqlite', 'postgres']) {
      const m = doc.colocated[store];
      if (!isObject(m) || !isObject(m.cpuUs)) throw new CalibrationError(`${source}: colocated.${store} needs "post", "get" and "cpuUs"`);
      positive(m.post, `${source}: colocated.${store}.post`);
      positive(m.get, `${source}: colocated.${store}.get`);
      if ((m.post as number) + (m.get as number) <= 0) throw new CalibrationError(`${source}: colocated.${store} counts no requests`);
      for (const [role, us] of Object.entries(m.cpuUs)) {
        if (!(COST_ROLES as readonly string[]).includes(role)) throw new CalibrationError(`${source}: colocated.${store}.cpuUs.${role} is not a role (${COST_ROLES.join(', ')})`);
        if (typeof us !== 'number' || !Number.isFinite(us) || us <= 0) throw new CalibrationError(`${source}: colocated.${store}.cpuUs.${role} must be a number > 0`);
      }
    }
  }
  if (doc.extraWorkerUs.nginxHost !== undefined && (typeof doc.extraWorkerUs.nginxHost !== 'number' || !Number.isFinite(doc.extraWorkerUs.nginxHost)))
    throw new CalibrationError(`${source}: extraWorkerUs.nginxHost must be a number`);
  if (!isObject(doc.memoryMiB)) throw new CalibrationError(`${source}: "memoryMiB" missing`);
  for (const k of [
    'appSingleSqlite',
    'appSinglePostgres',
    'appPrimary',
    'appWorkerSqlite',
    'appWorkerPostgres',
    'nginxMaster',
    'nginxWorker',
    'postgresFixed',
    'postgresPerConnection',
    'postgresSharedBuffers',
  ]) {
    positive(doc.memoryMiB[k], `${source}: memoryMiB.${k}`);
  }
  if (!isObject(doc.machine)) throw new CalibrationError(`${source}: "machine" missing`);
  return { ...doc, machine: machineOf(doc.machine) } as unknown as Calibration;
}

export function loadCalibration(file = DEFAULT_CALIBRATION_FILE): Calibration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CalibrationError(`cannot read calibration ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CalibrationError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCalibration(doc, file);
}

/**
 * The measured points of a role's cost curve: (share of POSTs, CPU µs per request). The POST-only
 * and GET-only runs are the ends; each measured mix is a point between.
 */
export function costPoints(cal: Calibration, role: CostRole): [number, number][] {
  const points: [number, number][] = [
    [0, cal.cpuUs[role].get],
    [1, cal.cpuUs[role].post],
  ];
  for (const m of cal.mixes) {
    const us = m.cpuUs[role];
    if (us === undefined || m.post + m.get <= 0) continue;
    points.push([m.post / (m.post + m.get), us]);
  }
  return points.sort((a, b) => a[0] - b[0]);
}

/**
 * CPU seconds per request of `mix` for a role: interpolated linearly between the measured points.
 *
 * Not the per-kind costs weighted by the mix: they do not add up. Measured on the project's
 * machine, a GET costs the SQLite app 23 µs when nothing is written (the newest page is served
 * from memory) but about 40 µs when writes keep changing that page, and PostgreSQL shares one
 * query among the reads of an event-loop turn, which a write-free run makes unusually cheap.
 * A mix measured as such (`plan calibrate --mix P:G`) is exact; between points it is an estimate.
 */
export function cpuPerRequest(cal: Calibration, role: CostRole, mix: Mix): number {
  const p = postShare(mix);
  const pts = costPoints(cal, role);
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    if (p <= x1 + 1e-12) {
      const y = x1 - x0 < 1e-12 ? (y0 + y1) / 2 : y0 + ((p - x0) / (x1 - x0)) * (y1 - y0);
      return y / 1e6;
    }
  }
  return pts.at(-1)![1] / 1e6;
}

/**
 * CPU seconds per request each worker beyond the first adds, for `mix`: the overhead comes from
 * writes (other workers' rows to read, notifications), so it scales with the share of POSTs.
 * A negative measurement (noise) counts as none.
 */
export function extraWorkerCost(cal: Calibration, role: 'appSqlite' | 'appPostgres' | 'postgres' | 'appPostgresHost' | 'postgresHost' | 'nginxHost', mix: Mix): number {
  const d = cal.extraWorkerUs;
  // nginx writes nothing: what another upstream costs it (fewer requests per connection read) does not follow the POSTs
  if (role === 'nginxHost') return Math.max(0, d.nginxHost ?? 0) / 1e6;
  if (d.share <= 0) return 0;
  return (Math.max(0, d[role]) * (postShare(mix) / d.share)) / 1e6;
}

/**
 * How much more CPU per request a role takes on a host where it shares the cores with other roles
 * than on cores of its own: the co-located measurement over the dedicated figure at the same mix
 * (1 when the calibration has no co-located measurement of that role).
 */
export function colocationFactor(cal: Calibration, store: 'sqlite' | 'postgres', role: CostRole): number {
  const m = cal.colocated?.[store];
  const us = m?.cpuUs[role];
  if (!m || us === undefined) return 1;
  const alone = cpuPerRequest(cal, role, { post: m.post, get: m.get }) * 1e6;
  return alone > 0 ? us / alone : 1;
}

/** The middle value; the mean of the two middle ones when there is an even number. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Several calibrations of one machine as one: every figure the median of theirs (field by field,
 * the measured mixes point by point), their runs together. bench/plan-validate makes one
 * calibration before each round of its measurements, so that the prediction and the measurement
 * come from the same minutes of a machine whose speed changes, and predicts from this median.
 * Strings (label, machine description) come from the first; `date` from the last.
 */
export function medianCalibration(cals: readonly Calibration[], command: string): Calibration {
  if (cals.length === 0) throw new CalibrationError('medianCalibration: no calibrations');
  const merge = (values: unknown[], where: string): unknown => {
    const present = values.filter((v) => v !== undefined);
    const first = present[0];
    if (typeof first === 'number') {
      if (!present.every((v) => typeof v === 'number')) throw new CalibrationError(`medianCalibration: ${where} is not a number in every calibration`);
      return median(present as number[]);
    }
    if (Array.isArray(first)) {
      const arrays = present as unknown[][];
      if (!arrays.every((a) => Array.isArray(a) && a.length === first.length)) throw new CalibrationError(`medianCalibration: ${where} differs in length`);
      return first.map((_, i) =>
        merge(
          arrays.map((a) => a[i]),
          `${where}[${i}]`,
        ),
      );
    }
    if (isObject(first)) {
      const objects = present as Record<string, unknown>[];
      const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
      return Object.fromEntries(
        keys.map((k) => [
          k,
          merge(
            objects.map((o) => o[k]),
            where ? `${where}.${k}` : k,
          ),
        ]),
      );
    }
    return first;
  };
  const merged = merge(
    cals.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'runs'))),
    '',
  ) as Omit<Calibration, 'runs'>;
  return {
    ...merged,
    date: cals.at(-1)!.date,
    quick: cals.some((c) => c.quick),
    command,
    settings: { ...merged.settings, rounds: cals.reduce((a, c) => a + (c.settings.rounds ?? 1), 0) },
    runs: cals.flatMap((c) => c.runs),
  };
}
