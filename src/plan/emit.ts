// `polarity plan --emit DIR`: the recommended topology's deployment files, made from deploy/:
//   hosts/<name>.yaml   cloud-init for each VM — deploy/cloud-init's files with the addresses, the
//                       database password and --workers filled in; a VM with several roles gets
//                       their files merged (packages, files and commands of each, database first)
//   hosts/<name>.env    the app host's /etc/polarity/env (deploy/systemd/polarity.service reads it)
//   nginx/polarity.conf the load balancer's config, from deploy/nginx/render-config (with weights,
//                       HOST:PORT=WEIGHT, when the app hosts differ)
//   local-cluster.env   the same shape on one machine: deploy/local-cluster's app hosts, workers, weights
//   plan.json, report.md, topology.svg
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanRun } from './cli.js';
import { describeTopology } from './enumerate.js';
import { int, usd } from './format.js';
import type { Evaluation, HostPlan } from './model.js';
import { reportMarkdown, type Addressing } from './report.js';
import { topologySvg } from './svg.js';
import { UserError } from '../user-error.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP_PORT = 3000;
/** The private network of docs/deploy.md's addressing (a managed load balancer connects from it). */
const PRIVATE_NETWORK = '10.0.0.0/24';

export class EmitError extends UserError {}

/** The private addresses docs/deploy.md uses: load balancer .10, app hosts .11…, database .30. */
export function addressing(e: Evaluation): Addressing {
  const address: Record<string, string> = {};
  let app = 0;
  for (const h of e.hosts) {
    if (h.name === 'lb') address[h.name] = '10.0.0.10';
    else if (h.name === 'db') address[h.name] = '10.0.0.30';
    else address[h.name] = `10.0.0.${11 + app++}`;
  }
  return { address };
}

function replaceLine(text: string, re: RegExp, line: (indent: string) => string, file: string): string {
  const m = re.exec(text);
  if (!m) throw new EmitError(`deploy/cloud-init/${file} has no line matching ${re}: it changed; update src/plan/emit.ts`);
  return text.slice(0, m.index) + line(m[1] ?? '') + text.slice(m.index + m[0].length);
}

function template(file: string): string {
  return readFileSync(join(ROOT, 'deploy/cloud-init', file), 'utf8');
}

interface Section {
  key: string;
  lines: string[];
}

/** Top-level sections of a cloud-config file as deploy/cloud-init writes them (a key, then indented lines). */
export function sections(text: string): { header: string[]; sections: Section[] } {
  const header: string[] = [];
  const out: Section[] = [];
  for (const line of text.split('\n')) {
    const key = /^([a-z_]+):/.exec(line)?.[1];
    if (key) out.push({ key, lines: [line] });
    else if (out.length) out.at(-1)!.lines.push(line);
    else header.push(line);
  }
  return { header, sections: out };
}

/** Several roles' cloud-config files as one: every package once, every file, every command in order. */
export function mergeCloudConfigs(parts: { name: string; text: string }[], note: string): string {
  const parsed = parts.map((p) => sections(p.text));
  const keys = ['package_update', 'packages', 'write_files', 'runcmd'];
  for (const p of parsed) {
    for (const s of p.sections) if (!keys.includes(s.key)) throw new EmitError(`cannot merge the cloud-config key "${s.key}"`);
  }
  const body = (s: Section) => s.lines.slice(1).filter((l, i, all) => !(l.trim() === '' && i === all.length - 1));
  const out = ['#cloud-config', ...note.split('\n').map((l) => `# ${l}`), `# Merged from: ${parts.map((p) => `deploy/cloud-init/${p.name}`).join(', ')}.`, '', 'package_update: true', 'packages:'];
  const seen = new Set<string>();
  for (const p of parsed) {
    for (const l of body(p.sections.find((s) => s.key === 'packages') ?? { key: '', lines: [] })) {
      const pkg = /^\s*-\s*([^\s#]+)/.exec(l)?.[1];
      if (pkg === undefined) continue;
      if (seen.has(pkg)) continue;
      seen.add(pkg);
      out.push(l);
    }
  }
  for (const key of ['write_files', 'runcmd']) {
    out.push('', `${key}:`);
    for (const p of parsed) out.push(...body(p.sections.find((s) => s.key === key) ?? { key: '', lines: [] }).filter((l) => l.trim() !== ''));
  }
  return out.join('\n') + '\n';
}

/** The content of a write_files entry of a cloud-config text, dedented. */
export function writeFileContent(text: string, path: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === `- path: ${path}`);
  if (at < 0) throw new EmitError(`no write_files entry for ${path}`);
  const c = lines.findIndex((l, i) => i > at && /^\s+content: \|\s*$/.test(l));
  const indent = (lines[c + 1] ?? '').search(/\S/);
  const out: string[] = [];
  for (let i = c + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() !== '' && l.search(/\S/) < indent) break;
    out.push(l.slice(indent));
  }
  while (out.length && out.at(-1) === '') out.pop();
  return out.join('\n') + '\n';
}

const equalWeights = (hosts: readonly { weight: number }[]): boolean => hosts.every((h) => h.weight === hosts[0]!.weight);

