// /docs (the API reference, from the OpenAPI document) and /problems/<code> (every problem `type` URL answers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECURITY_HEADERS } from '../src/http/security.js';
import { exampleOf, operationAnchor, operations, problemAnchor, type OpenApiDocument } from '../src/http/docs-page.js';
import { PROBLEMS } from '../src/http/errors.js';
import { wantsJson } from '../src/http/routes/docs.js';
import { makeApp } from './helpers.js';

test('/docs lists every operation of /openapi.json and every problem code, served under the strict CSP', async (t) => {
  const { app } = await makeApp(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
  const r = await app.inject({ url: '/docs' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.equal(r.headers['content-security-policy'], SECURITY_HEADERS['content-security-policy']);
  const html = r.body;
  const ops = operations(doc);
  assert.ok(ops.length >= 10, `${ops.length} operations`);
  for (const [method, path] of ops) {
    assert.ok(html.includes(`id="${operationAnchor(method, path)}"`), `${method} ${path} has a section`);
    assert.ok(html.includes(`href="#${operationAnchor(method, path)}"`), `${method} ${path} is in the contents`);
  }
  for (const route of ['POST /analyze', 'GET /history', 'GET /metrics', 'GET /docs']) {
    const [m, p] = route.split(' ');
    assert.ok(
      ops.some(([om, op]) => om === m && op === p),
      `${route} is in the OpenAPI document`,
    );
  }
  for (const [code, p] of Object.entries(PROBLEMS)) {
    assert.ok(html.includes(`id="${problemAnchor(code)}"`), `${code} is in the catalogue`);
    assert.ok(html.includes(`href="/problems/${code}"`), `${code} links to its page`);
    assert.ok(p.description.length > 10, `${code} has a description`);
  }
  // Nothing from another origin, no script, no inline style (the CSP would block them).
  assert.doesNotMatch(html, /<script|\sstyle=|\son[a-z]+=/i);
  for (const [, url] of html.matchAll(/(?:href|src)="([^"]*)"/g)) assert.ok(url!.startsWith('/') || url!.startsWith('#') || url === 'data:,', `same-origin link ${url}`);
  assert.match(html, /<link rel="stylesheet" href="\/docs\/docs\.css">/);
  const css = await app.inject({ url: '/docs/docs.css' });
  assert.equal(css.statusCode, 200);
  assert.match(String(css.headers['content-type']), /^text\/css/);
  assert.doesNotMatch(css.body, /@import|url\(/);
  // Revalidation and methods.
  const again = await app.inject({ url: '/docs', headers: { 'if-none-match': String(r.headers.etag) } });
  assert.equal(again.statusCode, 304);
  assert.equal((await app.inject({ method: 'POST', url: '/docs' })).statusCode, 405);
});

test('/docs escapes what it shows: text from the document cannot become markup', async (t) => {
  const { app } = await makeApp(t);
  const html = (await app.inject({ url: '/docs' })).body;
  // Descriptions hold quotes and angle brackets (e.g. `Authorization: Bearer <admin token>`).
  assert.ok(html.includes('&#60;admin token&#62;'), 'angle brackets escaped');
  assert.ok(!html.includes('<admin token>'));
});

test('/problems/<code>: a short page for every catalogue code, JSON on request, 404 otherwise', async (t) => {
  const { app } = await makeApp(t);
  for (const [code, p] of Object.entries(PROBLEMS)) {
    const html = await app.inject({ url: `/problems/${code}`, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(html.statusCode, 200, code);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.ok(html.body.includes(`<code>${code}</code>`) && html.body.includes(String(p.status)), code);
    assert.ok(html.body.includes(`href="/docs#${problemAnchor(code)}"`), `${code} links to the reference`);
    const json = await app.inject({ url: `/problems/${code}`, headers: { accept: 'application/problem+json' } });
    assert.equal(json.statusCode, 200, code);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.deepEqual(json.json(), { type: `/problems/${code}`, code, status: p.status, title: p.title, description: p.description, docs: `/docs#problem-${code}` });
  }
  // Every problem an API answer carries names a page that answers.
  const answered = await app.inject({ method: 'POST', url: '/analyze', payload: {} });
  assert.equal((await app.inject({ url: answered.json().type })).statusCode, 200);
  for (const unknown of ['/problems/no-such-code', '/problems/Text-Required', '/problems/constructor', '/problems/__proto__', '/problems/', '/problems/a%20b']) {
    const r = await app.inject({ url: unknown });
    assert.equal(r.statusCode, 404, unknown);
    assert.equal(r.json().code, 'not-found', unknown);
  }
});

test('wantsJson: JSON only when the client prefers it to HTML', () => {
  const table: [string | undefined, boolean][] = [
    [undefined, false],
    ['*/*', false],
    ['text/html', false],
    ['application/json', true],
    ['application/problem+json', true],
    ['application/json, text/html', false], // equal preference: the page
    ['text/html;q=0.5, application/json', true],
    ['application/json;q=0.1, text/html;q=0.9', false],
    ['application/json;q=0', false],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
  ];
  for (const [accept, json] of table) assert.equal(wantsJson(accept), json, String(accept));
});

test("exampleOf: the schema's example, else one built from types, enums and bounds", () => {
  const doc: OpenApiDocument = { info: { title: 't', version: '1' }, components: { schemas: { Row: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } } };
  assert.deepEqual(
    exampleOf(doc, {
      type: 'object',
      required: ['text', 'n', 'label'],
      properties: {
        text: { type: 'string', examples: ['I love it'] },
        n: { type: 'number', minimum: -1, maximum: 1 },
        label: { type: 'string', enum: ['positive', 'negative'] },
        optional: { type: 'boolean' },
      },
    }),
    { text: 'I love it', n: 0.5, label: 'positive' },
  );
  assert.deepEqual(exampleOf(doc, { type: 'array', items: { $ref: '#/components/schemas/Row' } }), [{ id: 1 }]);
  assert.equal(exampleOf(doc, { type: 'string', format: 'date-time' }), '2026-01-01T12:00:00.000Z');
  assert.equal(exampleOf(doc, { anyOf: [{ type: 'boolean' }, { type: 'string' }] }), true);
  assert.equal(exampleOf(doc, { type: 'integer', default: 50 }), 50);
});
