// A small hand-made calibration and price table whose capacities are easy to compute by hand.
//
// CPU µs per request (POST / GET; the seed mix, 1/3 POSTs, lies on the straight line between):
//   app with SQLite      50 / 20  → seed 30 µs  → 33,333.3 req/s per core
//   app with PostgreSQL  70 / 40  → seed 50 µs  → 20,000 req/s per core
//   nginx                20 / 20  → seed 20 µs  → 50,000 req/s per core
//   PostgreSQL           55 / 10  → seed 25 µs  → 40,000 req/s per core
//   serial writes per POST: SQLite 12 µs (seed: 4 µs/request → 250,000), PostgreSQL 30 µs (seed: 10 → 100,000)
// Memory (MiB): one app process 100; cluster primary 40 + 80 (SQLite) or 70 (PostgreSQL) per worker;
// nginx 2 + 5 per worker; PostgreSQL 128 shared_buffers + 20 + 5 per connection; OS reserve 200.
import type { Calibration } from '../../src/plan/calibration.js';
import { parsePriceTable, type PriceTable, type VmType } from '../../src/plan/prices.js';

export function handCalibration(over: Partial<Calibration> = {}): Calibration {
  return {
    schema: 'polarity-calibration/1',
    label: 'hand-made for tests',
    date: '2026-11-27T00:00:00.000Z',
    machine: { cpuModel: 'test', cpus: 2, memoryGiB: 4, os: 'test', node: 'v20', nginx: '1', postgresql: '15', polarity: '0' },
    command: 'none',
    quick: true,
    settings: { durationS: 1, warmupS: 1, connections: 1, pinned: false },
    cpuUs: {
      appSqlite: { post: 50, get: 20 },
      appPostgres: { post: 70, get: 40 },
      nginx: { post: 20, get: 20 },
      postgres: { post: 55, get: 10 },
      client: { post: 10, get: 10 },
    },
    writeSerialUs: { sqlite: 12, postgres: 30 },
    extraWorkerUs: { share: 1 / 3, appSqlite: 0, appPostgres: 0, postgres: 0, appPostgresHost: 0, postgresHost: 0 },
    mixes: [],
    memoryMiB: {
      appSingleSqlite: 100,
      appSinglePostgres: 100,
      appPrimary: 40,
      appWorkerSqlite: 80,
      appWorkerPostgres: 70,
      nginxMaster: 2,
      nginxWorker: 5,
      postgresFixed: 20,
      postgresPerConnection: 5,
      postgresSharedBuffers: 128,
    },
    sustainedRps: {},
    runs: [],
    ...over,
  };
}

export function vm(id: string, vcpus: number, memoryMiB: number, monthlyUsd = vcpus * 10): VmType {
  return { id, vcpus, memoryMiB, monthlyUsd };
}

export function priceTable(vms: VmType[], extra: Record<string, unknown> = {}): PriceTable {
  return parsePriceTable({
    schema: 'polarity-prices/1',
    name: 'test',
    title: 'test prices',
    currency: 'USD',
    sources: [{ what: 'made up', url: 'nowhere', read: '2026-11-27' }],
    recheck: 'never',
    vms,
    ...extra,
  });
}
