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
import { testConfig } from '../helpers.js';
import { score as scoreWith, type EngineName } from '../../src/engine/engines.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = `chromium not installed at ${CHROMIUM}: browser tests skipped`;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const SEEDED = 45; // more than two pages of 20
const SCRIPT_TEXT = '<script>alert(1)</script>';
const LONG_TEXT = 'This seeded review is long. '.repeat(20) + 'The end.';
/** Seeded rows scored by another engine than TextBlob (both on the first page). */
const SEEDED_ENGINE: Readonly<Record<number, EngineName>> = { 41: 'vader', 42: 'blend' };
const ENGINES = [
  { engine: 'textblob', title: 'TextBlob' },
  { engine: 'vader', title: 'VADER' },
  { engine: 'blend', title: 'Blend' },
] as const;

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
    const engine = SEEDED_ENGINE[n] ?? 'textblob';
    const r = scoreWith(text, engine);
    return { text, sentiment: r.sentiment, subjectivity: r.subjectivity, engine, createdAt: new Date(Date.UTC(2025, 0, 1, 9, n)) };
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

type Span = [offset: number, length: number];
type TextBlobAssessment = [string[], number, number, string | null, Span[]];
interface WordValence {
  word: string;
  offset: number;
  length: number;
  valence: number;
}

interface AnalysisJson {
  sentiment: number;
  subjectivity: number;
  label: string;
  engine: EngineName;
  id: number;
  vader?: { compound: number; pos: number; neu: number; neg: number };
  assessments: (TextBlobAssessment | WordValence)[];
  contributions?: { feature: string; value: number; contribution: number }[];
  sentences: { offset: number; length: number; sentiment: number; label: string; engine: EngineName }[];
}

/**
 * Types `text`, picks `engine` (if given), submits with `how`, and returns the server's answer as the
 * page received it, and the body the page sent.
 */
async function analyseIn(page: Page, text: string, how: 'click' | 'keys' = 'click', engine?: EngineName): Promise<AnalysisJson & { sent: Record<string, unknown> }> {
  await page.fill('#text', text);
  if (engine) await page.check(`input[name="engine"][value="${engine}"]`);
  const response = page.waitForResponse((r) => r.url().endsWith('/analyze') && r.request().method() === 'POST');
  // The previous result (if any) is replaced: wait for this answer's, not the old one's.
  await page.evaluate(`document.getElementById('result').replaceChildren()`);
  if (how === 'click') await page.click('#analyze-button');
  else await page.press('#text', 'Control+Enter');
  const res = await response;
  const json = (await res.json()) as AnalysisJson;
  await page.locator('#result [data-testid="score"]').waitFor();
  return { ...json, sent: JSON.parse(res.request().postData() ?? '{}') as Record<string, unknown> };
}

/** Where the server says each marked thing is: TextBlob from a phrase's first word to its last, VADER each word. */
function expectedMarks(text: string, r: AnalysisJson): { text: string; value: number }[] {
  return r.assessments
    .map((a) => {
      if (Array.isArray(a)) {
        const start = Math.min(...a[4].map(([o]) => o));
        const end = Math.max(...a[4].map(([o, l]) => o + l));
        return { start, text: text.slice(start, end), value: a[1] };
      }
      return { start: a.offset, text: text.slice(a.offset, a.offset + a.length), value: a.valence };
    })
    .sort((x, y) => x.start - y.start)
    .map(({ text: t, value }) => ({ text: t, value }));
}

/** The page's highlights: the marked text (without its number) and the tone class. */
async function shownMarks(page: Page): Promise<{ text: string; tone: string }[]> {
  return page.locator('#result mark.hl').evaluateAll((els) =>
    els.map((e) => ({
      text: e.firstChild?.textContent ?? '',
      tone: ['pos', 'neg', 'neu'].find((c) => e.classList.contains(c)) ?? '',
    })),
  );
}

