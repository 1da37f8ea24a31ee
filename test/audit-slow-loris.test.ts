// Issue #16's audit of docs/threat-model.md: "slow-loris bodies cut by a 30 s request timeout".
// A client that sends its headers and then trickles the body (a byte every 4 s, so the 20 s
// no-progress timeout never fires) is answered 408 and cut 30 s after the request began, checked
// every 5 s (src/http/app.ts). Before the fix Fastify set server.requestTimeout only after
// creating the server, Node's 60 s headersTimeout stayed in charge and the cut came after 90 s.
// Idle for the test's duration; no load.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { makeApp } from './helpers.js';

test('a request whose body trickles in is answered 408 and closed 30–35 s after it began; nothing stored', { timeout: 120_000 }, async (t) => {
  const { app, store } = await makeApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  socket.write('POST /analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"text": "');
  let answer = '';
  socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
  const trickle = setInterval(() => socket.writable && socket.write('a'), 4000);
  t.after(() => clearInterval(trickle));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  clearInterval(trickle);
  const s = (performance.now() - started) / 1000;
  t.diagnostic(`cut after ${s.toFixed(1)} s: ${answer.split('\r\n')[0] ?? '(no answer)'}`);
  assert.ok(s >= 29.5 && s <= 40, `cut after ${s.toFixed(1)} s (30 s, checked every 5 s; timers may run late under load)`);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.equal(await store.count(), 0);
});
