// The web UI in a real browser (Debian's chromium driven by playwright-core) against a real server
// on a temporary SQLite file. Needs the built UI: `npm run build` (node scripts/build-web.mjs).
// Without /usr/bin/chromium every test here is reported as skipped, with the reason.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { WEB_DIR } from '../../src/http/web.js';
import { SqliteHistoryStore } from '../../src/store/sqlite.js';
import { testConfig } from '../../src/config.js';
import { analyze } from '../../src/engine/index.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = `chromium not installed at ${CHROMIUM}: browser tests skipped`;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const SEEDED = 45; // more than two pages of 20
const SCRIPT_TEXT = '<script>alert(1)</script>';
const LONG_TEXT = 'This seeded review is long. '.repeat(20) + 'The end.';

let dir: string;
let store: SqliteHistoryStore;
let app: FastifyInstance;
let base: string;
let browser: Browser | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  assert.ok(existsSync(join(WEB_DIR, 'index.html')), `${WEB_DIR}index.html is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'polarity-ui-'));
  store = new SqliteHistoryStore(join(dir, 'h.db'));
  const rows = Array.from({ length: SEEDED }, (_, i) => {
    const n = i + 1;
    const text = n === 40 ? SCRIPT_TEXT : n === 44 ? LONG_TEXT : `Seeded row ${n}: a good day`;
    const r = analyze(text);
    return { text, sentiment: r.polarity, subjectivity: r.subjectivity, createdAt: new Date(Date.UTC(2025, 0, 1, 9, n)) };
  });
  await store.insert(rows);
  app = await buildApp({ config: testConfig(), store, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Session {
  page: Page;
  context: BrowserContext;
  /** Console errors (CSP violations are reported there), uncaught page errors, and dialogs. */
  problems: string[];
  dialogs: string[];
}

async function open(t: TestContext, options: BrowserContextOptions = {}): Promise<Session> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(10_000);
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(base);
  await page.locator('#history-list li').first().waitFor();
  await page.locator('#live[data-state="live"]').waitFor();
  return { page, context, problems, dialogs };
}

/** A browser test; reported as skipped (never passed) when chromium is missing. */
function browserTest(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, async (t) => {
    if (!browser) {
      t.skip(SKIP);
      return;
    }
    await fn(t);
  });
}

/** The page's own formatting: two decimals, a sign, a real minus. */
function score(n: number): string {
  const abs = Math.abs(n).toFixed(2);
  return abs === '0.00' ? '0.00' : (n > 0 ? '+' : '\u2212') + abs;
}

interface AnalysisJson {
  sentiment: number;
  subjectivity: number;
  label: string;
  id: number;
  assessments: [string[], number, number, string | null][];
}

/** Types `text`, submits with `how`, and returns the server's answer as the page received it. */
async function analyseIn(page: Page, text: string, how: 'click' | 'keys' = 'click'): Promise<AnalysisJson> {
  await page.fill('#text', text);
  const response = page.waitForResponse((r) => r.url().endsWith('/analyze') && r.request().method() === 'POST');
  if (how === 'click') await page.click('#analyze-button');
  else await page.press('#text', 'Control+Enter');
  const json = (await (await response).json()) as AnalysisJson;
  await page.locator('#result [data-testid="score"]').waitFor();
  return json;
}

function itemsWith(page: Page, text: string) {
  return page.locator('#history-list li').filter({ has: page.locator('.item-text', { hasText: text }) });
}

async function historyIds(page: Page): Promise<number[]> {
  return page.locator('#history-list li').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
}

browserTest('a normal load and analysis raise no console error, CSP violation or page error', async (t) => {
  const s = await open(t);
  await analyseIn(s.page, 'I love it');
  await s.page.waitForTimeout(300);
  assert.deepEqual(s.problems, []);
  assert.deepEqual(s.dialogs, []);
  const res = await fetch(base);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'the page is tested under the real CSP');
});

browserTest('analysing shows the score, its label, the scale and the highlighted words', async (t) => {
  const { page } = await open(t);
  const love = await analyseIn(page, 'I love it');
  assert.equal(love.sentiment, 0.5);
  assert.equal(await page.locator('#result [data-testid="score"]').textContent(), '+0.50');
  assert.match((await page.locator('#result [data-testid="label"]').textContent()) ?? '', /Positive/);
  assert.match((await page.locator('#result .subjectivity').textContent()) ?? '', /Subjectivity 0\.60/);
  assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('#result .scale-marker')).getPropertyValue('--at').trim()`), '75%');
  assert.match((await page.locator('#announce').textContent()) ?? '', /Positive, score \+0\.50/);

  const text = 'The soup was NOT good, but the bread was very good! :)';
  const r = await analyseIn(page, text);
  assert.equal(await page.locator('#result [data-testid="score"]').textContent(), score(r.sentiment));
  assert.match((await page.locator('#result [data-testid="label"]').textContent()) ?? '', new RegExp(r.label, 'i'));
  const marks = page.locator('#result mark.hl');
  assert.equal(await marks.count(), r.assessments.length, 'one highlight per assessment');
  const phrases = await marks.evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ''));
  assert.deepEqual(phrases, ['NOT good', 'very good!', ':)']);
  assert.ok(await page.locator('#result mark.hl.neg', { hasText: 'NOT good' }).isVisible());
  assert.equal(await page.locator('#result mark.hl').first().locator('.hl-score').textContent(), ` ${score(r.assessments[0]![1])}`);
  // The highlighted text, without the contribution badges, is exactly what was typed.
  const shown = await page.evaluate(`(() => {
    const copy = document.querySelector('#result .why-text').cloneNode(true);
    copy.querySelectorAll('.hl-score').forEach((b) => b.remove());
    return copy.textContent;
  })()`);
  assert.equal(shown, text);
});

