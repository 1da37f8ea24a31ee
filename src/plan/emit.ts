// placeholder, replaced below
import type { PlanRun } from './cli.js';
export function emitDeployment(_dir: string, _run: PlanRun): string[] {
  return [];
}
