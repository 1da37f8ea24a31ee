// /docs and /problems/<code> in a real browser (Debian's chromium via playwright-core): they render
// under the strict CSP with no console error and load nothing from another origin.
// Without /usr/bin/chromium the test is reported as skipped, with the reason.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { PROBLEMS } from '../../src/http/errors.js';
import { makeApp } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';

test('/docs renders with its stylesheet, no console error, nothing from another origin; problem links lead to their pages', { timeout: 60_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`chromium not installed at ${CHROMIUM}: browser tests skipped`);
  const { app } = await makeApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requested.push(r.url()));

  const res = await page.goto(`${origin}/docs`);
  assert.equal(res?.status(), 200);
  assert.equal(
    await page
      .locator('h1')
      .first()
      .textContent()
      .then((s) => s?.includes('Polarity API')),
    true,
  );
  // The stylesheet was allowed by the CSP and applied (the browser's default body margin is 8px).
  const sheets = Number(await page.evaluate('document.styleSheets.length'));
  assert.ok(sheets >= 1, 'a stylesheet is loaded');
  assert.notEqual(await page.evaluate('getComputedStyle(document.body).margin'), '8px');
  // Every operation of the OpenAPI document is on the page.
  const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const text = (await page.locator('body').textContent()) ?? '';
  for (const path of Object.keys(spec.paths)) assert.ok(text.includes(path), `${path} is on the page`);

  // A problem code's link leads to its own page, in the same origin.
  await page.locator('a[href="/problems/idempotency-key-reused"]').first().click();
  await page.waitForURL(`${origin}/problems/idempotency-key-reused`);
  assert.ok(((await page.locator('body').textContent()) ?? '').includes(PROBLEMS['idempotency-key-reused'].title));

  assert.deepEqual(problems, [], 'no console error, CSP violation or page error');
  assert.deepEqual(
    requested.filter((u) => !u.startsWith(origin)),
    [],
    'nothing requested from another origin',
  );
});
