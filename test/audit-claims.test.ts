// Claims of docs/threat-model.md that no other test asserted (issue #16's audit): each test names
// the claim it checks. Cheap: in-process apps and short-lived servers on loopback.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { SqliteHistoryStore } from '../src/store/sqlite.js';
import { makeApp, ROOT, tempDir } from './helpers.js';
import { startServer } from './process-helpers.js';

test('the admin token must be at least 16 characters (15 refused at start, 16 accepted)', () => {
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: 'x'.repeat(15) }, []),
    (e: unknown) => e instanceof ConfigError && /at least 16 characters/.test(e.message),
  );
  assert.throws(() => loadConfig({}, ['--admin-token', 'short']), ConfigError);
  assert.equal(loadConfig({ ADMIN_TOKEN: 'x'.repeat(16) }, []).adminToken, 'x'.repeat(16));
});

test('every answer carries the whole CSP (no inline script or style, no third-party origin), nosniff, no-referrer and X-Frame-Options: DENY', async (t) => {
  const { app } = await makeApp(t);
  const answers = [
    await app.inject({ url: '/' }),
    await app.inject({ url: '/history' }),
    await app.inject({ url: '/nope' }),
    await app.inject({ method: 'POST', url: '/analyze', payload: '{', headers: { 'content-type': 'application/json' } }),
    await app.inject({ method: 'POST', url: '/analyze', payload: { text: 'fine' } }),
  ];
  for (const res of answers) {
    const csp = String(res.headers['content-security-policy']);
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    assert.deepEqual(directives.get('default-src'), ["'none'"], csp);
    assert.deepEqual(directives.get('script-src'), ["'self'"], csp);
    assert.deepEqual(directives.get('style-src'), ["'self'"], csp);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], csp);
    // Nothing but 'self', 'none' and data: images: no inline, no eval, no other origin.
    for (const [name, values] of directives) {
      for (const v of values) assert.ok(["'self'", "'none'"].includes(v) || (name === 'img-src' && v === 'data:'), `${name} ${v} in ${csp}`);
    }
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['set-cookie'], undefined, 'no cookies: no ambient authority for another origin to ride on');
  }
});

test('the page builds its DOM without HTML parsing: no innerHTML, outerHTML, insertAdjacentHTML or document.write in web/src', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name)) files.push(p);
    }
  };
  walk(join(ROOT, 'web/src'));
  assert.ok(files.length > 0);
  for (const f of files) {
    // Comments may name the APIs (to say they are not used); code may not.
    const code = readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:])\/\/.*$/gm, '$1');
    assert.doesNotMatch(code, /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/, f);
  }
});

test('the systemd unit has every sandbox setting the threat model names', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/polarity.service'), 'utf8');
  for (const line of [
    'User=polarity',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'ReadWritePaths=/var/lib/polarity',
    'ProcSubset=pid',
  ]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
});

test('at debug, request log lines hold method, URL, status and time: never a body, a header or the admin token', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const token = 'audit-admin-token-SECRET-0123456789';
  const server = await startServer(['--workers', '1', '--db', join(dir, 'h.db')], { LOG_LEVEL: 'debug', ADMIN_TOKEN: token });
  t.after(() => server.signal('SIGKILL'));
  const marker = 'TEXT-MARKER-7f3a9c';
  const headerMarker = 'HEADER-MARKER-b51e0d';
  const json = { 'content-type': 'application/json', 'x-custom': headerMarker, cookie: `c=${headerMarker}` };
  assert.equal((await fetch(`${server.url}/analyze`, { method: 'POST', headers: json, body: JSON.stringify({ text: `a fine day ${marker}` }) })).status, 200);
  assert.equal((await fetch(`${server.url}/analyze`, { method: 'POST', headers: json, body: JSON.stringify({ text: 5, note: marker }) })).status, 400);
  assert.equal((await fetch(`${server.url}/analyze`, { method: 'POST', headers: json, body: `{"text": "${marker}` })).status, 400);
  assert.equal((await fetch(`${server.url}/history`, { method: 'DELETE', headers: { authorization: `Bearer wrong-${headerMarker}` } })).status, 401);
  assert.equal((await fetch(`${server.url}/history`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  server.signal('SIGINT'); // drains without waiting for idle keep-alive connections
  await server.exited;
  const out = server.output();
  const lines = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const requestLines = lines.filter((l) => l.msg === 'request');
  assert.ok(requestLines.length >= 5, `debug request lines were written:\n${out}`);
  for (const l of requestLines) {
    assert.deepEqual(
      Object.keys(l)
        .filter((k) => !['level', 'time', 'pid', 'hostname', 'reqId', 'requestId', 'msg'].includes(k))
        .sort(),
      ['method', 'ms', 'status', 'url'],
      JSON.stringify(l),
    );
  }
  assert.doesNotMatch(out, new RegExp(marker), 'no text or body in the logs');
  assert.doesNotMatch(out, new RegExp(headerMarker), 'no header in the logs');
  assert.doesNotMatch(out, /SECRET-0123456789/, 'no admin token in the logs (the configuration line masks it)');
});

test('retention runs in one process: with two workers only the primary deletes, once, down to the cap', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'h.db');
  const seed = new SqliteHistoryStore(db);
  await seed.insert(Array.from({ length: 500 }, (_, i) => ({ text: `old ${i}`, sentiment: 0, subjectivity: 0, engine: 'textblob' as const })));
  await seed.close();
  const server = await startServer(['--workers', '2', '--db', db, '--history-max-rows', '100'], { LOG_LEVEL: 'info' });
  t.after(() => server.signal('SIGKILL'));
  const until = Date.now() + 10_000;
  while (!/retention: deleted/.test(server.output()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  t.diagnostic(`retention logged ${((Date.now() - until + 10_000) / 1000).toFixed(1)} s after the server listened`);
  await new Promise((r) => setTimeout(r, 1000)); // a worker that also trimmed would have logged by now
  const lines = server
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { msg?: string; pid?: number; deleted?: number });
  const trims = lines.filter((l) => l.msg === 'retention: deleted old history rows');
  assert.equal(trims.length, 1, server.output());
  assert.equal(trims[0]!.pid, server.child.pid, 'the primary, not a worker');
  assert.equal(trims[0]!.deleted, 400);
  const page = (await (await fetch(`${server.url}/history?limit=1000`)).json()) as { text: string }[];
  assert.equal(page.length, 100);
  assert.equal(page[0]!.text, 'old 499');
  server.signal('SIGINT'); // drains without waiting for idle keep-alive connections
  await server.exited;
});