/**
 * The app hosts as deploy/nginx/render-config takes them: HOST:PORT, with =WEIGHT (nginx's
 * `weight`) when the weights differ — equal weights are nginx's default round robin.
 */
export function upstreamsOf(hosts: readonly { address: string; weight: number }[]): string[] {
  const weighted = !equalWeights(hosts);
  return hosts.map((h) => `${h.address}:${APP_PORT}${weighted ? `=${h.weight}` : ''}`);
}

/** The load balancer's nginx config, rendered by deploy/nginx/render-config. */
export function renderNginx(hosts: { address: string; weight: number }[]): string {
  const args = upstreamsOf(hosts).flatMap((u) => ['--upstream', u]);
  const r = spawnSync(join(ROOT, 'deploy/nginx/render-config'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new EmitError(`deploy/nginx/render-config: ${r.stderr}`);
  return r.stdout;
}

interface HostFiles {
  yaml: string;
  env?: string;
}

function hostFiles(run: PlanRun, e: Evaluation, h: HostPlan, addr: Addressing, password: string): HostFiles {
  const t = e.topology;
  const dbHost = e.hosts.find((x) => x.roles.includes('db'));
  const dbUrl =
    t.store === 'sqlite'
      ? undefined
      : t.managedDb
        ? 'postgres://polarity:FILL-IN@FILL-IN-managed-db.example.invalid:25060/polarity?sslmode=require'
        : // database.yaml accepts the app subnet over TLS only (hostssl); db-ca.crt is its certificate.
          `postgres://polarity:${password}@${addr.address[dbHost!.name]}:5432/polarity?sslmode=verify-full&sslrootcert=/etc/polarity/db-ca.crt`;
  const parts: { name: string; text: string }[] = [];
  let env: string | undefined;
  if (h.roles.includes('db')) {
    let y = template('database.yaml');
    y = replaceLine(y, /^(\s*)LISTEN_ADDRESS=.*$/m, (i) => `${i}LISTEN_ADDRESS=${addr.address[h.name]}`, 'database.yaml');
    y = replaceLine(y, /^(\s*)DB_PASSWORD=.*$/m, (i) => `${i}DB_PASSWORD=${password}`, 'database.yaml');
    parts.push({ name: 'database.yaml', text: y });
  }
  if (h.roles.includes('app')) {
    let y = template('app-host.yaml');
    y = replaceLine(
      y,
      /^(\s*)DATABASE_URL=.*$/m,
      (i) => (dbUrl ? `${i}DATABASE_URL=${dbUrl}` : `${i}# No DATABASE_URL: the embedded SQLite history, /var/lib/polarity/data/polarity.db`),
      'app-host.yaml',
    );
    y = replaceLine(y, /^(\s*)#?WORKERS=.*$/m, (i) => `${i}WORKERS=${h.workers}`, 'app-host.yaml');
    // Who reaches the app: its load balancer's host (the app then listens on its private address
    // and trusts that host's X-Forwarded-For), a managed load balancer somewhere in the private
    // network, or — one app VM and no load balancer — everyone, on every interface.
    const lbHost = e.hosts.find((x) => x.roles.includes('lb'));
    const apps = e.hosts.filter((x) => x.roles.includes('app'));
    const front = lbHost ? addr.address[lbHost.name]! : t.managedLb ? PRIVATE_NETWORK : undefined;
    if (front === undefined && apps.length > 1) throw new EmitError('several app hosts and no load balancer');
    y = replaceLine(y, /^(\s*)HOST=.*$/m, (i) => `${i}HOST=${front === undefined ? '0.0.0.0' : addr.address[h.name]}`, 'app-host.yaml');
    y = replaceLine(y, /^(\s*)TRUST_PROXY=.*$/m, (i) => (front === undefined ? `${i}# No TRUST_PROXY: no load balancer in front` : `${i}TRUST_PROXY=${front}`), 'app-host.yaml');
    y = replaceLine(y, /^(\s*)LB_ADDRESSES=.*$/m, (i) => `${i}LB_ADDRESSES="${front ?? '0.0.0.0/0 ::/0'}"`, 'app-host.yaml');
    env = writeFileContent(y, '/etc/polarity/env');
    parts.push({ name: 'app-host.yaml', text: y });
  }
  if (h.roles.includes('lb')) {
    const apps = e.hosts.filter((x) => x.roles.includes('app'));
    let y = template('load-balancer.yaml');
    // The same upstreams as nginx/polarity.conf: polarity-lb-install hands them to render-config.
    const upstreams = upstreamsOf(apps.map((a) => ({ address: addr.address[a.name]!, weight: a.weight })));
    y = replaceLine(y, /^(\s*)APP_HOSTS=.*$/m, (i) => `${i}APP_HOSTS="${upstreams.join(' ')}"`, 'load-balancer.yaml');
    parts.push({ name: 'load-balancer.yaml', text: y });
  }
  const roles = h.roles.map((r) => (r === 'lb' ? 'load balancer' : r === 'db' ? 'database' : 'app host')).join(' + ');
  const note = `Polarity plan (${run.ctx.prices.name}, ${usd(e.costUsd)}/month, ≈ ${int(e.rps)} req/s): ${h.name}, ${h.vm.id} (${h.vm.vcpus} vCPU, ${h.vm.memoryMiB} MiB), ${roles}, private address ${addr.address[h.name]}.`;
  let yaml: string;
  if (parts.length === 1) {
    yaml = parts[0]!.text.replace(/^#cloud-config\n/, `#cloud-config\n# ${note}\n`);
  } else {
    yaml = mergeCloudConfigs(parts, note);
  }
  return { yaml, ...(env ? { env } : {}) };
}

export function emitDeployment(dir: string, run: PlanRun): string[] {
  const e = run.result.recommendation;
  if (!e) throw new EmitError('no recommendation to emit');
  const addr = addressing(e);
  const password = randomBytes(18).toString('base64url');
  const files: { path: string; what: string; text: string }[] = [];
  const apps = e.hosts.filter((h) => h.roles.includes('app'));
  const lbHost = e.hosts.find((h) => h.roles.includes('lb'));
  if (lbHost) {
    const nginxConf = renderNginx(apps.map((a) => ({ address: addr.address[a.name]!, weight: a.weight })));
    files.push({
      path: 'nginx/polarity.conf',
      what: `the load balancer's nginx config (deploy/nginx/render-config${equalWeights(apps) ? '' : ', with weights'}); cloud-init renders the same on ${lbHost.name}`,
      text: nginxConf,
    });
  }
  for (const h of e.hosts) {
    const f = hostFiles(run, e, h, addr, password);
    files.push({ path: `hosts/${h.name}.yaml`, what: `cloud-init user data for ${h.name} (${h.vm.id}: ${h.roles.join(' + ')})`, text: f.yaml });
    if (f.env) files.push({ path: `hosts/${h.name}.env`, what: `${h.name}'s /etc/polarity/env, read by deploy/systemd/polarity.service (--workers ${h.workers})`, text: f.env });
  }
  if (e.topology.store === 'postgres' && apps.length <= 9) {
    const workers = Math.max(...apps.map((a) => a.workers));
    const weights = equalWeights(apps) ? '' : `POLARITY_CLUSTER_WEIGHTS=${apps.map((a) => a.weight).join(',')}\n`;
    files.push({
      path: 'local-cluster.env',
      what: 'the same shape on one machine: sudo env $(grep -v "^#" local-cluster.env) deploy/local-cluster up',
      text: `# ${describeTopology(e.topology)}: its app hosts and workers on deploy/local-cluster (one machine, network namespaces).\n# sudo env $(grep -v '^#' local-cluster.env) deploy/local-cluster up\nPOLARITY_CLUSTER_APPS=${apps.length}\nPOLARITY_CLUSTER_WORKERS=${workers}\n${weights}`,
    });
  }
  const dbOn = e.hosts.find((h) => h.roles.includes('db') && h.roles.length > 1);
  const caption = `${describeTopology(e.topology)}${dbOn ? `\nThe app hosts' PostgreSQL runs on ${dbOn.name} (${addr.address[dbOn.name]}:5432).` : ''}\nTotal ${usd(e.costUsd)} a month (${run.ctx.prices.name} prices) · predicted ≈ ${int(e.rps)} req/s · bottleneck: ${e.bottleneck!.short}`;
  files.push({ path: 'topology.svg', what: 'the diagram', text: topologySvg(e, caption) });
  const planJson = {
    topology: e.topology.id,
    monthlyUsd: e.costUsd,
    rps: Math.round(e.rps),
    bottleneck: e.bottleneck!.label,
    budgetUsd: run.ctx.budgetUsd,
    prices: run.ctx.prices.name,
    calibration: { label: run.ctx.calibration.label, date: run.ctx.calibration.date },
    mix: run.ctx.mix,
    hosts: e.hosts.map((h) => ({
      name: h.name,
      vm: h.vm.id,
      vcpus: h.vm.vcpus,
      memoryMiB: h.vm.memoryMiB,
      monthlyUsd: h.vm.monthlyUsd,
      roles: h.roles,
      workers: h.workers,
      weight: h.weight,
      address: addr.address[h.name],
    })),
    ...(e.topology.managedLb ? { managedLb: { id: e.topology.managedLb.offer.id, nodes: e.topology.managedLb.nodes } } : {}),
    ...(e.topology.managedDb ? { managedDb: { id: e.topology.managedDb.id } } : {}),
    limits: e.limits.map((l) => ({ label: l.label, rps: Math.round(l.capacityRps) })),
  };
  files.push({ path: 'plan.json', what: 'the plan, machine-readable', text: JSON.stringify(planJson, null, 2) + '\n' });
  const listed = files.map((f) => ({ path: f.path, what: f.what }));
  files.push({ path: 'report.md', what: 'this report', text: reportMarkdown(run, addr, [{ path: 'report.md', what: 'this report' }, ...listed]) });
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, f.text, { mode: f.path.startsWith('hosts/') ? 0o600 : 0o644 });
  }
  return files.map((f) => f.path);
}