browserTest('assessment words are mapped onto the text case-insensitively, in order, as whole words first', async (t) => {
  const { page } = await open(t);
  const text = 'Goodness! Not GOOD at all.\nVery   Good!! isn\u2019t it :) Good.';
  // A fixed answer, independent of the engine, to pin the mapping itself.
  await page.route('**/analyze', (route) => route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({
      sentiment: 0.1, subjectivity: 0.7, label: 'positive', id: 999_999, createdAt: new Date().toISOString(),
      assessments: [
        [['not', 'good'], -0.35, 0.6, null],
        [['very', 'good', '!', '!'], 1, 0.78, null],
        [['missing'], 0.3, 0.3, null],
        [[':)'], 0.5, 1, 'mood'],
        [['good'], 0.7, 0.6, null],
      ],
    }),
  }));
  await analyseIn(page, text);
  const phrases = await page.locator('#result mark.hl').evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ''));
  assert.deepEqual(phrases, ['Not GOOD', 'Very   Good!!', ':)', 'Good']);
  assert.match((await page.locator('#result .why-list').textContent()) ?? '', /emoticon/);
});

browserTest('a new analysis appears once, at the top of the history', async (t) => {
  const { page } = await open(t);
  const text = `Top of the list ${Date.now()}: wonderful`;
  const r = await analyseIn(page, text);
  await itemsWith(page, text).first().waitFor();
  assert.equal(await page.locator('#history-list li').first().getAttribute('data-id'), String(r.id));
  const item = page.locator('#history-list li').first();
  assert.equal(await item.locator('.item-num').textContent(), score(r.sentiment));
  assert.match((await item.locator('.item-label').textContent()) ?? '', new RegExp(r.label, 'i'));
  assert.ok(await item.locator('time[datetime]').count());
  await page.waitForTimeout(800); // the same row also arrives over the stream
  assert.equal(await itemsWith(page, text).count(), 1, 'deduplicated by id');
});

browserTest('"Load older" pages through the whole history with the cursor, newest first, no duplicates', async (t) => {
  const { page } = await open(t);
  const total = await store.count();
  assert.equal(await page.locator('#history-list li').count(), 20);
  const older = page.locator('#older');
  let pages = 1;
  while (await older.isVisible()) {
    const before = await page.locator('#history-list li').count();
    await older.click();
    await page.locator('#history-list li').nth(before).waitFor();
    pages++;
  }
  const ids = await historyIds(page);
  assert.equal(ids.length, total);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  assert.ok(pages >= 3, `seeded ${SEEDED} rows should take at least 3 pages, took ${pages}`);
  assert.ok(await itemsWith(page, 'Seeded row 1:').count());
  assert.match((await page.locator('#history-status').textContent()) ?? '', /whole history/);
});

