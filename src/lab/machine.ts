// The machine a measurement ran on: the load tester's description (src/loadtest/report.ts
// machineInfo — CPU model and count, memory, OS, Node, Polarity) and the versions of nginx and
// PostgreSQL that were measured beside it.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { machineInfo } from '../loadtest/report.js';
import type { MachineDescription } from '../plan/calibration.js';
import { pgBinDir } from './postgres.js';
import { versionOf } from './system.js';

export function describeMachine(): MachineDescription {
  const pg = pgBinDir();
  return {
    ...machineInfo(),
    nginx: versionOf('nginx', ['-v'], /nginx\/(\S+)/),
    postgresql: pg ? versionOf(join(pg, 'postgres'), ['--version'], /(\d+(?:\.\d+)*)/) : 'unknown',
  };
}

/** A calibration's label when none is given: the machine, plainly. */
export function defaultLabel(m: MachineDescription): string {
  return `measured on ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryGiB)} GiB, ${m.os}, by ${userInfo().username}`;
}

/** One line for a results file: "2 × AMD EPYC, 8 GiB, Node v20…, nginx 1.22.1, PostgreSQL 15.20". */
export function machineLine(m: MachineDescription): string {
  return `${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryGiB)} GiB, Node ${m.node}, nginx ${m.nginx}, PostgreSQL ${m.postgresql}`;
}
