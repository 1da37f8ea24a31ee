// The files a real deployment uses (deploy/): they parse, they say what docs/deploy.md says they
// do, and the timeouts that keep rolling restarts loss-free agree across nginx and the app.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.js';

const PATH = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`;
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { env: { ...process.env, PATH } }).status === 0;
const deploy = (...p: string[]) => join(ROOT, 'deploy', ...p);

function render(...args: string[]) {
  return spawnSync(deploy('nginx/render-config'), args, { encoding: 'utf8' });
}

/** The config for two app hosts, without comments. */
function rendered(): string {
  const r = render('--upstream', '10.0.0.11:3000', '--upstream', '10.0.0.12:3000', '--access-log', '/tmp/polarity-access.log');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/#.*$/gm, '');
}

/** A yaml file as JSON, parsed by PyYAML (Debian's python3-yaml). */
function yamlToJson(file: string): unknown {
  const py = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
  const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('nginx: the template renders for N hosts; no cache, 64 KiB bodies, keep-alive upstreams, idempotent-only retries, SSE unbuffered', () => {
  const conf = rendered();
  assert.match(conf, /upstream polarity_app \{[^}]*server 10\.0\.0\.11:3000 max_fails=3 fail_timeout=5s;\s*server 10\.0\.0\.12:3000 max_fails=3 fail_timeout=5s;/);
  assert.match(conf, /^\s*zone polarity_app \d+k;/m);
  assert.match(conf, /^\s*keepalive \d+;/m);
  assert.doesNotMatch(conf, /proxy_cache\b|proxy_store\b|expires\b/, 'nothing is cached at the load balancer');
  assert.match(conf, /client_max_body_size 64k;/);
  assert.match(conf, /proxy_http_version 1\.1;/);
  assert.match(conf, /proxy_set_header Connection "";/);
  assert.match(conf, /proxy_next_upstream error timeout;/);
  assert.doesNotMatch(conf, /non_idempotent/, 'a POST is never sent twice');
  assert.doesNotMatch(conf, /proxy_next_upstream[^;]*http_503/, "the app's 503 (database down) is not a host failure");
  assert.match(conf, /log_format polarity [^;]*\$upstream_addr[^;]*\$upstream_response_time[^;]*;/s);
  assert.match(conf, /log_format polarity [^;]*\$request_time/s);
  assert.match(conf, /access_log \/tmp\/polarity-access\.log polarity;/);
  const sse = /location = \/history\/stream \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  assert.match(sse, /proxy_buffering off;/);
  assert.match(sse, /proxy_read_timeout 1h;/);
  assert.doesNotMatch(conf, /@[A-Z_]+@/, 'every placeholder is filled');
});

test('nginx: render-config refuses what is not an address, a name or a path', () => {
  for (const args of [[], ['--upstream', '10.0.0.1'], ['--upstream', '10.0.0.1:80;evil'], ['--upstream', '10.0.0.1:80', '--listen', '80 default_server; }'], ['--bogus']]) {
    const r = render(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
  }
});

test('nginx: the rendered config passes nginx -t', (t) => {
  if (!has('nginx')) {
    t.skip('nginx not found: nginx -t skipped');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-nginx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'polarity.conf'), render('--upstream', '10.0.0.11:3000', '--upstream', '[fd00::12]:3000', '--listen', '127.0.0.1:8080', '--access-log', join(dir, 'access.log')).stdout);
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  include ${dir}/polarity.conf;\n}\n`);
  const r = spawnSync('nginx', ['-t', '-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /syntax is ok/);
});

test('timeouts agree: nginx closes idle upstream connections before the app drains or times them out', () => {
  const conf = rendered();
  const nginxIdle = Number(/keepalive_timeout (\d+)s;/.exec(/upstream polarity_app \{[^}]*\}/.exec(conf)![0])![1]) * 1000;
  const server = readFileSync(join(ROOT, 'src/server.ts'), 'utf8');
  const drain = Number(/const DRAIN_MS = ([\d_]+);/.exec(server)![1]!.replaceAll('_', ''));
  const config = readFileSync(join(ROOT, 'src/config.ts'), 'utf8');
  const appIdle = Number(/KEEP_ALIVE_TIMEOUT_MS'\) \?\? '(\d+)'/.exec(config)![1]);
  assert.ok(nginxIdle + 1000 < drain, `nginx upstream keepalive_timeout (${nginxIdle} ms) + 1 s margin < the app's drain (${drain} ms)`);
  assert.ok(nginxIdle < appIdle, `nginx upstream keepalive_timeout (${nginxIdle} ms) < the app's keep-alive timeout (${appIdle} ms)`);
  const readTimeout = Number(/^\s*proxy_read_timeout (\d+)s;/m.exec(conf)![1]) * 1000;
  assert.ok(readTimeout > 5000 + 2000, "nginx waits longer than the app's database timeouts, so the app's 503 reaches the client");
  const unit = readFileSync(deploy('systemd/polarity.service'), 'utf8');
  const stopSec = Number(/^TimeoutStopSec=(\d+)s$/m.exec(unit)![1]) * 1000;
  const grace = Number(/const SHUTDOWN_GRACE_MS = ([\d_]+);/.exec(server)![1]!.replaceAll('_', ''));
  assert.ok(stopSec > grace, `systemd waits (${stopSec} ms) longer than the app's own shutdown bound (${grace} ms)`);
});

