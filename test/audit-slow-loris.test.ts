// Issue #16's audit of docs/threat-model.md: "slow-loris bodies cut by a 30 s request timeout".
// A client that sends its headers and then trickles the body (a byte every 4 s, so the 20 s
// no-progress timeout never fires) is answered 408 and cut. src/http/app.ts asks for 30 s, but
// Fastify sets server.requestTimeout after creating the server, so Node's headersTimeout (60 s)
// stays larger, and Node's connection check then swaps the two: the request deadline is 60 s,
// checked every 30 s, so the cut comes 60–90 s after the request began (measured: 90 s, Node
// 20.20). This test holds both that and the 30 s once fixed: cut with a 408 in 29.5–100 s (timers late under load).
// Idle for the test's duration; no load.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { makeApp } from './helpers.js';

test('a request whose body trickles in is answered 408 and closed (today 60–90 s after it began); nothing stored', { timeout: 120_000 }, async (t) => {
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
  assert.ok(s >= 29.5 && s <= 100, `cut after ${s.toFixed(1)} s`);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.equal(await store.count(), 0);
});
