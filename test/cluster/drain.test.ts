// How an app host stops behind a load balancer (src/server.ts): on SIGTERM it refuses new
// connections but never closes a keep-alive connection that a client may be reusing at that
// moment; requests still arriving on one are served with `Connection: close`. The cluster test's
// rolling restart relies on this; here it is checked on one process, on loopback, without root.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.js';
import { startServer } from '../process-helpers.js';

/** A raw keep-alive connection that can send a request and read one response. */
async function open(port: number): Promise<{ socket: Socket; closed: Promise<number>; request: (body: string) => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setEncoding('utf8');
  let buffered = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (d: string) => {
    buffered += d;
    waiter?.();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  const request = async (text: string) => {
    const body = JSON.stringify({ text });
    buffered = '';
    socket.write(`POST /analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // One response: headers, then Content-Length bytes of body.
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && buffered.length >= end + 4 + Number(length)) return buffered;
      await new Promise<void>((resolve) => (waiter = resolve));
    }
  };
  return { socket, closed, request };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

test('SIGTERM: new connections are refused, open keep-alive connections are served with Connection: close, idle ones are left to the client', { timeout: 30_000 }, async (t) => {
  const server = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1']);
  t.after(() => server.signal('SIGKILL'));
  const port = Number(new URL(server.url).port);
  const busy = await open(port);
  const idle = await open(port);
  assert.match(await busy.request('before'), /^HTTP\/1\.1 200 [^]*connection: keep-alive/i);
  assert.match(await idle.request('before too'), /^HTTP\/1\.1 200/);

  const termAt = performance.now();
  server.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(await refused(port), 'a new connection is refused (a load balancer retries it elsewhere)');
  // A request on a connection the client still holds is answered in full, and the server says
  // that this connection is done, so the client does not send on it again.
  const answer = await busy.request('sent one second into the drain');
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.match(answer, /\r\nconnection: close\r\n/i);
  assert.match(answer, /"id":3/);
  await busy.closed;

  // The idle connection is not closed under the client's feet: only after the drain (5 s).
  const idleClosedAt = await idle.closed;
  assert.ok(idleClosedAt - termAt > 4500, `the idle connection stayed open through the drain (${(idleClosedAt - termAt).toFixed(0)} ms)`);
  assert.equal(await server.exited, 0);
  t.diagnostic(`idle connection closed by the server ${((idleClosedAt - termAt) / 1000).toFixed(2)} s after SIGTERM`);
});

test('SIGTERM: the process exits as soon as its clients have closed their connections', { timeout: 30_000 }, async (t) => {
  const server = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1']);
  t.after(() => server.signal('SIGKILL'));
  const conn = await open(Number(new URL(server.url).port));
  assert.match(await conn.request('x'), /^HTTP\/1\.1 200/);
  const termAt = performance.now();
  server.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  conn.socket.end(); // like nginx closing an idle upstream connection after its keepalive_timeout
  assert.equal(await server.exited, 0);
  const took = performance.now() - termAt;
  assert.ok(took < 3000, `exited ${took.toFixed(0)} ms after SIGTERM, without waiting out the drain`);
});

test('Ctrl-C (SIGINT) does not wait for idle connections', { timeout: 30_000 }, async (t) => {
  const server = await startServer(['--db', join(tempDir(t), 'h.db'), '--workers', '1']);
  t.after(() => server.signal('SIGKILL'));
  const conn = await open(Number(new URL(server.url).port));
  assert.match(await conn.request('x'), /^HTTP\/1\.1 200/);
  const intAt = performance.now();
  server.signal('SIGINT');
  assert.equal(await server.exited, 0);
  const took = performance.now() - intAt;
  assert.ok(took < 2000, `exited ${took.toFixed(0)} ms after SIGINT`);
  await conn.closed;
});
