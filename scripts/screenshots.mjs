// Regenerates docs/screenshot-desktop.png (1280×800) and docs/screenshot-phone.png (360×740):
// starts the real app on a temporary SQLite file, seeds a realistic history through the engine,
// analyses one text in the page, and captures it with Debian's chromium.
//
//   npm run build && node scripts/screenshots.mjs
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'src');
if (!existsSync(join(root, 'dist', 'web', 'index.html'))) {
  console.error('screenshots: run `npm run build` first (dist/web is missing)');
  process.exit(1);
}
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`screenshots: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(1);
}

const { buildApp } = await import(join(dist, 'http', 'app.js'));
const { SqliteHistoryStore } = await import(join(dist, 'store', 'sqlite.js'));
const { testConfig } = await import(join(dist, 'config.js'));
const { score } = await import(join(dist, 'engine', 'engines.js'));

// What a support team might have run through it over a morning, oldest first.
const HISTORY = [
  'Thanks for the quick reply, the replacement arrived this morning and works perfectly.',
  'The checkout page keeps timing out. Very frustrating.',
  'Order #4471 shipped on Tuesday.',
  'I love the new dashboard :)',
  'The app is not good on older phones, it crashes when I open the camera.',
  'Delivery was late again, and nobody answered my emails. This is the third time this month and I am seriously considering cancelling my subscription. The product itself is fine, but the support experience has been terrible from start to finish.',
  'Great value for the price, would buy again!',
  'The manual is clear and the setup took five minutes.',
  'Meh. It does the job.',
  'Absolutely brilliant customer service, thank you Maria!',
];
const ANALYSE = 'The food was great and the staff were very friendly!\nBut the music was far too loud, and the dessert was not good :(';

const dir = mkdtempSync(join(tmpdir(), 'polarity-shots-'));
const store = new SqliteHistoryStore(join(dir, 'history.db'));
const start = Date.now() - HISTORY.length * 11 * 60_000;
// Rows scored by each of the three engines, so the history shows their badges.
const ENGINES = ['textblob', 'vader', 'blend'];
await store.insert(
  HISTORY.map((text, i) => {
    const engine = ENGINES[i % ENGINES.length];
    const r = score(text, engine);
    return { text, sentiment: r.sentiment, subjectivity: r.subjectivity, engine, createdAt: new Date(start + i * 11 * 60_000) };
  }),
);
const app = await buildApp({ config: testConfig(), store, logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${app.server.address().port}/`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const shots = [
    { file: 'screenshot-desktop.png', viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
    { file: 'screenshot-phone.png', viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 },
  ];
  for (const [i, shot] of shots.entries()) {
    const context = await browser.newContext({ viewport: shot.viewport, deviceScaleFactor: shot.deviceScaleFactor, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('#history-list li').first().waitFor();
    await page.fill('#text', ANALYSE);
    await page.click('#analyze-button');
    await page.locator('#result .score-num').waitFor();
    // The second shot's analysis arrives live too; let the highlight animation finish.
    await page
      .locator(`#history-list li`)
      .nth(HISTORY.length + i)
      .waitFor();
    await page.waitForTimeout(1800);
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.screenshot({ path: join(root, 'docs', shot.file) });
    console.log(`screenshots: docs/${shot.file}`);
    await context.close();
  }
} finally {
  await browser.close();
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
