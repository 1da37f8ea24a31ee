// The plan as text: the ranked table, the best of each shape, and the recommendation with its reasons.
import { cpuPerRequest, type Calibration } from './calibration.js';
import type { PlanResult } from './enumerate.js';
import { formatMix, type Mix } from './mix.js';
import { headroom, seedUsers, type Evaluation } from './model.js';
import type { PriceTable } from './prices.js';

export interface PlanContext {
  readonly budgetUsd: number;
  readonly prices: PriceTable;
  readonly calibration: Calibration;
  readonly calibrationFile: string;
  readonly mix: Mix;
  readonly minAppHosts: number;
  readonly top: number;
  /** the best plan with at least two app hosts, when the recommendation has one */
  readonly redundant?: Evaluation;
}

export const int = (x: number): string => Math.round(x).toLocaleString('en-US');
export const usd = (x: number): string => `$${Number.isInteger(x) ? x : x.toFixed(2)}`;

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function headroomText(e: Evaluation): string {
  const h = headroom(e);
  if (!h) return '—';
  return `${h.short} ×${h.factor.toFixed(h.factor < 10 ? 2 : 1)}`;
}

export function appHostCount(e: Evaluation): number {
  return e.topology.hosts.filter((h) => h.roles.includes('app')).length;
}

function microseconds(cal: Calibration, mix: Mix): string {
  const c = (r: keyof Calibration['cpuUs']) => (cpuPerRequest(cal, r, mix) * 1e6).toFixed(0);
  return `app ${c('appSqlite')} µs (SQLite) / ${c('appPostgres')} µs (PostgreSQL), nginx ${c('nginx')} µs, PostgreSQL ${c('postgres')} µs of CPU per request`;
}

export function headerLines(ctx: PlanContext, result: PlanResult): string[] {
  const cal = ctx.calibration;
  const read = ctx.prices.sources
    .map((s) => s.read)
    .sort()
    .at(-1);
  return [
    `Budget ${usd(ctx.budgetUsd)} a month · mix ${formatMix(ctx.mix)}${ctx.minAppHosts > 1 ? ` · at least ${ctx.minAppHosts} app hosts` : ''}`,
    `Prices: ${ctx.prices.name} — ${ctx.prices.title} (read ${read}; re-check before buying)`,
    `Calibration: ${cal.label} (${cal.date.slice(0, 10)}${cal.quick ? ', quick' : ''})`,
    `  ${microseconds(cal, ctx.mix)}`,
    `${result.considered} topologies within the budget, ${result.feasible.length} feasible (enough memory, connections)`,
  ];
}

export function tableLines(rows: readonly Evaluation[], first = 1): string[] {
  const out = [`${pad('#', 3, true)}  ${pad('$/mo', 6, true)}  ${pad('req/s', 8, true)}  ${pad('users*', 9, true)}  ${pad('bottleneck', 17)}  ${pad('headroom', 22)}  topology`];
  rows.forEach((e, i) => {
    out.push(
      `${pad(String(first + i), 3, true)}  ${pad(usd(e.costUsd), 6, true)}  ${pad(int(e.rps), 8, true)}  ${pad(int(seedUsers(e.rps)), 9, true)}  ${pad(e.bottleneck?.short ?? '', 17)}  ${pad(headroomText(e), 22)}  ${e.topology.id}`,
    );
  });
  return out;
}

