// The files a real deployment uses (deploy/): they parse, they say what docs/deploy.md says they
// do, and the timeouts that keep rolling restarts loss-free agree across nginx and the app.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nginxWorkerUser, renderNginxMain } from '../../src/lab/nginx.js';
import { listeningUrl } from '../../src/lab/serve.js';
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
  for (const args of [
    [],
    ['--upstream', '10.0.0.1'],
    ['--upstream', '10.0.0.1:80;evil'],
    [...up, '--listen', '80 default_server; }'],
    ['--bogus'],
    [...up, '--metrics-allow', 'all'],
    [...up, '--metrics-allow', '10.0.0.1; allow all'],
    [...up, '--rate', '20'],
    [...up, '--rate', '20r/s; x'],
    [...up, '--burst', '-1'],
    [...up, '--conns', '0'],
    [...up, '--conns', '65536'],
    [...up, '--streams', 'x'],
  ]) {
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
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'nginx.conf'), renderNginxMain({ dir, workerProcesses: 1, include: join(dir, 'polarity.conf') }));
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
function get(
  port: number,
  path: string,
  opts: { from?: string; keep?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: opts.from ?? '127.0.0.1', agent: false, headers: opts.headers }, (res) => {
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

/** nginx with the rendered template in front of one app port, on a free loopback port (returned); stopped after the test. */
async function runNginx(t: { after: (fn: () => unknown) => void }, appPort: string, args: readonly string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-nginx-run-'));
  chmodSync(dir, 0o755); // nginx's workers run as an unprivileged user when the test runs as root
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const r = render('--upstream', `127.0.0.1:${appPort}`, '--listen', `127.0.0.1:${port}`, '--access-log', join(dir, 'access.log'), ...args);
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, 'polarity.conf'), r.stdout);
  mkdirSync(join(dir, 'tmp'), { mode: 0o777 });
  chmodSync(join(dir, 'tmp'), 0o777);
  writeFileSync(join(dir, 'nginx.conf'), renderNginxMain({ dir, ...(process.getuid?.() === 0 ? { user: nginxWorkerUser() } : {}), workerProcesses: 1, include: join(dir, 'polarity.conf') }));
  const nginx = spawn('nginx', ['-g', 'daemon off;', '-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { env: { ...process.env, PATH }, stdio: 'ignore' });
  t.after(() => nginx.kill('SIGTERM'));
  // Ready when it accepts connections (polling a URL would spend the rate limit's tokens).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      connect(port, '127.0.0.1')
        .once('connect', function (this: Socket) {
          this.destroy();
          resolve(true);
        })
        .once('error', () => resolve(false)),
    );
    if (ok) return port;
    if (i >= 100 || nginx.exitCode !== null) assert.fail(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('nginx in front of the app: per-client limits answer 429 rate-limited, streams are capped, /metrics only for the allowed addresses', { timeout: 60_000 }, async (t) => {
  if (!has('nginx')) {
    t.skip('nginx not found: the load balancer behaviour checks skipped');
    return;
  }
  const app = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1', '--host', '127.0.0.1']);
  t.after(() => app.signal('SIGKILL'));
  // Small limits so that the test reaches them: 2 r/s with a burst of 4; at most 2 streams, 3
  // requests in progress. /metrics only for 127.0.0.2 (the test connects from .1 and from .2).
  const port = await runNginx(t, new URL(app.url).port, [
    '--rate',
    '2r/s',
    '--burst',
    '4',
    '--conns',
    '3',
    '--streams',
    '2',
    '--stream-rate',
    '60r/m',
    '--stream-burst',
    '10',
    '--metrics-allow',
    '127.0.0.2',
  ]);

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
  assert.deepEqual(
    streams.map((s) => s.status),
    [200, 200],
  );
  const third = await get(port, '/history/stream', { keep: true });
  third.close();
  isRateLimited(third);
  streams.forEach((s) => s.close());
  await new Promise((res) => setTimeout(res, 300));
  const again = await get(port, '/history/stream', { keep: true });
  again.close();
  assert.equal(again.status, 200, 'a stream slot is free again once one closes');
});

test("TRUST_PROXY behind nginx: the app's per-client rate limit counts each client, not the load balancer, and a forged X-Forwarded-For does not help", { timeout: 60_000 }, async (t) => {
  if (!has('nginx')) {
    t.skip('nginx not found: skipped');
    return;
  }
  // nginx's own limits out of the way; the app allows 3 API requests a minute per client.
  const loose = ['--rate', '1000r/s', '--burst', '1000'];
  const clients = async (trust: string[]) => {
    const app = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1', '--rate-limit', '3', ...trust]);
    t.after(() => app.signal('SIGKILL'));
    const port = await runNginx(t, new URL(app.url).port, loose);
    const first = [];
    // Clients at 127.0.0.4 and .3; nginx itself connects to the app from 127.0.0.1. (A client at
    // a trusted address could name any address it likes: TRUST_PROXY is the load balancer only.)
    for (let i = 0; i < 4; i++) first.push((await get(port, '/history', { from: '127.0.0.4' })).status);
    const forged = (await get(port, '/history', { from: '127.0.0.4', headers: { 'x-forwarded-for': '203.0.113.7' } })).status;
    const other = (await get(port, '/history', { from: '127.0.0.3' })).status;
    return { first, forged, other };
  };
  // As deploy/env.example configures it: TRUST_PROXY = the load balancer.
  assert.deepEqual(await clients(['--trust-proxy', '127.0.0.1']), { first: [200, 200, 200, 429], forged: 429, other: 200 });
  // Without it every request seems to come from nginx: one client's use is everyone's.
  assert.deepEqual(await clients([]), { first: [200, 200, 200, 429], forged: 429, other: 429 });
});

test('timeouts agree: nginx closes idle upstream connections before the app drains or times them out', async () => {
  const conf = rendered();
  const nginxIdle = Number(/keepalive_timeout (\d+)s;/.exec(/upstream polarity_app \{[^}]*\}/.exec(conf)![0])![1]) * 1000;
  const server = readFileSync(join(ROOT, 'src/server.ts'), 'utf8');
  const drain = Number(/const DRAIN_MS = ([\d_]+);/.exec(server)![1]!.replaceAll('_', ''));
  // The app's default, from its one source (loadConfig with nothing set).
  const { loadConfig } = await import('../../src/config.js');
  const appIdle = loadConfig({}, []).keepAliveTimeoutMs;
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
    'User=polarity',
    'Restart=on-failure',
    'RestartPreventExitStatus=2',
    'StartLimitIntervalSec=0',
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    'EnvironmentFile=/etc/polarity/env',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'ReadWritePaths=/var/lib/polarity',
    'CapabilityBoundingSet=',
    'WantedBy=multi-user.target',
  ]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/polarity\/lib\/node_modules\/polarity-server\/bin\/polarity\.js serve$/m); // npm install -g --prefix /opt/polarity
  if (!has('systemd-analyze')) {
    t.skip('systemd-analyze not found: unit verification skipped');
    return;
  }
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', cwd: tmpdir() });
  // verify also checks that ExecStart's binary exists, which it need not on a test machine.
  const problems = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/is not executable|No such file|Command .* is not executable/.test(l));
  assert.deepEqual(problems, [], r.stderr);
});