function toneOf(n: number): string {
  return n > 0 ? 'pos' : n < 0 ? 'neg' : 'neu';
}

/** The text of the "Why" box without the numbers beside the marks: must be exactly what was typed. */
async function whyText(page: Page): Promise<string> {
  return (await page.evaluate(`(() => {
    const copy = document.querySelector('#result .why-text').cloneNode(true);
    copy.querySelectorAll('.hl-score').forEach((b) => b.remove());
    return copy.textContent;
  })()`)) as string;
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
  assert.deepEqual(love.sent, { text: 'I love it', engine: 'textblob', explain: true, sentences: true }, 'TextBlob unless another engine is picked');
  assert.equal(await page.locator('#result [data-testid="engine"]').textContent(), 'TextBlob');
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
  assert.equal(await page.locator('#result mark.hl').first().locator('.hl-score').textContent(), ` ${score((r.assessments[0] as TextBlobAssessment)[1])}`);
  assert.match((await page.locator('#result').textContent()) ?? '', /average of these 3 phrases/);
  // The highlighted text, without the contribution badges, is exactly what was typed.
  assert.equal(await whyText(page), text);
});

browserTest("highlights are cut from the server's offsets, and a wrong answer loses no text", async (t) => {
  const s = await open(t);
  const { page } = s;
  const text = 'Goodness! Not GOOD at all.\nVery   Good!! isn\u2019t it :) Good. \u{1F600}';
  // A fixed answer, independent of the engine, to pin the mapping itself: the words are found
  // only by their offsets (lower-cased words would not be searched for), one span is out of range,
  // one overlaps an earlier one, and one assessment has no span at all.
  const assessments: TextBlobAssessment[] = [
    [
      ['not', 'good'],
      -0.35,
      0.6,
      null,
      [
        [10, 3],
        [14, 4],
      ],
    ],
    [
      ['very', 'good', '!', '!'],
      1,
      0.78,
      null,
      [
        [27, 4],
        [34, 4],
        [38, 1],
        [39, 1],
      ],
    ],
    [['good'], 0.7, 0.6, null, [[35, 3]]], // overlaps "Very   Good!!": not marked, still listed
    [['missing'], 0.3, 0.3, null, []],
    [[':)'], 0.5, 1, 'mood', [[50, 2]]],
    [['good'], 0.7, 0.6, null, [[53, 4]]],
    [['beyond'], 0.1, 0.1, null, [[59, 40]]], // clipped to the emoji at the end
    [['nowhere'], 0.1, 0.1, null, [[500, 3]]],
  ];
  await page.route('**/analyze', (route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        sentiment: 0.1,
        subjectivity: 0.7,
        label: 'positive',
        engine: 'textblob',
        id: 999_999,
        createdAt: new Date().toISOString(),
        assessments,
        sentences: [
          { offset: 0, length: 9, sentiment: 0, subjectivity: 0, label: 'neutral', engine: 'textblob' },
          { offset: 10, length: 999, sentiment: 0.2, subjectivity: 0.6, label: 'positive', engine: 'textblob' },
        ],
      }),
    }),
  );
  await analyseIn(page, text);
  assert.deepEqual(
    (await shownMarks(page)).map((m) => m.text),
    ['Not GOOD', 'Very   Good!!', ':)', 'Good', '\u{1F600}'],
  );
  assert.equal(await whyText(page), text, 'joining the segments gives back the text');
  const chips = await page.locator('#result .why-list li').allTextContents();
  assert.equal(chips.length, assessments.length, 'every assessment is listed, marked or not');
  assert.match(chips[3]!, /missing/, 'an assessment without a span is listed by its words');
  assert.match(chips[4]!, /emoticon/);
  const sentences = await page.locator('#result [data-testid="sentences"] li').allTextContents();
  assert.equal(sentences.length, 2);
  assert.match(sentences[1]!, /^\+0\.20.*Positive.*Not GOOD at all\. Very Good!!/, 'a sentence running past the end is clipped');
  await page.waitForTimeout(200);
  assert.deepEqual(s.problems, []);
});

