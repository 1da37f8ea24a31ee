// `polarity plan --emit DIR`: the files it writes are what deploy/ can use — the nginx config passes
// `nginx -t`, the cloud-init files parse as YAML and their scripts as bash, the app hosts'
// environment files are accepted by the app's own configuration loader, local-cluster.env by
// deploy/local-cluster — and the report and the diagram describe the plan.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, OPTIONS } from '../../src/config.js';
import { runPlanModel } from '../../src/plan/cli.js';
import { renderNginxMain } from '../../src/lab/nginx.js';
import { emitDeployment, mergeCloudConfigs } from '../../src/plan/emit.js';
import { ROOT } from '../helpers.js';
import { handCalibration, vm } from './fixtures.js';

const PATH = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`;
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { env: { ...process.env, PATH } }).status === 0;
const hasYaml = () => spawnSync('/usr/bin/python3', ['-c', 'import yaml']).status === 0;

function temp(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function yamlToJson(file: string): unknown {
  const py = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
  const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l);
    assert.ok(m, `not KEY=VALUE: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

interface Emitted {
  dir: string;
  plan: { topology: string; hosts: { name: string; roles: string[]; workers: number; weight: number; address: string }[] };
  files: string[];
}

/** A plan with the hand calibration: budget and prices chosen to give the shape wanted. */
function emit(t: { after: (fn: () => void) => void }, o: { budget: number; prices?: string; vms?: ReturnType<typeof vm>[]; minAppHosts?: number }): Emitted {
  const dir = temp(t, 'polarity-plan-emit-');
  const calFile = join(dir, 'calibration.json');
  writeFileSync(calFile, JSON.stringify(handCalibration()));
  let prices = o.prices ?? 'assignment';
  if (o.vms) {
    prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({ schema: 'polarity-prices/1', name: 'test', title: 'test', currency: 'USD', sources: [{ what: 'x', url: 'x', read: '2026-11-27' }], recheck: 'x', vms: o.vms }),
    );
  }
  const run = runPlanModel({ budgetUsd: o.budget, prices, calibration: calFile, mix: 'seed', minAppHosts: o.minAppHosts ?? 1 });
  const out = join(dir, 'out');
  const files = emitDeployment(out, run);
  return { dir: out, plan: JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')), files };
}

function checkNginx(t: { skip: (m: string) => void }, e: Emitted, work: string): string {
  const conf = readFileSync(join(e.dir, 'nginx/polarity.conf'), 'utf8');
  for (const h of e.plan.hosts.filter((x) => x.roles.includes('app'))) assert.match(conf, new RegExp(`server ${h.address.replace(/\./g, '\\.')}:3000 `), h.name);
  assert.doesNotMatch(conf, /@[A-Z_]+@/);
  if (!has('nginx')) {
    t.skip('nginx not found: nginx -t skipped (apt-get install nginx)');
    return conf;
  }
  const wrapped = conf.replace(/access_log \S+/, `access_log ${work}/access.log`);
  writeFileSync(join(work, 'polarity.conf'), wrapped);
  mkdirSync(join(work, 'tmp'), { recursive: true });
  writeFileSync(join(work, 'nginx.conf'), renderNginxMain({ dir: work, workerProcesses: 1, include: join(work, 'polarity.conf') }));
  const r = spawnSync('nginx', ['-t', '-p', `${work}/`, '-e', join(work, 'error.log'), '-c', join(work, 'nginx.conf')], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /syntax is ok/);
  return conf;
}

