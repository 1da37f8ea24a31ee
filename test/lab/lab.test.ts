// The lab's pieces that need no root: the cleanup stack, the readiness rule, /proc parsing and the
// renderers deploy/local-cluster and `plan calibrate` share (checked by nginx -t where nginx is).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CleanupStack, withCleanup } from '../../src/lab/cleanup.js';
import { Interrupted } from '../../src/lab/errors.js';
import { renderNginxMain } from '../../src/lab/nginx.js';
import { renderPgHba, renderPostgresConf } from '../../src/lab/postgres.js';
import { cpuSecondsBetween, readStat } from '../../src/lab/proc.js';
import { listeningUrl, serve } from '../../src/lab/serve.js';
import { ROOT, tempDir } from '../helpers.js';

test('cleanup stack: undone newest first; a step undone early is not undone again; a failing step does not stop the others', async () => {
  const done: string[] = [];
  const logged: string[] = [];
  const stack = new CleanupStack((l) => logged.push(l));
  stack.defer('a', () => void done.push('a'));
  const early = stack.defer('b', () => void done.push('b'));
  stack.defer('c', () => {
    throw new Error('c broke');
  });
  stack.defer('d', async () => void done.push('d'));
  await early();
  assert.deepEqual(done, ['b']);
  await stack.unwind();
  assert.deepEqual(done, ['b', 'd', 'a']);
  assert.deepEqual(logged, ['cleanup: c: c broke']);
  await stack.unwind();
  assert.deepEqual(done, ['b', 'd', 'a'], 'nothing is undone twice');
});

test('withCleanup: unwinds after the body returns and after it throws', async () => {
  const done: string[] = [];
  assert.equal(await withCleanup(async (s) => (s.defer('x', () => void done.push('x')), 42)), 42);
  await assert.rejects(
    withCleanup(async (s) => {
      s.defer('y', () => void done.push('y'));
      throw new Error('failed');
    }),
    /failed/,
  );
  assert.deepEqual(done, ['x', 'y']);
});

test('withCleanup: SIGTERM aborts the run, unwinds, and rejects with Interrupted; the process lives on', async () => {
  const done: string[] = [];
  let seen: AbortSignal | undefined;
  const run = withCleanup(
    async (s) => {
      seen = s.signal;
      s.defer('server', () => void done.push('server'));
      await new Promise((r) => setTimeout(r, 5000)); // a long measurement
      return 'finished';
    },
    { signals: true },
  );
  setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Interrupted && err.signal === 'SIGTERM', String(err));
  assert.deepEqual(done, ['server']);
  assert.equal(seen?.aborted, true);
  assert.equal(process.listenerCount('SIGTERM'), 0, 'its handlers are removed');
});

test('readiness: the url of the JSON "is listening" line, nothing from other lines', () => {
  const line = JSON.stringify({ level: 30, url: 'http://127.0.0.1:40747/', msg: 'Polarity 0.1.0 is listening on http://127.0.0.1:40747/ (2 workers, history in SQLite h.db)' });
  assert.equal(listeningUrl(`{"level":40,"msg":"store is slow"}\n${line}\n`), 'http://127.0.0.1:40747');
  assert.equal(listeningUrl('Polarity is listening on http://x:1/ (not JSON)\n'), undefined);
  assert.equal(listeningUrl(JSON.stringify({ msg: 'a text that is listening', url: 'http://x:1/' })), undefined);
  assert.equal(listeningUrl(line.slice(0, 40)), undefined, 'a line not complete yet');
});

test('serve: polarity serve on port 0, ready on its listening line; stop undoes it', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'polarity-lab-serve-');
  await withCleanup(async (stack) => {
    const app = await serve(stack, { name: 'test app', args: ['--workers', '1', '--db', join(dir, 'h.db')], home: dir });
    assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
    await app.stop();
    assert.notEqual(await app.exited, undefined);
  });
  await assert.rejects(
    withCleanup((stack) => serve(stack, { name: 'broken app', args: ['--workers', '1', '--no-such-flag'], home: dir, timeoutS: 20 })),
    /broken app did not start \(exited/,
  );
});

test('/proc: a command name with spaces and parentheses is read whole; CPU deltas count exited processes out', (t) => {
  const dir = tempDir(t, 'polarity-lab-proc-');
  const file = join(dir, 'stat');
  // pid (comm) state ppid … utime(14) stime(15) cutime(16) cstime(17) …
  writeFileSync(file, '4242 (a (b) c) S 7 0 0 0 -1 0 0 0 0 0 120 30 5 1 20 0 1 0 100 0 0\n');
  const s = readStat(file)!;
  assert.deepEqual({ pid: s.pid, ppid: s.ppid, comm: s.comm, own: s.own, ticks: s.ticks }, { pid: 4242, ppid: 7, comm: 'a (b) c', own: 150, ticks: 156 });
  assert.equal(readStat(join(dir, 'gone')), undefined);
  // 1: +50 ticks; 2: born during the run (+30); 3: exited (its ticks moved to its parent's cutime, here 1's)
  assert.equal(
    cpuSecondsBetween(
      new Map([
        [1, 100],
        [3, 40],
      ]),
      new Map([
        [1, 190],
        [2, 30],
      ]),
    ),
    (90 + 30 - 40) / 100,
  );
});

test('renderers: PostgreSQL settings and pg_hba, and the nginx main file (nginx -t where nginx is installed)', (t) => {
  const conf = renderPostgresConf({ by: 'test', listen: '10.77.9.30', port: 5432, socketDir: '/run/x', sharedBuffersMiB: 64 });
  assert.match(conf, /^listen_addresses = '10\.77\.9\.30'$/m);
  assert.match(conf, /^shared_buffers = 64MB$/m);
  assert.match(conf, /^unix_socket_directories = '\/run\/x'$/m);
  assert.equal(renderPgHba({ database: 'polarity', cidr: '10.77.9.0/24' }), 'local all postgres trust\nhost polarity polarity 10.77.9.0/24 trust\n');
  const dir = tempDir(t, 'polarity-lab-nginx-');
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'site.conf'), 'server { listen 127.0.0.1:1; location / { return 204; } }\n');
  const main = renderNginxMain({ dir, workerProcesses: 2, include: join(dir, 'site.conf') });
  assert.match(main, /^worker_processes 2;$/m);
  assert.doesNotMatch(main, /^user /m, 'no user line unless asked');
  assert.match(renderNginxMain({ dir, user: 'www-data', workerProcesses: 'auto', include: 'x' }), /^user www-data;\nworker_processes auto;$/m);
  writeFileSync(join(dir, 'nginx.conf'), main);
  const nginx = spawnSync('nginx', ['-t', '-q', '-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${process.env['PATH']}:/usr/sbin` },
  });
  if (nginx.error) return t.skip('nginx not installed');
  assert.equal(nginx.status, 0, nginx.stderr);
});

test('src/lab/cli: the renderers from the command line, a usage error for anything else', () => {
  const cli = join(ROOT, 'dist/src/lab/cli.js');
  const hba = spawnSync(process.execPath, [cli, 'pg-hba', '--database', 'polarity', '--cidr', '10.1.2.0/24'], { encoding: 'utf8' });
  assert.equal(hba.stdout, renderPgHba({ database: 'polarity', cidr: '10.1.2.0/24' }));
  const bad = spawnSync(process.execPath, [cli, 'postgresql-conf', '--by', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--listen is required/);
});
