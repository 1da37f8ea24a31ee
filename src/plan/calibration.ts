// A calibration: what each role of the architecture costs per request on a measured machine, and
// the memory it needs. `polarity plan calibrate` writes one (calibrate.ts); the model reads it.
//
// CPU is kept as CPU time per request (microseconds of one core), per request kind, because it is
// what stays put on a shared machine: a neighbour's load changes how many requests a second a
// process gets through, much less how much CPU each one takes. Capacity is then cores / cost.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postShare, type Mix } from './mix.js';

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

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly os: string;
  readonly node: string;
  readonly nginx: string;
  readonly postgresql: string;
  readonly polarity: string;
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
}

export interface Calibration {
  readonly schema: 'polarity-calibration/1';
  /** says which machine it describes, e.g. "shipped default: …" */
  readonly label: string;
  readonly date: string;
  readonly machine: MachineDescription;
  readonly command: string;
  readonly quick: boolean;
  readonly settings: { readonly durationS: number; readonly warmupS: number; readonly connections: number; readonly pinned: boolean };
  readonly cpuUs: Readonly<Record<CostRole, PerKind>>;
  /**
   * CPU µs per POST that runs one at a time whatever the number of cores: the SQLite writer
   * thread (one writer per database file), and PostgreSQL's insert, which holds an advisory lock
   * until COMMIT so that ids become visible in order (src/store/postgres.ts).
   */
  readonly writeSerialUs: { readonly sqlite: number; readonly postgres: number };
  readonly mixes: readonly MeasuredMix[];
  readonly memoryMiB: MemoryFigures;
  /** requests/s the pinned app process sustained on its core, for the record */
  readonly sustainedRps: Readonly<Record<string, number>>;
  readonly runs: readonly RunRecord[];
}

export class CalibrationError extends Error {}

/** The shipped default, measured on the project's machine (see its label and docs/plan.md). */
export const DEFAULT_CALIBRATION_FILE = fileURLToPath(new URL('../../../bench/results/plan-calibration.json', import.meta.url));

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
  if (!isObject(doc.memoryMiB)) throw new CalibrationError(`${source}: "memoryMiB" missing`);
  for (const k of ['appSingleSqlite', 'appSinglePostgres', 'appPrimary', 'appWorkerSqlite', 'appWorkerPostgres', 'nginxMaster', 'nginxWorker', 'postgresFixed', 'postgresPerConnection', 'postgresSharedBuffers']) {
    positive(doc.memoryMiB[k], `${source}: memoryMiB.${k}`);
  }
  if (!isObject(doc.machine)) throw new CalibrationError(`${source}: "machine" missing`);
  return doc as unknown as Calibration;
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

/** CPU seconds per request of `mix` for a role: the per-kind costs weighted by the mix. */
export function cpuPerRequest(cal: Calibration, role: CostRole, mix: Mix): number {
  const c = cal.cpuUs[role];
  const p = postShare(mix);
  return (p * c.post + (1 - p) * c.get) / 1e6;
}