function checkCloudInit(t: { skip: (m: string) => void }, e: Emitted, work: string): void {
  const yamls = e.files.filter((f) => f.startsWith('hosts/') && f.endsWith('.yaml'));
  assert.equal(yamls.length, e.plan.hosts.length, 'one cloud-init file per VM');
  for (const f of yamls) {
    const text = readFileSync(join(e.dir, f), 'utf8');
    assert.ok(text.startsWith('#cloud-config\n'), `${f} starts with #cloud-config`);
    if (!hasYaml()) continue;
    const doc = yamlToJson(join(e.dir, f)) as { packages: string[]; write_files: { path: string; content: string; permissions: string }[]; runcmd: unknown[] };
    assert.ok(doc.packages.length > 0 && doc.runcmd.length > 0, f);
    assert.equal(new Set(doc.packages).size, doc.packages.length, `${f}: every package once`);
    const scripts = doc.write_files.filter((x) => x.content.startsWith('#!/usr/bin/env bash\n'));
    // Every script runs: named by runcmd, or by a script that runs (the firewall by the installer).
    const running = new Set(scripts.filter((w) => JSON.stringify(doc.runcmd).includes(w.path)).map((w) => w.path));
    for (let grew = true; grew; ) {
      grew = false;
      for (const w of scripts) {
        if (!running.has(w.path) && scripts.some((o) => running.has(o.path) && o.content.includes(w.path))) grew = Boolean(running.add(w.path));
      }
    }
    for (const w of scripts) {
      writeFileSync(join(work, 'script.sh'), w.content);
      const r = spawnSync('bash', ['-n', join(work, 'script.sh')], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${w.path}: ${r.stderr}`);
      assert.ok(running.has(w.path), `${f}: runcmd runs ${w.path}, directly or through a script it runs`);
    }
    const name = f.slice('hosts/'.length, -'.yaml'.length);
    const host = e.plan.hosts.find((h) => h.name === name)!;
    const order = ['polarity-db-install', 'polarity-install', 'polarity-lb-install'].filter((s) => JSON.stringify(doc.runcmd).includes(s));
    const expected = [host.roles.includes('db') && 'polarity-db-install', host.roles.includes('app') && 'polarity-install', host.roles.includes('lb') && 'polarity-lb-install'].filter(Boolean);
    assert.deepEqual(order, expected, `${f}: each role's install step, database first`);
    const runs = JSON.stringify(doc.runcmd);
    assert.ok(
      expected.every((s, i) => i === 0 || runs.indexOf(s as string) > runs.indexOf(expected[i - 1] as string)),
      `${f}: in order`,
    );
    if (host.roles.includes('app')) {
      const env = doc.write_files.find((w) => w.path === '/etc/polarity/env')!.content;
      assert.equal(env, readFileSync(join(e.dir, `hosts/${name}.env`), 'utf8'), `${f}: /etc/polarity/env is hosts/${name}.env`);
      // small VMs: a swap file carries the install (~370 MiB when the SQLite addon compiles) and is gone before the service starts
      const install = doc.write_files.find((w) => w.path === '/usr/local/sbin/polarity-install')!.content;
      const at = (re: RegExp) => install.search(re);
      assert.ok(at(/if \[ "\$avail_mib" -lt 640 \]/) > 0 && at(/^\s*swapon "\$build_swap"$/m) > at(/if \[ "\$avail_mib" -lt 640 \]/), `${f}: swap before the build when memory is short`);
      assert.ok(at(/npm install --global /) > at(/swapon/), `${f}: the install runs after swapon`);
      assert.ok(at(/^\s*drop_build_swap$/m) > at(/npm install --global /) && at(/systemctl restart polarity/) > at(/^\s*drop_build_swap$/m), `${f}: the swap file goes before the service starts`);
      assert.match(install, /trap drop_build_swap EXIT/, `${f}: and on failure`);
    }
  }
  if (!hasYaml()) t.skip('python3-yaml not found: YAML parsing skipped (apt-get install python3-yaml)');
}

/**
 * What the load balancer's cloud-init renders on the VM: polarity-lb-install's render-config call
 * with the APP_HOSTS, LISTEN and SERVER_NAME of its /etc/polarity/lb.env.
 */
function lbRendersAs(e: Emitted, host: string, work: string): string {
  const doc = yamlToJson(join(e.dir, `hosts/${host}.yaml`)) as { write_files: { path: string; content: string }[] };
  const lbEnv = doc.write_files.find((w) => w.path === '/etc/polarity/lb.env')!.content;
  const install = doc.write_files.find((w) => w.path === '/usr/local/sbin/polarity-lb-install')!.content;
  assert.match(install, /for h in \$APP_HOSTS; do args\+=\(--upstream "\$h"\); done/, 'polarity-lb-install passes each of APP_HOSTS as an --upstream');
  writeFileSync(join(work, 'lb.env'), lbEnv);
  const script = `. "$1"; args=(); for h in $APP_HOSTS; do args+=(--upstream "$h"); done; "$2" "\${args[@]}" --listen "$LISTEN" --server-name "$SERVER_NAME" --access-log /var/log/nginx/polarity-access.log`;
  const r = spawnSync('bash', ['-c', script, 'lb', join(work, 'lb.env'), join(ROOT, 'deploy/nginx/render-config')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function checkEnv(e: Emitted): void {
  const known = new Set<string>([...OPTIONS.map((o) => o.env), 'DATABASE_URL']);
  for (const h of e.plan.hosts.filter((x) => x.roles.includes('app'))) {
    const env = envFile(readFileSync(join(e.dir, `hosts/${h.name}.env`), 'utf8'));
    for (const k of Object.keys(env)) assert.ok(known.has(k), `${h.name}.env: ${k} is a setting of polarity serve`);
    const config = loadConfig(env, []); // throws on anything the service would refuse at start
    assert.equal(config.workers, h.workers, `${h.name}: --workers as planned`);
    const lb = e.plan.hosts.find((x) => x.roles.includes('lb'));
    if (lb) {
      assert.equal(config.host, h.address, `${h.name}: listens on its private address`);
      assert.deepEqual(config.trustProxy, [lb.address], `${h.name}: trusts the load balancer's X-Forwarded-For`);
    } else if (e.plan.hosts.filter((x) => x.roles.includes('app')).length === 1 && !/managed LB/.test(e.plan.topology)) {
      assert.equal(config.host, '0.0.0.0', 'one app VM and no load balancer: every interface');
      assert.deepEqual(config.trustProxy, []);
    }
    if (config.databaseUrl) assert.match(config.databaseUrl, /sslmode=(verify-full|require)/, `${h.name}: the database over TLS`);
    assert.equal(config.port, 3000);
  }
}

test('emit: one VM with SQLite — cloud-init for the app host, its environment, report and diagram', (t) => {
  const e = emit(t, { budget: 65 });
  assert.equal(e.plan.topology, 'vm6 [app] · SQLite');
  assert.deepEqual(e.files.sort(), ['hosts/app1.env', 'hosts/app1.yaml', 'plan.json', 'report.md', 'topology.svg']);
  const work = temp(t, 'polarity-plan-check-');
  checkCloudInit(t, e, work);
  checkEnv(e);
  const env = readFileSync(join(e.dir, 'hosts/app1.env'), 'utf8');
  assert.doesNotMatch(env, /^DATABASE_URL=/m, 'SQLite: no database URL');
  assert.match(env, /^WORKERS=4$/m);
  const report = readFileSync(join(e.dir, 'report.md'), 'utf8');
  assert.match(report, /\$48 a month/);
  assert.match(report, /single point of failure/);
  assert.match(report, /\| # \| topology \|/);
  const svg = readFileSync(join(e.dir, 'topology.svg'), 'utf8');
  assert.match(svg, /^<\?xml[^>]*>\n<svg /);
  assert.match(svg, /vm6/);
  assert.match(svg, /Total \$48 a month/);
  if (hasYaml()) {
    // well-formed XML
    const r = spawnSync('/usr/bin/python3', ['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])', join(e.dir, 'topology.svg')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
});

test('emit: load balancer + app hosts + database VM — nginx -t passes, every file fits deploy/', (t) => {
  const e = emit(t, { budget: 65, minAppHosts: 2 });
  const apps = e.plan.hosts.filter((h) => h.roles.includes('app'));
  assert.ok(apps.length >= 2, e.plan.topology);
  const work = temp(t, 'polarity-plan-check-');
  const conf = checkNginx(t, e, work);
  assert.doesNotMatch(conf, /weight=/, 'equal hosts: plain round robin');
  checkCloudInit(t, e, work);
  checkEnv(e);
  const lbName = e.plan.hosts.find((h) => h.roles.includes('lb'))!.name;
  if (hasYaml()) assert.equal(lbRendersAs(e, lbName, work), conf, "the load balancer's cloud-init renders nginx/polarity.conf");
  // every app host points at the database host, with the password the database is given
  const dbHost = e.plan.hosts.find((h) => h.roles.includes('db'))!;
  const dbYaml = readFileSync(join(e.dir, `hosts/${dbHost.name}.yaml`), 'utf8');
  const password = /DB_PASSWORD=(\S+)/.exec(dbYaml)![1]!;
  assert.notEqual(password, 'change-me');
  assert.match(dbYaml, new RegExp(`LISTEN_ADDRESS=${dbHost.address.replace(/\./g, '\\.')}`));
  for (const h of apps) {
    assert.equal(
      envFile(readFileSync(join(e.dir, `hosts/${h.name}.env`), 'utf8'))['DATABASE_URL'],
      `postgres://polarity:${password}@${dbHost.address}:5432/polarity?sslmode=verify-full&sslrootcert=/etc/polarity/db-ca.crt`,
    );
  }
  const lb = e.plan.hosts.find((h) => h.roles.includes('lb'))!;
  assert.match(
    readFileSync(join(e.dir, `hosts/${lb.name}.yaml`), 'utf8'),
    new RegExp(
      `APP_HOSTS="${apps
        .map((a) => `${a.address}:3000`)
        .join(' ')
        .replace(/\./g, '\\.')}"`,
    ),
  );
  // deploy/local-cluster accepts the shape (it validates its settings before anything else)
  const lc = envFile(readFileSync(join(e.dir, 'local-cluster.env'), 'utf8'));
  assert.equal(Number(lc['POLARITY_CLUSTER_APPS']), apps.length);
  const r = spawnSync(join(ROOT, 'deploy/local-cluster'), ['status'], {
    encoding: 'utf8',
    env: { ...process.env, ...lc, POLARITY_CLUSTER_NAME: 'plnemit', POLARITY_CLUSTER_NET: '10.77.9', POLARITY_CLUSTER_STATE: join(work, 'cluster') },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cluster plnemit: down/);
});

test('emit: roles sharing a VM get one merged cloud-init, and unequal hosts get nginx weights', (t) => {
  // Two 2-vCPU VMs: the load balancer and the database go on app host 1, which then takes less traffic.
  const e = emit(t, { budget: 20, vms: [vm('b', 2, 2048, 10)], minAppHosts: 2 });
  assert.equal(e.plan.topology, 'b [app+lb+db] + b [app] · PostgreSQL');
  const [app1, app2] = e.plan.hosts;
  assert.ok(app1!.weight < app2!.weight, `weights ${app1!.weight} < ${app2!.weight}`);
  const work = temp(t, 'polarity-plan-check-');
  const conf = checkNginx(t, e, work);
  assert.match(conf, new RegExp(`server ${app1!.address.replace(/\./g, '\\.')}:3000 weight=${app1!.weight} `));
  assert.match(conf, new RegExp(`server ${app2!.address.replace(/\./g, '\\.')}:3000 weight=${app2!.weight} `));
  checkCloudInit(t, e, work);
  checkEnv(e);
  const merged = readFileSync(join(e.dir, 'hosts/app1.yaml'), 'utf8');
  for (const p of ['/usr/local/sbin/polarity-db-install', '/usr/local/sbin/polarity-install', '/usr/local/sbin/polarity-lb-install']) assert.ok(merged.includes(p), p);
  // the database listens on app1's own address, which its app uses too
  assert.match(merged, new RegExp(`LISTEN_ADDRESS=${app1!.address.replace(/\./g, '\\.')}`));
  // the load balancer's cloud-init hands the weighted hosts to render-config, which writes the same file
  if (hasYaml()) assert.equal(lbRendersAs(e, 'app1', work), conf);
  assert.match(merged, new RegExp(`APP_HOSTS="${app1!.address.replace(/\./g, '\\.')}:3000=${app1!.weight} `));
  // deploy/local-cluster takes the weights too, and checks them before anything else
  const lc = envFile(readFileSync(join(e.dir, 'local-cluster.env'), 'utf8'));
  assert.equal(lc['POLARITY_CLUSTER_WEIGHTS'], `${app1!.weight},${app2!.weight}`);
  const cluster = (env: Record<string, string>) =>
    spawnSync(join(ROOT, 'deploy/local-cluster'), ['status'], {
      encoding: 'utf8',
      env: { ...process.env, ...env, POLARITY_CLUSTER_NAME: 'plnemitw', POLARITY_CLUSTER_NET: '10.77.9', POLARITY_CLUSTER_STATE: join(work, 'cluster') },
    });
  const r = cluster(lc);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cluster plnemitw: down/);
  assert.equal(cluster({ ...lc, POLARITY_CLUSTER_WEIGHTS: String(app1!.weight) }).status, 2, 'one weight for two app hosts is refused');
});

test('emit: merging keeps every package once and every file and command of each part', () => {
  const a = '#cloud-config\n# a\npackage_update: true\npackages:\n  - curl\n  - git   # for git\n\nwrite_files:\n  - path: /a\n    content: |\n      A\n\nruncmd:\n  - [bash, -c, a]\n';
  const b = '#cloud-config\npackage_update: true\npackages:\n  - curl\n  - nginx\n\nwrite_files:\n  - path: /b\n    content: |\n      B\n\nruncmd:\n  - [bash, -c, b]\n';
  const m = mergeCloudConfigs(
    [
      { name: 'a.yaml', text: a },
      { name: 'b.yaml', text: b },
    ],
    'note',
  );
  assert.equal(m.match(/- curl/g)!.length, 1);
  assert.match(m, /- git {3}# for git\n\s+- nginx/);
  assert.match(m, /- path: \/a[\s\S]*- path: \/b/);
  assert.match(m, /runcmd:\n {2}- \[bash, -c, a\]\n {2}- \[bash, -c, b\]/);
  assert.throws(() => mergeCloudConfigs([{ name: 'x', text: '#cloud-config\nusers:\n  - x\n' }], 'n'), /cannot merge/);
});

test('emit: the files of the shipped plan list every host of the DigitalOcean plan with managed services named', (t) => {
  // managed services get no cloud-init of their own; their hosts' files say what to fill in
  const e = emit(t, { budget: 65, prices: 'digitalocean', minAppHosts: 2 });
  for (const f of readdirSync(join(e.dir, 'hosts'))) assert.match(f, /^(lb|db|app\d+)\.(yaml|env)$/);
  const report = readFileSync(join(e.dir, 'report.md'), 'utf8');
  assert.match(report, /re-check/i);
});