/** Linux's numbers for the families a unit may name (include/linux/socket.h). */
const AF: Record<string, number> = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17 };

/** `polarity serve` under restrict-af with these families; what it printed once it listened or failed. */
async function serveRestricted(
  restrictAf: string,
  families: readonly number[],
  host: string,
  dir: string,
  prefix: readonly string[] = [],
): Promise<{ listening: boolean; output: string; url?: string }> {
  const argv = [
    ...prefix,
    restrictAf,
    families.join(','),
    process.execPath,
    join(ROOT, 'bin/polarity.js'),
    'serve',
    '--host',
    host,
    '--port',
    '0',
    '--workers',
    '2',
    '--db',
    join(dir, `${host}-${families.join('-')}${prefix.length > 0 ? '-sandboxed' : ''}.db`),
  ];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, PATH, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = performance.now() + 15_000;
  // Listening, or a worker has died of it twice (the primary restarts workers that exit).
  while (listeningUrl(output) === undefined && (output.match(/worker exited unexpectedly/g) ?? []).length < 2 && child.exitCode === null && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = listeningUrl(output)?.replace(/^.*:/, '');
  if (port !== undefined && prefix.length > 0) {
    // Serves, too: a write (the SQLite file) and a read, under the same restrictions.
    const base = `http://127.0.0.1:${port}`;
    const posted = await fetch(`${base}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"sandboxed and happy"}' });
    output += `\nPOST /analyze ${posted.status}; GET /metrics ${(await fetch(`${base}/metrics`)).status}`;
  }
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // gone already
  }
  await exited;
  return { listening: listeningUrl(output) !== undefined, output };
}

test("systemd: the app starts under the unit's RestrictAddressFamilies on 0.0.0.0 and on a private address; without AF_NETLINK, 0.0.0.0 fails", { timeout: 90_000 }, async (t) => {
  const unit = readFileSync(deploy('systemd/polarity.service'), 'utf8');
  const names = /^RestrictAddressFamilies=(.+)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  assert.ok(names.length > 0 && names.every((n) => n in AF), `RestrictAddressFamilies lists known families: ${names.join(' ')}`);
  assert.ok(names.includes('AF_NETLINK'), 'AF_NETLINK is allowed: Node needs it for os.networkInterfaces(), which Fastify calls on 0.0.0.0 (see below)');
  if (!['x64', 'arm64'].includes(process.arch) || process.platform !== 'linux' || !has('cc')) {
    t.skip('needs Linux on x86_64 or aarch64 and a C compiler (cc) for the seccomp wrapper');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-restrict-af-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'restrict-af');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, join(ROOT, 'test/cluster/restrict-af.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const probe = spawnSync(bin, ['1', '/bin/true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip(`this machine refuses seccomp filters: ${probe.stderr.trim()}`);
    return;
  }
  const unitFamilies = names.map((n) => AF[n]!);
  const withoutNetlink = unitFamilies.filter((f) => f !== AF['AF_NETLINK']);

  // The unit's own list: listening on every address works.
  const all = await serveRestricted(bin, unitFamilies, '0.0.0.0', dir);
  assert.ok(all.listening, `listens on 0.0.0.0 with ${names.join(' ')}:\n${all.output}`);
  // The list without AF_NETLINK (the unit before this change): on 0.0.0.0 every worker dies with
  // EAFNOSUPPORT from uv_interface_addresses; the primary restarts them forever, never listening.
  const broken = await serveRestricted(bin, withoutNetlink, '0.0.0.0', dir);
  assert.ok(!broken.listening, broken.output);
  assert.match(broken.output, /uv_interface_addresses returned Unknown system error 97/);
  t.diagnostic(`without AF_NETLINK on 0.0.0.0: ${/SystemError[^\n]*/.exec(broken.output)?.[0]}`);
  // A specific address (what deploy/env.example sets) needs no netlink at all.
  const bound = await serveRestricted(bin, withoutNetlink, '127.0.0.1', dir);
  assert.ok(bound.listening, `listens on 127.0.0.1 without AF_NETLINK:\n${bound.output}`);

  // More of the unit at once, as far as this machine allows without systemd as PID 1: its own pid
  // and mount namespace with /proc mounted as ProcSubset=pid + ProtectProc=invisible do
  // (subset=pid,hidepid=invisible), an unprivileged user (nobody for polarity), NoNewPrivileges,
  // an empty capability bounding set, and the unit's address families; on 0.0.0.0 with 2 workers.
  // Not reproduced: ProtectSystem=strict, PrivateTmp/Devices, SystemCallFilter and the other
  // Protect*/Restrict* settings.
  if (process.getuid?.() !== 0 || !has('unshare') || !has('setpriv')) {
    t.diagnostic('not root (or no unshare/setpriv): the namespace + unprivileged-user run is skipped');
    return;
  }
  const readable = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', 'test', '-r', join(ROOT, 'dist/src/cli.js')], { env: { ...process.env, PATH } }).status === 0;
  if (!readable) {
    t.diagnostic(`nobody cannot read ${ROOT}: the namespace + unprivileged-user run is skipped`);
    return;
  }
  chmodSync(dir, 0o777); // nobody writes its SQLite file here (the unit's StateDirectory)
  chmodSync(bin, 0o755);
  const sandbox = [
    'unshare',
    '--mount',
    '--pid',
    '--fork',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount -t proc -o subset=pid,hidepid=invisible proc /proc && [ ! -e /proc/cpuinfo ] && exec "$@"',
    'sandbox',
    'setpriv',
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    '--no-new-privs',
    '--bounding-set=-all',
    '--inh-caps=-all',
    '--',
  ];
  const sandboxed = await serveRestricted(bin, unitFamilies, '0.0.0.0', dir, sandbox);
  assert.ok(sandboxed.listening, `listens on 0.0.0.0 in the approximated sandbox:\n${sandboxed.output}`);
  assert.match(sandboxed.output, /POST \/analyze 200; GET \/metrics 200/);
});

test('systemd: systemd-analyze security rates the unit OK (offline, from the file)', (t) => {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', deploy('systemd/polarity.service')], { encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, PATH } });
  if (r.error || !/Overall exposure level/.test(r.stdout)) {
    t.skip(`systemd-analyze security --offline not available: ${r.error?.message ?? r.stderr.trim()}`);
    return;
  }
  const m = /Overall exposure level for polarity\.service: ([\d.]+) (\w+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  t.diagnostic(`systemd-analyze security: ${m[1]} ${m[2]}`);
  assert.ok(Number(m[1]) <= 2, `exposure ${m[1]} ≤ 2.0`);
  assert.equal(m[2], 'OK');
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
      const runBy = scripts.find((o) => o !== s && o.content.includes(s.path));
      assert.ok(JSON.stringify(doc.runcmd).includes(s.path) || runBy !== undefined, `${f}: runcmd (or a script it runs) runs ${s.path}`);
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
  // The release tarball, installed with production dependencies only: nothing is built on the VM.
  assert.match(install, /^\s*npm install --global --prefix "\$new" --omit=dev --no-audit --no-fund "\$pkg"$/m, 'installs the tarball');
  assert.doesNotMatch(install, /npm ci\b|npm run build|\btsc\b|git clone/, 'no build on the VM');
  const env = app.write_files.find((w) => w.path === '/etc/polarity/env')!.content;
  assert.match(env, /^DATABASE_URL="postgres:\/\/[^"\n]*\?sslmode=verify-full&sslrootcert=\/etc\/polarity\/db-ca\.crt"$/m, 'TLS to the database, its certificate checked');
  assert.match(env, /^HOST=(?!0\.0\.0\.0|::)\S+$/m, 'bound to the private address');
  assert.match(env, /^TRUST_PROXY=\S+$/m, "the load balancer's X-Forwarded-For names the client");
  assert.ok(app.packages.includes('nftables'));
  assert.match(install, /^\/usr\/local\/sbin\/polarity-firewall$/m, 'the firewall is up before the service starts');
  assert.ok(install.indexOf('polarity-firewall') < install.indexOf('systemctl restart polarity'));
  assert.doesNotMatch(install, /chmod 0?640|chgrp polarity/, 'the env file is not shared with the service user');
  assert.match(install, /chmod 0600 \/etc\/polarity\/env \/etc\/polarity\/install\.env/);
  assert.match(install, /grep -qx -- '-----BEGIN CERTIFICATE-----' \/etc\/polarity\/db-ca\.crt/, 'refuses to start with the placeholder certificate');
  const lb = yamlToJson(deploy('cloud-init/load-balancer.yaml')) as { packages: string[]; write_files: { content: string }[] };
  assert.ok(lb.packages.includes('nginx'));
  assert.ok(
    lb.write_files.some((w) => w.content.includes('deploy/nginx/render-config')),
    'renders the nginx template',
  );
  assert.ok(
    lb.write_files.some((w) => /--metrics-allow/.test(w.content) && /--rate/.test(w.content)),
    'passes the /metrics allow-list and the limits',
  );
  const db = yamlToJson(deploy('cloud-init/database.yaml')) as { write_files: { path: string; content: string }[] };
  const dbInstall = db.write_files.find((w) => w.path === '/usr/local/sbin/polarity-db-install')!.content;
  assert.match(dbInstall, /^line="hostssl polarity polarity \$APP_SUBNET scram-sha-256"$/m, 'TLS and SCRAM only');
  assert.doesNotMatch(dbInstall, /^line="host /m);
  assert.match(dbInstall, /^ssl = on$/m);
  assert.match(dbInstall, /subjectAltName=IP:\$LISTEN_ADDRESS/, 'the certificate names the address verify-full checks');
  assert.doesNotMatch(dbInstall, /^\s*runuser[^\n]*-v pw=/m, 'the password is on no command line');
  assert.match(dbInstall, /\\set pw `printf '%s' "\$DB_PASSWORD"`/);
});

test("cloud-init: every file that holds a secret is root's alone (0600); every PostgreSQL URL asks for TLS", (t) => {
  if (spawnSync('/usr/bin/python3', ['-c', 'import yaml']).status !== 0) {
    t.skip('python3-yaml not found: skipped');
    return;
  }
  // A password, a token, a private key, or a URL with a password in it.
  const secret = /PASSWORD=|TOKEN=|PRIVATE KEY|:\/\/[^/\s:@]+:[^@\s]+@|POLARITY_SOURCE=/;
  const seen: string[] = [];
  for (const f of ['app-host.yaml', 'database.yaml', 'load-balancer.yaml']) {
    const doc = yamlToJson(deploy('cloud-init', f)) as { write_files: { path: string; content: string; permissions: string; owner?: string }[] };
    for (const w of doc.write_files) {
      if (!secret.test(w.content) || w.content.startsWith('#!')) continue;
      seen.push(w.path);
      assert.equal(w.permissions, '0600', `${f}: ${w.path} holds a secret`);
      assert.ok(w.owner === undefined || w.owner === 'root:root', `${f}: ${w.path} is root's`);
    }
    for (const [url] of readFileSync(deploy('cloud-init', f), 'utf8').matchAll(/postgres(?:ql)?:\/\/[^\s"']+/g)) {
      assert.match(url, /[?&]sslmode=verify-full\b/, `${f}: ${url}`);
    }
  }
  assert.deepEqual(seen.sort(), ['/etc/polarity/db.env', '/etc/polarity/env', '/etc/polarity/install.env', '/etc/polarity/lb.env']);
  assert.match(readFileSync(deploy('env.example'), 'utf8'), /^DATABASE_URL="postgres:\/\/[^"]*\?sslmode=verify-full&/m);
});

/** A piece of a cloud-init file's script, found by a pattern; fails the test if it moved. */
function scriptPart(file: string, scriptPath: string, pattern: RegExp): string {
  const doc = yamlToJson(deploy('cloud-init', file)) as { write_files: { path: string; content: string }[] };
  const m = pattern.exec(doc.write_files.find((w) => w.path === scriptPath)!.content);
  assert.ok(m, `${file}: ${scriptPath} has ${pattern}`);
  return m[0];
}

function pgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const v = readdirSync(base)
    .filter((d) => existsSync(join(base, d, 'bin/postgres')))
    .sort((a, b) => Number(a) - Number(b))
    .pop();
  return v === undefined ? undefined : join(base, v, 'bin');
}

