// The npm package as a user gets it: packed (npm pack, which builds in prepack), installed from the
// tarball into an empty directory with --omit=dev (no compiler, no dev dependencies), and run —
// `polarity-server --version`, `serve` answering POST /analyze and GET /history, `analyze`, and the
// library entries with their types. .ci/run packs the tarball once and passes it in
// POLARITY_TARBALL; without it this test packs its own (that rebuilds dist/src in place).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], opts: { cwd: string; timeout?: number; env?: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (exit ${r.status}, ${r.signal ?? 'no signal'}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function tarball(dir: string): string {
  const given = process.env.POLARITY_TARBALL;
  if (given) {
    assert.ok(existsSync(given), `POLARITY_TARBALL=${given} exists`);
    return given;
  }
  const out = run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, timeout: 300_000 });
  const packed = (JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[])[0]!;
  return join(dir, packed.filename);
}

test('the packed tarball installs with --omit=dev into an empty directory and runs: --version, serve, analyze, the library', { timeout: 900_000 }, async (t) => {
  const dir = tempDir(t, 'polarity-package-');
  const file = tarball(dir);
  assert.match(file, new RegExp(`${pkg.name}-${pkg.version.replaceAll('.', '\\.')}\\.tgz$`));

  // What is in it: built JavaScript, declarations, the built page, the runtime data; no sources or tests.
  const entries = run('tar', ['-tzf', file], { cwd: dir }).split('\n').filter(Boolean);
  for (const f of [
    'bin/polarity.js',
    'dist/src/cli.js',
    'dist/src/server.js',
    'dist/src/lib/engine.js',
    'dist/src/lib/engine.d.ts',
    'dist/src/lib/server.d.ts',
    'dist/web/index.html',
    'LICENSE',
    'README.md',
    'CHANGELOG.md',
    'deploy/env.example',
    'deploy/systemd/polarity.service',
    'deploy/cloud-init/app-host.yaml',
    'deploy/nginx/render-config',
    'prices/digitalocean.json',
    'src/plan/calibration-default.json',
    'src/engine/LEXICON-LICENSE',
  ]) {
    assert.ok(entries.includes(`package/${f}`), `the tarball holds ${f}`);
  }
  for (const e of entries) {
    assert.doesNotMatch(e, /^package\/(test|web\/src|scripts|dist\/test|dist\/bench|node_modules)\//, e);
    assert.doesNotMatch(e, /(?<!\.d)\.ts$|\.map$/, `${e}: no TypeScript source or source map`);
  }
  t.diagnostic(`tarball ${file}: ${entries.length} files`);

  // Installed globally into an empty prefix, as a host would (`npm install -g ./polarity-server-X.tgz`).
  const prefix = join(dir, 'prefix');
  const started = performance.now();
  run(npm, ['install', '--global', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', file], { cwd: dir, timeout: 600_000 });
  t.diagnostic(`npm install -g --omit=dev: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const installed = join(prefix, 'lib', 'node_modules', pkg.name);
  for (const dev of ['typescript', 'esbuild', '@biomejs/biome', 'playwright-core']) assert.ok(!existsSync(join(installed, 'node_modules', dev)), `no dev dependency ${dev}`);
  const bin = (name: string) => join(prefix, 'bin', name);

  // --version, from both commands.
  for (const name of ['polarity-server', 'polarity']) assert.equal(run(bin(name), ['--version'], { cwd: dir }), `${pkg.version}\n`);

  // analyze: the API's field names.
  const analyzed = JSON.parse(run(bin('polarity-server'), ['analyze', 'I love it'], { cwd: dir })) as Record<string, unknown>;
  assert.equal(analyzed.sentiment, 0.5);
  assert.equal(analyzed.label, 'positive');

  // serve: the page, the API, the docs, on a fresh SQLite file.
  const server = spawn(bin('polarity-server'), ['serve', '--port', '0', '--workers', '1', '--db', join(dir, 'history.db')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  let out = '';
  server.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  server.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const deadline = performance.now() + 30_000;
  let url: string | undefined;
  while (url === undefined && server.exitCode === null && performance.now() < deadline) {
    url = /listening on (http:\/\/\S+?)\/? \(/.exec(out)?.[1];
    if (url === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, `the installed server listens:\n${out}`);
  const posted = await fetch(`${url}/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'What a great package' }) });
  assert.equal(posted.status, 200);
  const row = (await posted.json()) as { id: number; sentiment: number };
  assert.equal(row.sentiment, 0.8);
  const history = (await (await fetch(`${url}/history`)).json()) as { id: number; text: string }[];
  assert.deepEqual(
    history.map((h) => [h.id, h.text]),
    [[row.id, 'What a great package']],
  );
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200, 'the built web page is in the package');
  assert.match(await page.text(), /<html/);
  assert.equal((await fetch(`${url}/docs`)).status, 200);
  server.kill('SIGINT');
  assert.equal(await exited, 0, out);
  for (const line of out.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), `stdout is JSON lines: ${line}`);

  // The library entries, from a script beside the installed package.
  const lib = join(prefix, 'lib');
  writeFileSync(
    join(lib, 'use.mjs'),
    `import { score, analyze, ENGINE_NAMES, VERSION } from '${pkg.name}/engine';
import { loadConfig, serve, buildApp } from '${pkg.name}/server';
console.log(JSON.stringify({ vader: score('What a great day :)', 'vader').label, polarity: analyze('I love it').polarity, engines: ENGINE_NAMES, version: VERSION, serve: typeof serve, buildApp: typeof buildApp, port: loadConfig({}, ['--port', '8081']).port }));
`,
  );
  assert.deepEqual(JSON.parse(run(process.execPath, ['use.mjs'], { cwd: lib })), {
    vader: 'positive',
    polarity: 0.5,
    engines: ['textblob', 'vader', 'blend'],
    version: pkg.version,
    serve: 'function',
    buildApp: 'function',
    port: 8081,
  });

  // Its types: a TypeScript consumer type-checks against the shipped declarations (and a wrong call does not).
  writeFileSync(
    join(lib, 'use.ts'),
    `import { score, type EngineName, type Score } from '${pkg.name}/engine';
const engine: EngineName = 'blend';
const s: Score = score('fine', engine);
const n: number = s.sentiment;
// @ts-expect-error: not an engine
score('fine', 'afinn');
export { n };
`,
  );
  writeFileSync(
    join(lib, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }),
  );
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(lib, 'tsconfig.json')], { cwd: lib });
});