browserTest('each engine: picked, sent, shown with its score, label, reasons, sentences and history badge', async (t) => {
  const s = await open(t);
  const { page } = s;
  const text = 'The food was great. The service was not good.';
  for (const { engine, title } of ENGINES) {
    const r = await analyseIn(page, text, 'click', engine);
    assert.equal(r.sent['engine'], engine, `${engine}: the picked engine is sent`);
    assert.equal(r.engine, engine);
    const result = page.locator('#result');
    assert.equal(await result.locator('[data-testid="engine"]').textContent(), title);
    assert.equal(await result.locator('[data-testid="score"]').textContent(), score(r.sentiment));
    // The server's label (each engine has its own neutral band), and the score coloured by it.
    assert.match((await result.locator('[data-testid="label"]').textContent()) ?? '', new RegExp(r.label, 'i'));
    const tone = r.label === 'positive' ? 'pos' : r.label === 'negative' ? 'neg' : 'neu';
    assert.ok(await result.locator(`.score.${tone}`).count(), `${engine}: coloured by its label`);

    // The marks are exactly the server's spans, in text order, toned by their own sign.
    const want = expectedMarks(text, r);
    assert.ok(want.length > 0, `${engine}: something moved the score`);
    assert.deepEqual(
      await shownMarks(page),
      want.map((m) => ({ text: m.text, tone: toneOf(m.value) })),
      `${engine}: marks by offsets`,
    );
    assert.equal(await whyText(page), text);

    // Two sentences, each with its own score and label.
    assert.equal(r.sentences.length, 2);
    const rows = result.locator('[data-testid="sentences"] li');
    assert.equal(await rows.count(), 2);
    for (const [i, sentence] of r.sentences.entries()) {
      const shown = (await rows.nth(i).textContent()) ?? '';
      assert.ok(shown.startsWith(score(sentence.sentiment)), `${engine}: sentence ${i} score in ${shown}`);
      assert.match(shown, new RegExp(sentence.label, 'i'));
      assert.ok(shown.endsWith(text.slice(sentence.offset, sentence.offset + sentence.length).trim()), `${engine}: sentence ${i} text in ${shown}`);
    }

    if (engine === 'textblob') {
      assert.deepEqual(
        want.map((m) => m.text),
        ['great', 'not good'],
      );
      assert.ok(r.sentences[0]!.sentiment > 0 && r.sentences[1]!.sentiment < 0, 'opposite signs');
      assert.match((await result.textContent()) ?? '', /average of these 2 phrases/);
    } else if (engine === 'vader') {
      assert.ok(r.vader);
      const shares = (await result.locator('[data-testid="vader-shares"]').textContent()) ?? '';
      assert.match(shares, new RegExp(`positive ${r.vader.pos.toFixed(2)}.*neutral ${r.vader.neu.toFixed(2)}.*negative ${r.vader.neg.toFixed(2)}`));
      assert.ok((await result.locator('.why-list li').count()) === want.length, 'one chip per word');
    } else {
      assert.ok(r.contributions && r.contributions.length > 0);
      const chips = result.locator('.contributions li');
      assert.equal(await chips.count(), Math.min(4, r.contributions.length));
      const first = (await chips.first().textContent()) ?? '';
      assert.ok(first.startsWith(score(r.contributions[0]!.contribution)), `largest contribution first: ${first}`);
      assert.doesNotMatch((await chips.allTextContents()).join(' '), /_/, 'feature names are made readable');
    }

    // The history row: this engine's badge, coloured by the server's label.
    const item = page.locator(`#history-list li[data-id="${r.id}"]`);
    await item.waitFor();
    assert.equal(await item.locator('.engine-badge').textContent(), title);
    assert.ok(await item.locator(`.item-score.${tone}`).count());
    assert.match((await page.locator('#announce').textContent()) ?? '', new RegExp(`by ${title}`));
  }
  await page.waitForTimeout(300);
  assert.deepEqual(s.problems, []);
});