test("database.yaml's TLS, pg_hba and password steps, run for real: the app hosts' URL (verify-full + db-ca.crt) connects; without TLS, with another certificate or password it does not", {
  timeout: 90_000,
}, async (t) => {
  const bin = pgBin();
  if (process.getuid?.() !== 0 || bin === undefined || !has('openssl') || spawnSync('id', ['postgres']).status !== 0 || spawnSync('/usr/bin/python3', ['-c', 'import yaml']).status !== 0) {
    t.skip('needs root, PostgreSQL server binaries, a postgres user, openssl and python3-yaml');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-db-tls-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const tls = join(dir, 'tls');
  const asPostgres = (cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    spawnSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args], { encoding: 'utf8', cwd: '/', input: opts.input, env: { ...process.env, PATH, ...opts.env } });
  t.after(() => {
    asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  // The database's "private address" (the certificate is issued for it; 'localhost' is listened on too).
  const DB_ADDRESS = '127.0.0.2';
  const sh = (script: string, env: Record<string, string>) => {
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', env: { ...process.env, PATH, ...env } });
    assert.equal(r.status, 0, `${script}\n${r.stderr}`);
    return r.stdout;
  };

  // The certificate, exactly as the script makes it, for the address the clients connect to.
  sh(
    `install -d -m 0755 "$tls"\n${scriptPart('database.yaml', '/usr/local/sbin/polarity-db-install', /\(umask 077; openssl req[^)]*\)/)}\nchown postgres:postgres "$tls/server.key"; chmod 0600 "$tls/server.key"; chmod 0644 "$tls/server.crt"`,
    { tls, LISTEN_ADDRESS: DB_ADDRESS },
  );
  // A second, unrelated certificate: what a server in the middle would present.
  sh('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=other -addext subjectAltName=IP:127.0.0.2 -keyout "$d/other.key" -out "$d/other.crt" 2>/dev/null', {
    d: dir,
  });

  const run = join(dir, 'run');
  sh('install -d -o postgres -g postgres -m 0700 "$data" "$run"', { data, run });
  const init = asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject', '--no-sync']);
  assert.equal(init.status, 0, init.stderr);
  // The script's settings and its pg_hba line, with this test's address, files and subnet.
  const conf = scriptPart('database.yaml', '/usr/local/sbin/polarity-db-install', /(?<=<<CONF\n)[^]*?(?=\n\s*CONF\n)/).replace(/^\s+/gm, '');
  const hba = /^line="(.*)"$/m.exec(scriptPart('database.yaml', '/usr/local/sbin/polarity-db-install', /^\s*line="hostssl[^\n]*$/m).trim())![1]!;
  const expand = (x: string) => x.replaceAll('$LISTEN_ADDRESS', DB_ADDRESS).replaceAll('$APP_SUBNET', '127.0.0.0/8').replaceAll('$tls', tls);
  writeFileSync(join(data, 'postgresql.conf'), `${readFileSync(join(data, 'postgresql.conf'), 'utf8')}\n${expand(conf)}\nport = ${port}\nunix_socket_directories = '${run}'\n`);
  writeFileSync(join(data, 'pg_hba.conf'), `local all postgres trust\n${expand(hba)}\n`);
  sh('install -o postgres -g postgres -m 0600 /dev/null "$d/postgres.log"', { d: dir });
  const started = asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', 'start']);
  if (started.status !== 0) assert.fail(`${started.stderr}${readFileSync(join(dir, 'postgres.log'), 'utf8')}`);

  // The role and database, with the script's own psql input; the password from the environment.
  const sql = scriptPart('database.yaml', '/usr/local/sbin/polarity-db-install', /(?<=<<'SQL'\n)[^]*?(?=\n\s*SQL\n)/).replace(/^\s+/gm, '');
  const password = 'pw-with/odd&chars';
  const psql = asPostgres(join(bin, 'psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-h', run, '-p', String(port), '-U', 'postgres', '-d', 'postgres'], { input: sql, env: { DB_PASSWORD: password } });
  assert.equal(psql.status, 0, psql.stderr);

  const { default: pg } = await import('pg');
  const url = (query: string, pw = password) => `postgres://polarity:${encodeURIComponent(pw)}@${DB_ADDRESS}:${port}/polarity?${query}`;
  const tryConnect = async (connectionString: string): Promise<string> => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      const r = await client.query<{ ssl: boolean; version: string }>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return `connected ssl=${r.rows[0]!.ssl} ${r.rows[0]!.version}`;
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const good = await tryConnect(url(`sslmode=verify-full&sslrootcert=${tls}/server.crt`));
  assert.match(good, /^connected ssl=true TLSv1\.[23]$/);
  t.diagnostic(`the app hosts' URL form: ${good}`);
  assert.match(await tryConnect(url('sslmode=disable')), /^refused: .*no encryption/, 'without TLS: no pg_hba line matches');
  assert.match(await tryConnect(url(`sslmode=verify-full&sslrootcert=${dir}/other.crt`)), /^refused: .*(self[- ]signed|unable to verify|certificate)/i, 'a certificate from anyone else is refused');
  assert.match(await tryConnect(url(`sslmode=verify-full&sslrootcert=${tls}/server.crt`, 'wrong')), /^refused: .*password authentication failed/, 'SCRAM checks the password');
  const stored = asPostgres(join(bin, 'psql'), [
    '-X',
    '-At',
    '-h',
    run,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-c',
    "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'polarity'",
  ]);
  assert.equal(stored.stdout.trim(), 'SCRAM-SHA-256$', 'the password is stored as a SCRAM verifier');

  // And the app itself, configured with that URL, starts, stores a row, and masks the password.
  const app = await startServer(['--workers', '1'], { DATABASE_URL: url(`sslmode=verify-full&sslrootcert=${tls}/server.crt`), LOG_LEVEL: 'info' });
  t.after(() => app.signal('SIGKILL'));
  const r = await fetch(`${app.url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'over TLS' }) });
  assert.equal(r.status, 200);
  assert.match(app.output(), /history in PostgreSQL postgres:\/\/polarity:\*\*\*@127\.0\.0\.2:\d+\/polarity\?sslmode=verify-full&sslrootcert=/);
  assert.doesNotMatch(app.output(), /odd&chars|odd%26chars/);
});

test("app-host.yaml's firewall, loaded in a network namespace: only the load balancer, the monitoring address and the host itself reach the app port; other ports are untouched", {
  timeout: 60_000,
}, async (t) => {
  if (process.getuid?.() !== 0 || !has('nft') || !has('ip') || spawnSync('/usr/bin/python3', ['-c', 'import yaml']).status !== 0) {
    t.skip('needs root, nft (nftables), ip (iproute2) and python3-yaml');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'polarity-fw-'));
  const script = join(dir, 'polarity-firewall');
  const doc = yamlToJson(deploy('cloud-init/app-host.yaml')) as { write_files: { path: string; content: string }[] };
  writeFileSync(script, doc.write_files.find((w) => w.path === '/usr/local/sbin/polarity-firewall')!.content, { mode: 0o755 });
  writeFileSync(join(dir, 'firewall.env'), 'LB_ADDRESSES="10.79.0.10 fd79::10"\nMONITORING_ADDRESSES="10.79.0.20/32"\n');
  writeFileSync(join(dir, 'env'), 'HOST=10.79.0.2\nPORT=3000\n');
  const env = { ...process.env, PATH, POLARITY_FIREWALL_ENV: join(dir, 'firewall.env'), POLARITY_ENV: join(dir, 'env') };
  const printed = spawnSync(script, ['--print'], { encoding: 'utf8', env });
  assert.equal(printed.status, 0, printed.stderr);
  const rules = printed.stdout;
  writeFileSync(join(dir, 'polarity.nft'), rules);
  assert.match(rules, /ip saddr \{ 10\.79\.0\.10,10\.79\.0\.20\/32 \} tcp dport 3000 accept/);
  assert.match(rules, /ip6 saddr \{ fd79::10 \} tcp dport 3000 accept/);
  assert.match(rules, /tcp dport 3000 counter drop/);
  writeFileSync(join(dir, 'bad.env'), 'LB_ADDRESSES="10.0.0.1; flush ruleset"\n');
  assert.equal(spawnSync(script, ['--print'], { env: { ...env, POLARITY_FIREWALL_ENV: join(dir, 'bad.env') } }).status, 2, 'refuses what is not an address');

  // Two namespaces on one veth pair: "app" (10.79.0.2) with the ruleset, "net" with the load
  // balancer's, the monitoring system's and a stranger's addresses.
  const tag = `polfw${process.pid % 100000}`;
  const ns = { app: `${tag}-app`, net: `${tag}-net` };
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8', env: { ...process.env, PATH } });
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  t.after(() => {
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n], { env: { ...process.env, PATH } });
    rmSync(dir, { recursive: true, force: true });
  });
  ip('netns', 'add', ns.app);
  ip('netns', 'add', ns.net);
  ip('-n', ns.app, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.net);
  for (const [n, addrs] of [
    [ns.app, ['10.79.0.2/24', 'fd79::2/64']],
    [ns.net, ['10.79.0.10/24', '10.79.0.20/24', '10.79.0.66/24', 'fd79::10/64', 'fd79::66/64']],
  ] as const) {
    for (const a of addrs) ip('-n', n, 'addr', 'add', a, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : []));
    ip('-n', n, 'link', 'set', 'lo', 'up');
    ip('-n', n, 'link', 'set', 'eth0', 'up');
  }
  const check = spawnSync('ip', ['netns', 'exec', ns.app, 'nft', '-c', '-f', join(dir, 'polarity.nft')], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(check.status, 0, `nft -c: ${check.stderr}`);
  const load = spawnSync('ip', ['netns', 'exec', ns.app, 'nft', '-f', join(dir, 'polarity.nft')], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(load.status, 0, `nft -f: ${load.stderr}`);
  // Loading it again replaces the table (the script runs on every install).
  assert.equal(spawnSync('ip', ['netns', 'exec', ns.app, 'nft', '-f', join(dir, 'polarity.nft')], { env: { ...process.env, PATH } }).status, 0);

  // Listeners on the app port and on another port (think ssh), in the app namespace.
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.app,
      process.execPath,
      '-e',
      "const net = require('node:net'); for (const p of [3000, 2222]) net.createServer((s) => s.end('hi')).listen(p, '::'); setTimeout(() => console.log('up'), 200)",
    ],
    { env: { ...process.env, PATH }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => server.kill('SIGKILL'));
  await new Promise((resolve) => server.stdout.once('data', resolve));
  /** 'open' or 'filtered', connecting from `from` inside namespace `n` (1 s: a drop never answers). */
  const probe = (n: string, from: string, to: string, port: number): string => {
    const js = `const s = require('node:net').connect({ host: ${JSON.stringify(to)}, port: ${port}, localAddress: ${JSON.stringify(from)} }); s.setTimeout(1000, () => { console.log('filtered'); process.exit(0); }); s.on('data', () => { console.log('open'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    return spawnSync('ip', ['netns', 'exec', n, process.execPath, '-e', js], { encoding: 'utf8', env: { ...process.env, PATH } }).stdout.trim();
  };
  const results = {
    lb: probe(ns.net, '10.79.0.10', '10.79.0.2', 3000),
    lbV6: probe(ns.net, 'fd79::10', 'fd79::2', 3000),
    monitoring: probe(ns.net, '10.79.0.20', '10.79.0.2', 3000),
    stranger: probe(ns.net, '10.79.0.66', '10.79.0.2', 3000),
    strangerV6: probe(ns.net, 'fd79::66', 'fd79::2', 3000),
    strangerOtherPort: probe(ns.net, '10.79.0.66', '10.79.0.2', 2222),
    hostItself: probe(ns.app, '10.79.0.2', '10.79.0.2', 3000),
  };
  assert.deepEqual(results, { lb: 'open', lbV6: 'open', monitoring: 'open', stranger: 'filtered', strangerV6: 'filtered', strangerOtherPort: 'open', hostItself: 'open' });
});

/** deploy/env.example as systemd reads it (KEY=VALUE, double quotes removed). */
function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

test('env.example: every variable is one the app reads and is explained; it binds the private address, trusts the load balancer, requires TLS', async () => {
  const text = readFileSync(deploy('env.example'), 'utf8');
  const known = new Set([...readFileSync(join(ROOT, 'src/config.ts'), 'utf8').matchAll(/env: '([A-Z_]+)'/g)].map((m) => m[1]!));
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = /^#?([A-Z][A-Z_]+)=/.exec(line);
    if (!m) continue;
    assert.ok(known.has(m[1]!), `${m[1]} is read by src/config.ts`);
    let j = i - 1;
    while (j >= 0 && /^#?[A-Z][A-Z_]+=/.test(lines[j]!)) j--;
    assert.match(lines[j] ?? '', /^# \S/, `${m[1]} has a comment above it`);
  }
  const env = envFile(text);
  assert.ok(env['HOST'] && !['0.0.0.0', '::'].includes(env['HOST']), 'HOST is a specific address');
  assert.ok(env['TRUST_PROXY'], 'TRUST_PROXY is set');
  assert.match(env['DATABASE_URL'] ?? '', /^postgres:\/\/polarity:[^@]+@[^/]+\/polarity\?sslmode=verify-full&sslrootcert=\/etc\/polarity\/db-ca\.crt$/);
  // The app takes the file as it is; the start-up log masks the password.
  const { describeDatabase, loadConfig } = await import('../../src/config.js');
  const config = loadConfig(env, []);
  assert.equal(config.host, env['HOST']);
  assert.deepEqual(config.trustProxy, [env['TRUST_PROXY']]);
  assert.doesNotMatch(describeDatabase(config), /FILL-IN-PASSWORD/);
  // The unit's install line keeps it root's alone.
  assert.match(readFileSync(deploy('systemd/polarity.service'), 'utf8'), /install -m 0600 -o root -g root deploy\/env\.example \/etc\/polarity\/env/);
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