browserTest('an analysis posted by another client appears live at the top', async (t) => {
  const { page } = await open(t);
  const text = `From another client ${Date.now()}: terrible`;
  const res = await fetch(new URL('analyze', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  assert.equal(res.status, 200);
  const { id } = (await res.json()) as { id: number };
  await itemsWith(page, text).first().waitFor();
  assert.equal(await page.locator('#history-list li').first().getAttribute('data-id'), String(id));
  await page.waitForTimeout(500);
  assert.equal(await itemsWith(page, text).count(), 1);
});

browserTest('an over-long text shows the server\'s problem detail and keeps the text (also across a reload)', async (t) => {
  const { page } = await open(t);
  const text = 'a'.repeat(20_001);
  await page.fill('#text', text);
  assert.match((await page.locator('#text-count').textContent()) ?? '', /1 over the limit/);
  const response = page.waitForResponse((r) => r.url().endsWith('/analyze'));
  await page.click('#analyze-button');
  assert.equal((await response).status(), 422);
  await page.locator('#error').waitFor();
  assert.match((await page.locator('#error').textContent()) ?? '', /text has 20001 characters; the limit is 20000/);
  assert.equal(await page.locator('#error').getAttribute('role'), 'alert');
  assert.equal(await page.inputValue('#text'), text);
  await page.reload();
  assert.equal(await page.inputValue('#text'), text, 'the draft is restored from localStorage');
});

browserTest('an unreachable server gives a clear message and keeps the text', async (t) => {
  const { page } = await open(t);
  await page.route('**/analyze', (route) => route.abort('connectionrefused'));
  await page.fill('#text', 'Nobody is listening');
  await page.click('#analyze-button');
  await page.locator('#error').waitFor();
  assert.match((await page.locator('#error').textContent()) ?? '', /Could not reach the server/);
  assert.equal(await page.inputValue('#text'), 'Nobody is listening');
  assert.equal(await page.locator('#analyze-button').textContent(), 'Analyze');
});

browserTest('stored and typed markup is shown as text and never runs', async (t) => {
  const s = await open(t);
  const { page } = s;
  const older = page.locator('#older');
  while (!(await itemsWith(page, SCRIPT_TEXT).count()) && (await older.isVisible())) await older.click();
  assert.equal(await itemsWith(page, SCRIPT_TEXT).locator('.item-text').textContent(), SCRIPT_TEXT);
  const typed = '<img src=x onerror=alert(2)> is a <b>nice</b> trick, good';
  await analyseIn(page, typed);
  await itemsWith(page, typed).first().waitFor();
  assert.equal(await page.locator('#result img, #history-list img, #result b, #history-list b, #history-list script').count(), 0);
  assert.match((await page.locator('#result .why-text').textContent()) ?? '', /<img src=x onerror=alert\(2\)>/);
  await page.waitForTimeout(300);
  assert.deepEqual(s.dialogs, []);
});

browserTest('Ctrl+Enter analyses from the keyboard', async (t) => {
  const { page } = await open(t);
  await page.focus('#text');
  const r = await analyseIn(page, 'What a lovely keyboard shortcut', 'keys');
  assert.equal(await page.locator('#result [data-testid="score"]').textContent(), score(r.sentiment));
  assert.ok(r.id > 0);
});

browserTest('long texts are shortened in the history behind a "Show more" toggle', async (t) => {
  const { page } = await open(t);
  const item = itemsWith(page, 'This seeded review is long.').first();
  const toggle = item.locator('button.more');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  const short = (await item.locator('.item-text').textContent()) ?? '';
  assert.ok(short.endsWith('\u2026') && short.length < LONG_TEXT.length);
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await item.locator('.item-text').textContent(), LONG_TEXT);
  await toggle.press('Enter');
  assert.equal(await item.locator('.item-text').textContent(), short);
});

browserTest('two columns on a desktop, stacked at 360 px without horizontal scrolling', async (t) => {
  const desktop = await open(t);
  const [form, hist] = await desktop.page.locator('main > section').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number }));
  assert.ok(hist!.x > form!.x + 300 && Math.abs(hist!.y - form!.y) < 2, 'side by side');

  const phone = await open(t, { viewport: { width: 360, height: 740 } });
  await analyseIn(phone.page, 'It looks fine on a small screen, not bad at all');
  const [f, h] = await phone.page.locator('main > section').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number }));
  assert.ok(h!.y > f!.y && Math.abs(h!.x - f!.x) < 2, 'stacked');
  assert.ok(f!.width <= 360);
  assert.equal(await phone.page.evaluate('document.documentElement.scrollWidth'), 360, 'no horizontal scrolling');
});

browserTest('axe-core reports no serious or critical accessibility violation', async (t) => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      // bypassCSP only here, so axe can be injected; every other test runs under the real CSP.
      const { page } = await open(t, { bypassCSP: true, viewport, colorScheme });
      await analyseIn(page, 'The soup was not good, but the bread was very good! :)');
      await page.fill('#text', 'x'.repeat(20_001)); // the counter's over-limit state
      await page.click('#analyze-button');
      await page.locator('#error').waitFor();
      await page.addScriptTag({ path: AXE });
      const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`)) as { impact: string }[];
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(serious, [], `${viewport.width}px ${colorScheme}: ${JSON.stringify(serious, null, 1)}`);
    }
  }
});
