// Price tables: what each kind of VM and managed service costs a month. Data, not code — they live
// in prices/*.json with their source and the date they were read, and `--prices FILE` takes anyone's.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../user-error.js';

export interface VmType {
  readonly id: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly monthlyUsd: number;
  readonly notes?: string;
}

/** A provider's load balancer, billed per node; each node adds up to maxRpsPerNode. */
export interface ManagedLbOffer {
  readonly id: string;
  readonly monthlyUsdPerNode: number;
  /** null: the provider states no limit */
  readonly maxRpsPerNode: number | null;
  readonly maxNodes: number;
}

/** A provider's PostgreSQL: its CPU is modelled like a VM's, its memory is the provider's concern. */
export interface ManagedDbOffer {
  readonly id: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly monthlyUsd: number;
  /** connections the application may open */
  readonly maxConnections: number;
  readonly notes?: string;
}

export interface PriceSource {
  readonly what: string;
  readonly url: string;
  /** when it was read, YYYY-MM-DD */
  readonly read: string;
}

export interface PriceTable {
  readonly name: string;
  readonly title: string;
  readonly currency: 'USD';
  readonly sources: readonly PriceSource[];
  readonly recheck: string;
  readonly vms: readonly VmType[];
  readonly managedLoadBalancers: readonly ManagedLbOffer[];
  readonly managedDatabases: readonly ManagedDbOffer[];
  /** the file it came from */
  readonly file?: string;
}

export class PriceTableError extends UserError {}

/** The repository's price tables: prices/<name>.json. */
export const PRICES_DIR = fileURLToPath(new URL('../../../prices/', import.meta.url));
export const BUILTIN_PRICE_TABLES = ['assignment', 'digitalocean'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, msg: string): never {
  throw new PriceTableError(`${where}: ${msg}`);
}

function str(o: Record<string, unknown>, k: string, where: string, optional = false): string | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') fail(where, `"${k}" must be a non-empty string`);
  return v;
}

function num(o: Record<string, unknown>, k: string, where: string, opts: { min?: number; integer?: boolean; nullable?: boolean } = {}): number {
  const v = o[k];
  if (v === null && opts.nullable) return null as unknown as number;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < (opts.min ?? 0) || (opts.integer && !Number.isInteger(v))) {
    fail(where, `"${k}" must be a ${opts.integer ? 'whole ' : ''}number ≥ ${opts.min ?? 0}`);
  }
  return v;
}

function list(o: Record<string, unknown>, k: string, where: string): Record<string, unknown>[] {
  const v = o[k] ?? [];
  if (!Array.isArray(v) || !v.every(isObject)) fail(where, `"${k}" must be an array of objects`);
  return v as Record<string, unknown>[];
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Validates a parsed price table; throws PriceTableError naming the offending place. */
export function parsePriceTable(doc: unknown, source = 'price table'): PriceTable {
  if (!isObject(doc)) fail(source, 'must be a JSON object');
  if (doc.schema !== 'polarity-prices/1') fail(source, '"schema" must be "polarity-prices/1"');
  if (doc.currency !== 'USD') fail(source, '"currency" must be "USD" (budgets are in US dollars)');
  const sources = list(doc, 'sources', source).map((s, i) => {
    const w = `${source} sources[${i}]`;
    const read = str(s, 'read', w)!;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(read)) fail(w, '"read" must be a date, YYYY-MM-DD');
    return Object.freeze({ what: str(s, 'what', w)!, url: str(s, 'url', w)!, read });
  });
  if (sources.length === 0) fail(source, 'give at least one source (where the prices come from and when they were read)');
  const ids = new Set<string>();
  const uniqueId = (o: Record<string, unknown>, w: string): string => {
    const id = str(o, 'id', w)!;
    if (!ID.test(id)) fail(w, `"id" ${JSON.stringify(id)} must be letters, digits, ".", "_" or "-"`);
    if (ids.has(id)) fail(w, `duplicate id "${id}"`);
    ids.add(id);
    return id;
  };
  const vms = list(doc, 'vms', source).map((v, i) => {
    const w = `${source} vms[${i}]`;
    return Object.freeze({
      id: uniqueId(v, w),
      vcpus: num(v, 'vcpus', w, { min: 1, integer: true }),
      memoryMiB: num(v, 'memoryMiB', w, { min: 64, integer: true }),
      monthlyUsd: num(v, 'monthlyUsd', w),
      ...(v.notes === undefined ? {} : { notes: str(v, 'notes', w)! }),
    });
  });
  if (vms.length === 0) fail(source, '"vms" must list at least one VM type');
  const managedLoadBalancers = list(doc, 'managedLoadBalancers', source).map((v, i) => {
    const w = `${source} managedLoadBalancers[${i}]`;
    return Object.freeze({
      id: uniqueId(v, w),
      monthlyUsdPerNode: num(v, 'monthlyUsdPerNode', w),
      maxRpsPerNode: num(v, 'maxRpsPerNode', w, { min: 1, nullable: true }),
      maxNodes: num(v, 'maxNodes', w, { min: 1, integer: true }),
    });
  });
  const managedDatabases = list(doc, 'managedDatabases', source).map((v, i) => {
    const w = `${source} managedDatabases[${i}]`;
    return Object.freeze({
      id: uniqueId(v, w),
      vcpus: num(v, 'vcpus', w, { min: 1, integer: true }),
      memoryMiB: num(v, 'memoryMiB', w, { min: 64, integer: true }),
      monthlyUsd: num(v, 'monthlyUsd', w),
      maxConnections: num(v, 'maxConnections', w, { min: 1, integer: true }),
      ...(v.notes === undefined ? {} : { notes: str(v, 'notes', w)! }),
    });
  });
  return Object.freeze({
    name: str(doc, 'name', source)!,
    title: str(doc, 'title', source)!,
    currency: 'USD' as const,
    sources: Object.freeze(sources),
    recheck: str(doc, 'recheck', source)!,
    vms: Object.freeze(vms),
    managedLoadBalancers: Object.freeze(managedLoadBalancers),
    managedDatabases: Object.freeze(managedDatabases),
  });
}

/** "assignment", "digitalocean" (prices/<name>.json) or a path to a price table file. */
export function loadPriceTable(spec: string): PriceTable {
  const builtin = (BUILTIN_PRICE_TABLES as readonly string[]).includes(spec);
  const file = builtin ? join(PRICES_DIR, `${spec}.json`) : spec;
  if (!builtin && !existsSync(file)) {
    throw new PriceTableError(`no price table "${spec}": give ${BUILTIN_PRICE_TABLES.join(' or ')}, or a JSON file (see prices/README.md)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PriceTableError(`${file}: ${(err as Error).message}`);
  }
  return Object.freeze({ ...parsePriceTable(doc, file), file });
}