test('systemd: the unit runs unprivileged, restarts on failure, stops gracefully, and is sandboxed', (t) => {
  const file = deploy('systemd/polarity.service');
  const unit = readFileSync(file, 'utf8');
  for (const line of [
    'User=polarity', 'Restart=on-failure', 'RestartPreventExitStatus=2', 'StartLimitIntervalSec=0', 'KillSignal=SIGTERM', 'KillMode=mixed', 'EnvironmentFile=/etc/polarity/env',
    'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'ReadWritePaths=/var/lib/polarity',
    'CapabilityBoundingSet=', 'WantedBy=multi-user.target',
  ]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/polarity\/bin\/polarity\.js serve$/m);
  if (!has('systemd-analyze')) {
    t.skip('systemd-analyze not found: unit verification skipped');
    return;
  }
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', cwd: tmpdir() });
  // verify also checks that ExecStart's binary exists, which it need not on a test machine.
  const problems = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/is not executable|No such file|Command .* is not executable/.test(l));
  assert.deepEqual(problems, [], r.stderr);
});

test('cloud-init: every file is valid YAML cloud-config, its scripts parse, and it names no real host', (t) => {
  if (spawnSync('/usr/bin/python3', ['-c', 'import yaml']).status !== 0) {
    t.skip('python3-yaml not found (apt-get install python3-yaml): cloud-init checks skipped');
    return;
  }
  const files = readdirSync(deploy('cloud-init')).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['app-host.yaml', 'database.yaml', 'load-balancer.yaml']);
  const dir = mkdtempSync(join(tmpdir(), 'polarity-cloud-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of files) {
    const path = deploy('cloud-init', f);
    const text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('#cloud-config\n'), `${f} starts with #cloud-config`);
    const doc = yamlToJson(path) as { packages: string[]; write_files: { path: string; content: string; permissions: string }[]; runcmd: unknown[] };
    assert.ok(Array.isArray(doc.packages) && doc.packages.length > 0, `${f}: packages`);
    assert.ok(Array.isArray(doc.runcmd) && doc.runcmd.length > 0, `${f}: runcmd`);
    const scripts = doc.write_files.filter((w) => w.content.startsWith('#!/usr/bin/env bash\n'));
    assert.ok(scripts.length > 0, `${f}: has an install script`);
    for (const s of scripts) {
      assert.equal(s.permissions, '0755', `${f}: ${s.path} is executable`);
      const script = join(dir, `${f}.sh`);
      writeFileSync(script, s.content);
      const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${s.path}: ${r.stderr}`);
      assert.ok(JSON.stringify(doc.runcmd).includes(s.path), `${f}: runcmd runs ${s.path}`);
    }
    // Only placeholders (.invalid never resolves), the machine itself, and Node.js's official distribution.
    for (const [, host] of text.matchAll(/\b[a-z+]+:\/\/(?:[^@/\s]*@)?([^:/\s#'"]+)/g)) {
      if (host!.startsWith('$')) continue; // a shell variable
      assert.ok(host!.endsWith('.invalid') || host === 'nodejs.org' || host === '127.0.0.1', `${f} names the host ${host}`);
    }
  }
  const app = yamlToJson(deploy('cloud-init/app-host.yaml')) as { packages: string[]; write_files: { path: string; content: string }[] };
  assert.ok(app.packages.includes('build-essential'));
  const install = app.write_files.find((w) => w.path === '/usr/local/sbin/polarity-install')!.content;
  assert.match(install, /node-v20\\\.|node-v20\./, 'installs Node.js 20');
  assert.match(install, /sha256sum -c/, 'checks the Node.js download');
  assert.match(install, /useradd --system/);
  assert.match(install, /deploy\/systemd\/polarity\.service/, 'installs the unit from deploy/systemd');
  assert.ok(app.write_files.some((w) => w.path === '/etc/polarity/env' && /^DATABASE_URL=postgres:\/\//m.test(w.content)));
  const lb = yamlToJson(deploy('cloud-init/load-balancer.yaml')) as { packages: string[]; write_files: { content: string }[] };
  assert.ok(lb.packages.includes('nginx'));
  assert.ok(lb.write_files.some((w) => w.content.includes('deploy/nginx/render-config')), 'renders the nginx template');
});

test('local-cluster: the script parses and explains itself', () => {
  const script = deploy('local-cluster');
  assert.equal(spawnSync('bash', ['-n', script]).status, 0);
  const r = spawnSync(script, ['help'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /local-cluster up/);
  const bad = spawnSync(script, ['status'], { encoding: 'utf8', env: { ...process.env, POLARITY_CLUSTER_NAME: 'Bad Name' } });
  assert.equal(bad.status, 2);
});
