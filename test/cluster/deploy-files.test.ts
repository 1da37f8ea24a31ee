// The files a real deployment uses (deploy/): they parse, they say what docs/deploy.md says they
// do, and the timeouts that keep rolling restarts loss-free agree across nginx and the app.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.js';
import { startServer } from '../process-helpers.js';

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
  // Limits per client address, stricter for streams; /metrics only for this machine by default.
  assert.match(conf, /limit_req_zone \$binary_remote_addr zone=polarity_req:\d+m rate=20r\/s;/);
  assert.match(conf, /limit_req_zone \$binary_remote_addr zone=polarity_stream:\d+m rate=1r\/s;/);
  assert.match(conf, /limit_req_status 429;/);
  assert.match(conf, /limit_conn_status 429;/);
  assert.match(conf, /^ {4}limit_conn polarity_conn 32;/m, 'every location counts connections');
  assert.match(/location \/ \{([^}]*)\}/.exec(conf)?.[1] ?? '', /limit_req zone=polarity_req burst=50 nodelay;/);
  assert.match(sse, /limit_conn polarity_conn 32;/, 'a location with its own limit_conn does not inherit the server one');
  assert.match(sse, /limit_conn polarity_streams 8;/);
  assert.match(sse, /limit_req zone=polarity_stream burst=10 nodelay;/);
  const metrics = /location \^~ \/metrics \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  assert.match(metrics, /^\s*allow 127\.0\.0\.1;\s*allow ::1;\s*deny all;/);
  assert.match(metrics, /error_page 403 =404 @not_found;/);
  assert.match(metrics, /error_page 502 504 @no_app_host;/, 'its own error_page list repeats the server one');
});

test('nginx: render-config refuses what is not an address, a name or a path', () => {
  const up = ['--upstream', '10.0.0.1:80'];
  for (const args of [[], ['--upstream', '10.0.0.1'], ['--upstream', '10.0.0.1:80;evil'], [...up, '--listen', '80 default_server; }'], ['--bogus'],
    [...up, '--metrics-allow', 'all'], [...up, '--metrics-allow', '10.0.0.1; allow all'], [...up, '--rate', '20'], [...up, '--rate', '20r/s; x'], [...up, '--burst', '-1'], [...up, '--conns', '0'], [...up, '--conns', '65536'], [...up, '--streams', 'x']]) {
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

/** A TCP port free on loopback right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One request with a chosen source address; the body (up to the first chunk for a stream). */
function get(port: number, path: string, opts: { from?: string; keep?: boolean } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: opts.from ?? '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, close: () => req.destroy() });
      if (opts.keep && res.statusCode === 200) {
        res.once('data', (d: string) => ((body += d), done()));
      } else {
        res.on('data', (d: string) => (body += d)).on('end', done);
      }
    });
    req.on('error', reject).end();
  });
}

test('nginx in front of the app: per-client limits answer 429 rate-limited, streams are capped, /metrics only for the allowed addresses', { timeout: 60_000 }, async (t) => {
  if (!has('nginx')) {
    t.skip('nginx not found: the load balancer behaviour checks skipped');
    return;
  }
  const app = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1', '--host', '127.0.0.1']);
  t.after(() => app.signal('SIGKILL'));
  const dir = mkdtempSync(join(tmpdir(), 'polarity-nginx-run-'));
  chmodSync(dir, 0o755); // nginx's workers run as an unprivileged user when the test runs as root
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  // Small limits so that the test reaches them: 2 r/s with a burst of 4; at most 2 streams, 3
  // requests in progress. /metrics only for 127.0.0.2 (the test connects from .1 and from .2).
  const r = render('--upstream', `127.0.0.1:${new URL(app.url).port}`, '--listen', `127.0.0.1:${port}`, '--access-log', join(dir, 'access.log'),
    '--rate', '2r/s', '--burst', '4', '--conns', '3', '--streams', '2', '--stream-rate', '60r/m', '--stream-burst', '10', '--metrics-allow', '127.0.0.2');
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, 'polarity.conf'), r.stdout);
  const user = process.getuid?.() === 0 ? 'user www-data;\n' : '';
  writeFileSync(join(dir, 'nginx.conf'), `${user}daemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  include ${dir}/polarity.conf;\n}\n`);
  const nginx = spawn('nginx', ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { env: { ...process.env, PATH }, stdio: 'ignore' });
  t.after(() => nginx.kill('SIGTERM'));
  // Ready when it accepts connections (polling a URL would spend the rate limit's tokens).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => connect(port, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
    if (ok) break;
    if (i >= 100 || nginx.exitCode !== null) assert.fail(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    await new Promise((res) => setTimeout(res, 100));
  }

  // /metrics: the allowed address gets the app's metrics; any other gets a 404 problem document,
  // however the path is spelled.
  const allowed = await get(port, '/metrics', { from: '127.0.0.2' });
  assert.equal(allowed.status, 200);
  assert.match(allowed.body, /^polarity_/m);
  for (const path of ['/metrics', '/metrics?format=text', '/metrics/', '//metrics', '/%6Detrics', '/./metrics']) {
    const denied = await get(port, path);
    assert.equal(denied.status, 404, path);
    assert.equal(denied.headers['content-type'], 'application/problem+json', path);
    assert.equal((JSON.parse(denied.body) as { code: string }).code, 'not-found', path);
  }

  const isRateLimited = (x: { status: number; headers: Record<string, unknown>; body: string }) => {
    assert.equal(x.status, 429);
    assert.equal(x.headers['content-type'], 'application/problem+json');
    assert.equal(x.headers['retry-after'], '1');
    assert.equal((JSON.parse(x.body) as { code: string }).code, 'rate-limited');
  };

  // Requests in progress at once (limit_conn 3): 20 at once from the allowed address on /metrics
  // (which has no request-rate limit) — some are refused while three are being served.
  const parallel = await Promise.all(Array.from({ length: 20 }, () => get(port, '/metrics', { from: '127.0.0.2' })));
  const statuses = parallel.map((x) => x.status);
  assert.ok(statuses.includes(200) && statuses.includes(429) && statuses.every((s) => s === 200 || s === 429), statuses.join(' '));
  parallel.filter((x) => x.status === 429).forEach(isRateLimited);

  // Request rate (limit_req 2 r/s, burst 4, nodelay): one after the other as fast as they go, the
  // first 1 + 4 pass (one more if half a second went by), every later one is 429 rate-limited.
  const flood: Awaited<ReturnType<typeof get>>[] = [];
  for (let i = 0; i < 20; i++) flood.push(await get(port, '/livez'));
  const ok = flood.filter((x) => x.status === 200).length;
  assert.ok(ok >= 5 && ok <= 7, `the burst passes: ${ok} of 20 answered 200 (${flood.map((x) => x.status).join(' ')})`);
  flood.filter((x) => x.status !== 200).forEach(isRateLimited);
  // Another client address has its own allowance.
  assert.equal((await get(port, '/livez', { from: '127.0.0.3' })).status, 200);

  // Streams: two open at once per client; the third is refused while they last.
  const streams = [await get(port, '/history/stream', { keep: true }), await get(port, '/history/stream', { keep: true })];
  t.after(() => streams.forEach((s) => s.close()));
  assert.deepEqual(streams.map((s) => s.status), [200, 200]);
  const third = await get(port, '/history/stream', { keep: true });
  third.close();
  isRateLimited(third);
  streams.forEach((s) => s.close());
  await new Promise((res) => setTimeout(res, 300));
  const again = await get(port, '/history/stream', { keep: true });
  again.close();
  assert.equal(again.status, 200, 'a stream slot is free again once one closes');
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