browserTest('the engine picker is a keyboard radio group, and the choice is kept across reloads', async (t) => {
  const { page } = await open(t);
  const checked = () => page.locator('input[name="engine"]:checked').getAttribute('value');
  assert.equal(await checked(), 'textblob', 'TextBlob by default');
  const vaderLabel = await page.locator('label.engine', { has: page.locator('input[value="vader"]') }).textContent();
  assert.equal(vaderLabel?.replace(/\s+/g, ' ').trim(), 'VADER Tuned for social media: emoji, capitals, \u201Cbut\u201D', 'a name and a hint');
  await page.focus('input[name="engine"][value="textblob"]');
  await page.keyboard.press('ArrowRight');
  assert.equal(await checked(), 'vader');
  await page.keyboard.press('ArrowRight');
  assert.equal(await checked(), 'blend');
  await page.reload();
  assert.equal(await checked(), 'blend', 'kept in localStorage');
  await page.evaluate(`localStorage.setItem('polarity.engine', 'nonsense')`);
  await page.reload();
  assert.equal(await checked(), 'textblob', 'an unknown stored engine is ignored');
});

browserTest('seeded rows show their engine: TextBlob for old rows, VADER and Blend where stored so', async (t) => {
  const { page } = await open(t);
  for (const [n, title] of [
    [41, 'VADER'],
    [42, 'Blend'],
    [43, 'TextBlob'],
  ] as const) {
    const item = itemsWith(page, `Seeded row ${n}:`).first();
    assert.equal(await item.locator('.engine-badge').textContent(), title);
  }
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
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => b - a),
  );
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
    body: JSON.stringify({ text, engine: 'vader' }),
  });
  assert.equal(res.status, 200);
  const { id } = (await res.json()) as { id: number };
  await itemsWith(page, text).first().waitFor();
  assert.equal(await page.locator('#history-list li').first().getAttribute('data-id'), String(id));
  assert.equal(await itemsWith(page, text).locator('.engine-badge').textContent(), 'VADER', 'the live row carries its engine');
  await page.waitForTimeout(500);
  assert.equal(await itemsWith(page, text).count(), 1);
});

browserTest("an over-long text shows the server's problem detail and keeps the text (also across a reload)", async (t) => {
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

  const options = await desktop.page.locator('.engine').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number }));
  assert.ok(
    options.every((o) => Math.abs(o.y - options[0]!.y) < 2),
    'the engines side by side on a desktop',
  );

  const phone = await open(t, { viewport: { width: 360, height: 740 } });
  await analyseIn(phone.page, 'It looks fine on a small screen. Not bad at all, really good!', 'click', 'blend');
  assert.equal(await phone.page.locator('#result [data-testid="sentences"] li').count(), 2);
  const stacked = await phone.page.locator('.engine').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; right: number }));
  assert.ok(
    stacked.every((o) => Math.abs(o.x - stacked[0]!.x) < 2 && o.right <= 360),
    'the engines stacked on a phone',
  );
  const [f, h] = await phone.page.locator('main > section').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number }));
  assert.ok(h!.y > f!.y && Math.abs(h!.x - f!.x) < 2, 'stacked');
  assert.ok(f!.width <= 360);
  assert.equal(await phone.page.evaluate('document.documentElement.scrollWidth'), 360, 'no horizontal scrolling');
});

browserTest('axe-core reports no serious or critical accessibility violation', async (t) => {
  let round = 0;
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 360, height: 740 },
  ]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      // bypassCSP only here, so axe can be injected; every other test runs under the real CSP.
      const { page } = await open(t, { bypassCSP: true, viewport, colorScheme });
      // Each engine's result panel in at least one of the four rounds.
      const engine = ENGINES[round++ % ENGINES.length]!.engine;
      await analyseIn(page, 'The soup was not good. But the bread was very good! :)', 'click', engine);
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