/** Why the recommendation wins, in a few sentences. */
export function reasoning(ctx: PlanContext, result: PlanResult): string[] {
  const rec = result.recommendation;
  if (!rec) return [`Nothing fits: no topology within ${usd(ctx.budgetUsd)} has the memory its roles need. Raise the budget or lower --os-reserve.`];
  const lines: string[] = [];
  const c = rec.costs;
  const hosts = rec.hosts.filter((h) => h.workers > 0);
  lines.push(
    `It serves about ${int(rec.rps)} requests/s (≈ ${int(seedUsers(rec.rps))} users of the seed's Locust scenario) for ${usd(rec.costUsd)} a month, ` +
      `${int(rec.rps / Math.max(rec.costUsd, 1e-9))} req/s per dollar.`,
  );
  const workers = hosts.reduce((a, h) => a + h.workers, 0);
  const one = cpuPerRequest(ctx.calibration, rec.topology.store === 'sqlite' ? 'appSqlite' : 'appPostgres', ctx.mix);
  lines.push(
    `Its bottleneck is ${rec.bottleneck!.label}: ${hosts.length === 1 ? `${hosts[0]!.name} runs ${hosts[0]!.workers} worker${hosts[0]!.workers > 1 ? 's' : ''}` : `${hosts.length} app hosts run ${workers} workers`}, ` +
      `and each request costs the app ${(c.app * 1e6).toFixed(0)} µs of CPU` +
      (workers > 1 && c.app > one * 1.005 ? ` (${(one * 1e6).toFixed(0)} µs with one process; each further process sharing the store adds its measured overhead).` : '.'),
  );
  const shared = rec.hosts.filter((x) => x.colocated && x.roles.some((r) => (x.costs[r] ?? 0) > c[r] * 1.005));
  if (shared.length) {
    const name = { app: 'app', lb: 'nginx', db: 'PostgreSQL', client: 'load generator' } as const;
    const x = shared[0]!;
    lines.push(
      `${shared.map((y) => y.name).join(', ')} run${shared.length === 1 ? 's' : ''} several roles on the same cores, and each costs more per request there than on cores of its own ` +
        `(measured by the calibration with all of them sharing the cores): ${x.roles.map((r) => `${name[r]} ${((x.costs[r] ?? 0) * 1e6).toFixed(0)} µs instead of ${(c[r] * 1e6).toFixed(0)}`).join(', ')}.`,
    );
  }
  const h = headroom(rec);
  if (h) lines.push(`The next limit is ${h.label}, at ${int(h.factor * rec.rps)} req/s (×${h.factor.toFixed(2)}).`);
  const others = result.bestByShape.filter((e) => e.topology.shape !== rec.topology.shape).slice(0, 4);
  for (const o of others) {
    lines.push(`Best "${o.topology.shape}": ${o.topology.id}, ${usd(o.costUsd)}, ${int(o.rps)} req/s (${((o.rps / rec.rps - 1) * 100).toFixed(0)}%), limited by ${o.bottleneck!.label}.`);
  }
  if (rec.topology.store === 'sqlite') {
    // One process of each, so that only the architecture differs.
    const sqliteApp = cpuPerRequest(ctx.calibration, 'appSqlite', ctx.mix);
    const pgApp = cpuPerRequest(ctx.calibration, 'appPostgres', ctx.mix);
    const extra = c.lb + c.db + (pgApp - sqliteApp);
    lines.push(
      `A load balancer and a shared database add work rather than capacity at this budget: through nginx and PostgreSQL a request costs ` +
        `${(extra * 1e6).toFixed(0)} µs more CPU (nginx ${(c.lb * 1e6).toFixed(0)} µs, PostgreSQL ${(c.db * 1e6).toFixed(0)} µs, the app's PostgreSQL client ${((pgApp - sqliteApp) * 1e6).toFixed(0)} µs) ` +
        `than the ${(sqliteApp * 1e6).toFixed(0)} µs one app process needs with SQLite, and those cores come out of the same budget.`,
    );
  }
  const left = ctx.budgetUsd - rec.costUsd;
  if (left >= 1) lines.push(`${usd(Math.round(left * 100) / 100)} of the budget is left: nothing it buys raises the predicted capacity.`);
  if (appHostCount(rec) < 2) {
    lines.push(
      `Trade-off: one app host is a single point of failure (as the original's load balancer was).` +
        (ctx.redundant
          ? ` The best plan with two app hosts (--min-app-hosts 2) is ${ctx.redundant.topology.id}: ${usd(ctx.redundant.costUsd)}, ${int(ctx.redundant.rps)} req/s, limited by ${ctx.redundant.bottleneck!.label}.`
          : ''),
    );
  }
  return lines;
}

export function formatPlanText(ctx: PlanContext, result: PlanResult): string {
  const out = [...headerLines(ctx, result), ''];
  out.push(...tableLines(result.feasible.slice(0, ctx.top)));
  out.push("* users of the seed's Locust scenario: each waits 1–5 s (3 s on average) between requests, so 3 × req/s", 'headroom: the next limit, as a multiple of the predicted req/s', '');
  out.push('Best of each shape:');
  for (const e of result.bestByShape) out.push(`  ${pad(e.topology.shape, 48)} ${pad(usd(e.costUsd), 5, true)}  ${pad(int(e.rps), 8, true)} req/s  ${e.topology.id}`);
  out.push('');
  const rec = result.recommendation;
  out.push(rec ? `Recommendation: ${rec.topology.id} — ${usd(rec.costUsd)}/month, about ${int(rec.rps)} req/s` : 'Recommendation: none');
  for (const l of reasoning(ctx, result)) out.push(`  - ${l}`);
  if (rec) {
    out.push('  Hosts:');
    for (const h of rec.hosts) {
      const mem = Object.entries(h.memoryParts)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(' + ');
      out.push(
        `    ${pad(h.name, 5)} ${pad(h.vm.id, 20)} ${h.vm.vcpus} vCPU ${int(h.vm.memoryMiB)} MiB  ${h.roles.join('+')}${h.workers ? `, --workers ${h.workers}` : ''}${h.share && h.share < 1 ? `, ${(h.share * 100).toFixed(0)}% of requests${rec.hosts.some((x) => x.weight > 0 && x.weight !== h.weight) ? ` (nginx weight ${h.weight})` : ''}` : ''}; memory ${mem} = ${int(h.memoryUsedMiB)} MiB`,
      );
    }
  }
  out.push('', `The model and its assumptions: docs/plan.md. Calibration file: ${ctx.calibrationFile}`);
  return out.join('\n') + '\n';
}
