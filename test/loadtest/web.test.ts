// --web: the live page in a real browser (Debian's chromium driven by playwright-core) while a run
// goes: figures, RPS and per-endpoint p50/p95 charts growing each second, the endpoint table, the
// final report at the end, nothing fetched from anywhere but the load tester; the Stop button stops
// the run. Without /usr/bin/chromium every test here is reported as skipped, with the reason.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { sink, stubServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `chromium not installed at ${CHROMIUM}: live page tests skipped`;

async function browser(t: TestContext): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'polarity-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/** Starts `polarity loadtest … --web 0` and resolves the page's URL once it is printed. */
async function startRun(args: string[]) {
  const out = sink();
  const err = sink();
  const done = runLoadtest([...args, '--web', '0'], { stdout: out.stream, stderr: err.stream });
  for (let i = 0; i < 100 && !/live page: (\S+)/.test(err.text()); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /live page: (\S+)/.exec(err.text())?.[1];
  assert.ok(url?.startsWith('http://127.0.0.1:'), `live page on loopback: ${err.text()}`);
  return { url: url!, done, out };
}

/** Polls `check` (the page's CSP allows no eval, so no waitForFunction) until it holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scenarioFile(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-web-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 's.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'live',
      wait: { min: 0.02, max: 0.05 },
      tasks: [
        { method: 'POST', path: '/analyze', json: { text: 'hi' } },
        { method: 'GET', path: '/history', weight: 2 },
      ],
    }),
  );
  return file;
}

test('the live page shows RPS, failures and p50/p95 per endpoint as the run goes, then the final report', { skip: SKIP }, async (t) => {
  const server = await stubServer(t, (_req, res) => setTimeout(() => res.writeHead(200, { 'content-length': 2 }).end('{}'), 3));
  const context = await browser(t);
  const { url, done, out } = await startRun(['--host', server.url, '-u', '4', '-r', '4', '-t', '4s', '--scenario', await scenarioFile(t), '-q', '--threshold', 'p95<5s', '--max-requests', '5000']);
  const page = await context.newPage();
  const foreign: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(url)) foreign.push(req.url());
  });
  await page.goto(url);
  // Two snapshots at least: the RPS line has two points, and both endpoints have p50 and p95 lines.
  await until('two RPS points', async () => ((await page.getAttribute('#chart-rps polyline[data-series="RPS"]', 'points', { timeout: 100 }).catch(() => null)) ?? '').split(' ').length >= 2);
  const series = await page.$$eval('#chart-pct polyline[data-series]', (ls) => ls.map((l) => l.getAttribute('data-series')));
  assert.deepEqual(series.sort(), ['GET /history p50', 'GET /history p95', 'POST /analyze p50', 'POST /analyze p95']);
  const requests = Number((await page.textContent('#requests'))!.replace(/,/g, ''));
  assert.ok(requests > 0, `requests shown: ${requests}`);
  assert.deepEqual(await page.$$eval('#endpoints tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent)), ['/analyze', '/history', 'Aggregated']);
  assert.equal(await page.textContent('#state'), 'running');
  // The end: the final report (with its thresholds) appears in the page.
  await page.waitForSelector('iframe#report', { timeout: 15_000 });
  const frame = page.frameLocator('iframe#report');
  await frame.locator('#thresholds-verdict').waitFor({ timeout: 5000 });
  assert.match((await frame.locator('#thresholds-verdict').textContent())!, /all 1 held/);
  assert.equal(await page.textContent('#state'), 'finished');
  assert.equal(await done, 0);
  assert.match(out.text(), /Thresholds: all 1 held/);
  assert.deepEqual(foreign, [], 'the page fetched nothing from elsewhere');
});

test('the Stop button on the live page stops the run cleanly', { skip: SKIP }, async (t) => {
  const server = await stubServer(t);
  const context = await browser(t);
  const started = Date.now();
  const { url, done, out } = await startRun(['--host', server.url, '-u', '2', '-r', '2', '-t', '60s', '--scenario', await scenarioFile(t), '-q', '--json', '--max-requests', '20000']);
  const page = await context.newPage();
  await page.goto(url);
  await until('a request counted', async () => Number((await page.textContent('#requests'))!.replace(/,/g, '')) > 0);
  await page.click('#stop');
  assert.equal(await done, 0);
  assert.ok(Date.now() - started < 20_000, 'stopped long before its 60 s');
  const r = JSON.parse(out.text());
  assert.equal(r.stopReason, 'interrupted');
  assert.ok(r.requests > 0);
});
